"""``BaseDepthwiseConv`` and ``BaseSeparableConv``: depthwise (then pointwise) convolutions."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils
from cornu.layers.convolutional.base_conv_transpose import _bias_shape


class _ChannelwiseConv(Layer):
    """Argument handling shared by the depthwise and separable convolutions."""

    def __init__(self, rank, kernel_size, strides, padding, data_format, dilation_rate,
                 depth_multiplier, activation, use_bias, depthwise_initializer,
                 bias_initializer, depthwise_regularizer, bias_regularizer,
                 activity_regularizer, depthwise_constraint, bias_constraint, **kwargs):
        cls = type(self).__name__
        _utils.check_positive_int(depth_multiplier, "depth_multiplier", cls)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = depth_multiplier
        self.kernel_size = _utils.standardize_tuple(kernel_size, rank, "kernel_size", cls)
        self.strides = _utils.standardize_tuple(strides, rank, "strides", cls)
        self.dilation_rate = _utils.standardize_tuple(dilation_rate, rank, "dilation_rate", cls)
        self.padding = _utils.standardize_padding(padding, cls)
        self.data_format = _utils.standardize_data_format(data_format, cls)
        self.activation = _utils.get_activation(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = _utils.get_initializer(depthwise_initializer)
        self.bias_initializer = _utils.get_initializer(bias_initializer)
        self.depthwise_regularizer = _utils.get_regularizer(depthwise_regularizer)
        self.bias_regularizer = _utils.get_regularizer(bias_regularizer)
        self.depthwise_constraint = _utils.get_constraint(depthwise_constraint)
        self.bias_constraint = _utils.get_constraint(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: strides > 1 are not supported together with dilation_rate > 1, "
                f"received strides={self.strides} and dilation_rate={self.dilation_rate}"
            )

    @property
    def _channel_axis(self):
        return _utils.channel_axis(self.data_format)

    def _input_channels(self, input_shape):
        channels = _utils.input_channels(self, input_shape)
        self.compute_output_shape(input_shape)  # validates the spatial sizes
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        return channels

    def _output_shape(self, input_shape, channels):
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        out = []
        for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            length = _utils.conv_output_length(n, k, s, self.padding, d)
            if length is not None and length <= 0:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): the output size would "
                    f"be zero or negative for input shape {_utils.shape_str(input_shape)}, "
                    f"kernel_size={self.kernel_size}, strides={self.strides}, "
                    f"dilation_rate={self.dilation_rate}, padding={self.padding!r}"
                )
            out.append(length)
        if self.data_format == "channels_last":
            return (input_shape[0], *out, channels)
        return (input_shape[0], channels, *out)

    def _finish(self, outputs, channels):
        if self.bias is not None:
            outputs = ops.add(outputs, ops.reshape(self.bias, _bias_shape(self, channels)))
        return self.activation(outputs)

    def _base_config(self):
        cfg = Layer.get_config(self)
        cfg.update({
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": _utils.serialize_activation(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": _utils.serialize_initializer(self.depthwise_initializer),
            "bias_initializer": _utils.serialize_initializer(self.bias_initializer),
            "depthwise_regularizer": _utils.serialize_regularizer(self.depthwise_regularizer),
            "bias_regularizer": _utils.serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": _utils.serialize_regularizer(self.activity_regularizer),
            "depthwise_constraint": _utils.serialize_constraint(self.depthwise_constraint),
            "bias_constraint": _utils.serialize_constraint(self.bias_constraint),
        })
        return cfg


class BaseDepthwiseConv(_ChannelwiseConv):
    """Convolves each input channel with its own ``depth_multiplier`` filters.

    Args:
        rank: the number of spatial dimensions (fixed by the subclass).
        kernel_size, strides, dilation_rate: an int or a tuple of ``rank`` ints.
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: positive int, the output channels per input channel.
        data_format, activation, use_bias: as in ``Conv2D``.
        depthwise_initializer, depthwise_regularizer, depthwise_constraint: for the
            kernel; bias_*: for the bias.

    Weights, in order: ``kernel`` ``kernel_size + (input_channels, depth_multiplier)``,
    ``bias`` ``(input_channels * depth_multiplier,)``.
    """

    def __init__(self, rank, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.depth_multiplier * channels,),
                initializer=self.bias_initializer, regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True

    def call(self, inputs):
        outputs = ops.depthwise_conv(
            inputs, self.kernel, strides=self.strides, padding=self.padding,
            dilation_rate=self.dilation_rate, data_format=self.data_format,
        )
        return self._finish(outputs, self.depth_multiplier * inputs.shape[self._channel_axis])

    def compute_output_shape(self, input_shape):
        channels = input_shape[self._channel_axis]
        return self._output_shape(
            input_shape, None if channels is None else channels * self.depth_multiplier)

    def get_config(self):
        return self._base_config()


class BaseSeparableConv(_ChannelwiseConv):
    """A depthwise convolution followed by a pointwise (1x1) convolution to ``filters``.

    Args:
        filters: positive int, the number of output channels.
        depth_multiplier: the depthwise output channels per input channel.
        pointwise_initializer, pointwise_regularizer, pointwise_constraint: for the
            pointwise kernel; the other arguments as in ``BaseDepthwiseConv``.

    Weights, in order: ``depthwise_kernel`` ``kernel_size + (input_channels,
    depth_multiplier)``, ``pointwise_kernel`` ``(1,) * rank + (input_channels *
    depth_multiplier, filters)``, ``bias`` ``(filters,)``.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        _utils.check_positive_int(filters, "filters", type(self).__name__)
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        self.filters = filters
        self.pointwise_initializer = _utils.get_initializer(pointwise_initializer)
        self.pointwise_regularizer = _utils.get_regularizer(pointwise_regularizer)
        self.pointwise_constraint = _utils.get_constraint(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (self.depth_multiplier * channels, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True

    def call(self, inputs):
        outputs = ops.separable_conv(
            inputs, self.depthwise_kernel, self.pointwise_kernel, strides=self.strides,
            padding=self.padding, dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )
        return self._finish(outputs, self.filters)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, self.filters)

    def get_config(self):
        cfg = self._base_config()
        cfg.update({
            "filters": self.filters,
            "pointwise_initializer": _utils.serialize_initializer(self.pointwise_initializer),
            "pointwise_regularizer": _utils.serialize_regularizer(self.pointwise_regularizer),
            "pointwise_constraint": _utils.serialize_constraint(self.pointwise_constraint),
        })
        return cfg
