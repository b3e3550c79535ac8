"""``BaseConv``: the shared machinery of ``Conv1D``, ``Conv2D`` and ``Conv3D``."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class BaseConv(Layer):
    """An N-D convolution with optional bias and activation (Keras ``BaseConv``).

    Subclasses fix ``rank`` (1, 2 or 3).  The kernel has shape
    ``kernel_size + (input_channels // groups, filters)``, as in Keras.

    Args:
        rank: the number of spatial dimensions.
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of ``rank`` ints, the window size.
        strides: int or tuple of ``rank`` ints.  Strides > 1 cannot be combined
            with ``dilation_rate`` > 1.
        padding: ``"valid"`` (no padding) or ``"same"`` (output size =
            ceil(input / stride), extra padding at the end, as TensorFlow);
            ``Conv1D`` also accepts ``"causal"``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default:
            ``cornu.config.image_data_format()``).
        dilation_rate: int or tuple of ``rank`` ints.
        groups: positive int dividing both the input channels and ``filters``;
            each group of channels is convolved separately.
        activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: as in ``Dense``.
    """

    _allowed_padding = ("valid", "same")

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        cls = type(self).__name__
        self.rank = rank
        _utils.check_positive_int(filters, "filters", cls)
        _utils.check_positive_int(groups, "groups", cls)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = filters
        self.groups = groups
        self.kernel_size = _utils.standardize_tuple(kernel_size, rank, "kernel_size", cls)
        self.strides = _utils.standardize_tuple(strides, rank, "strides", cls)
        self.dilation_rate = _utils.standardize_tuple(dilation_rate, rank, "dilation_rate", cls)
        self.padding = _utils.standardize_padding(padding, cls, self._allowed_padding)
        self.data_format = _utils.standardize_data_format(data_format, cls)
        self.activation = _utils.get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _utils.get_initializer(kernel_initializer)
        self.bias_initializer = _utils.get_initializer(bias_initializer)
        self.kernel_regularizer = _utils.get_regularizer(kernel_regularizer)
        self.bias_regularizer = _utils.get_regularizer(bias_regularizer)
        self.kernel_constraint = _utils.get_constraint(kernel_constraint)
        self.bias_constraint = _utils.get_constraint(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)
        if filters % groups:
            raise ValueError(
                f"{cls}: the number of filters must be divisible by the number of "
                f"groups, received filters={filters}, groups={groups}"
            )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: strides > 1 are not supported together with dilation_rate > 1, "
                f"received strides={self.strides} and dilation_rate={self.dilation_rate}"
            )

    @property
    def _channel_axis(self):
        return _utils.channel_axis(self.data_format)

    def build(self, input_shape):
        channels = _utils.input_channels(self, input_shape)
        if channels % self.groups:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the number of input "
                f"channels must be divisible by groups={self.groups}, received input "
                f"shape {_utils.shape_str(input_shape)} with {channels} channels"
            )
        kernel_shape = self.kernel_size + (channels // self.groups, self.filters)
        self.kernel = self.add_weight(
            name="kernel", shape=kernel_shape, initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def convolution_op(self, inputs, kernel):
        return ops.conv(inputs, kernel, strides=self.strides, padding=self.padding,
                        dilation_rate=self.dilation_rate, data_format=self.data_format)

    def call(self, inputs):
        outputs = self.convolution_op(inputs, self.kernel)
        if self.bias is not None:
            if self.data_format == "channels_last":
                bias_shape = (1,) * (self.rank + 1) + (self.filters,)
            else:
                bias_shape = (1, self.filters) + (1,) * self.rank
            outputs = ops.add(outputs, ops.reshape(self.bias, bias_shape))
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            spatial = input_shape[1:-1]
        else:
            spatial = input_shape[2:]
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
            return (input_shape[0], *out, self.filters)
        return (input_shape[0], self.filters, *out)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": _utils.serialize_activation(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _utils.serialize_initializer(self.kernel_initializer),
            "bias_initializer": _utils.serialize_initializer(self.bias_initializer),
            "kernel_regularizer": _utils.serialize_regularizer(self.kernel_regularizer),
            "bias_regularizer": _utils.serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": _utils.serialize_regularizer(self.activity_regularizer),
            "kernel_constraint": _utils.serialize_constraint(self.kernel_constraint),
            "bias_constraint": _utils.serialize_constraint(self.bias_constraint),
        })
        return cfg
