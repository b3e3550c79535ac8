"""``Conv1D``: temporal convolution, with ``"causal"`` padding for sequence models."""
from cornu import ops
from cornu.layers.convolutional.base_conv import BaseConv


class Conv1D(BaseConv):
    """1D convolution over ``(batch, steps, channels)`` (or channels-first) inputs.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate: see ``BaseConv``.
        groups, activation, use_bias, initializers, regularizers, constraints: see
            ``BaseConv``.  ``padding="causal"`` left-pads the time axis by
            ``dilation_rate * (kernel_size - 1)`` so that ``output[t]`` only
            depends on ``input[:t + 1]``.

    Kernel shape: ``(kernel_size, input_channels // groups, filters)``.
    """

    _allowed_padding = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(
            rank=1, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )

    def convolution_op(self, inputs, kernel):
        if self.padding != "causal":
            return super().convolution_op(inputs, kernel)
        left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        if self.data_format == "channels_last":
            pad_width = ((0, 0), (left, 0), (0, 0))
        else:
            pad_width = ((0, 0), (0, 0), (left, 0))
        inputs = ops.pad(inputs, pad_width)
        return ops.conv(inputs, kernel, strides=self.strides, padding="valid",
                        dilation_rate=self.dilation_rate, data_format=self.data_format)
