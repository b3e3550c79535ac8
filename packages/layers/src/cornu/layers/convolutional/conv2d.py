"""``Conv2D``: 2D convolution (the layer of image models)."""
from cornu.layers.convolutional.base_conv import BaseConv


class Conv2D(BaseConv):
    """2D convolution over ``(batch, height, width, channels)`` (or channels-first) inputs.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate: see ``BaseConv``.
        groups, activation, use_bias, initializers, regularizers, constraints: see
            ``BaseConv``.

    Kernel shape: ``kernel_size + (input_channels // groups, filters)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(
            rank=2, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )
