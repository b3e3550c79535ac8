"""``BaseConvTranspose``: the shared machinery of ``Conv1DTranspose`` to ``Conv3DTranspose``."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


def conv_transpose_output_length(length, kernel, stride, padding, output_padding, dilation):
    """The output length of a transposed convolution along one axis (Keras/TF rule)."""
    if length is None:
        return None
    kernel = (kernel - 1) * dilation + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(kernel, stride) - kernel
        return (length - 1) * stride + kernel + output_padding
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + kernel % 2 + output_padding


class BaseConvTranspose(Layer):
    """An N-D transposed convolution ("deconvolution") with optional bias and activation.

    Args:
        rank: the number of spatial dimensions (fixed by the subclass).
        filters: positive int, the number of output channels.
        kernel_size, strides, dilation_rate: an int or a tuple of ``rank`` ints.
        padding: ``"valid"`` or ``"same"``.
        output_padding: None (inferred) or an int / tuple of ``rank`` ints, the
            extra size added to one side of each spatial output axis; each value
            must be smaller than the matching stride.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: as in ``Dense``.

    Weights, in order: ``kernel`` ``kernel_size + (filters, input_channels)``, ``bias``
    ``(filters,)``.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        cls = type(self).__name__
        _utils.check_positive_int(filters, "filters", cls)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = filters
        self.kernel_size = _utils.standardize_tuple(kernel_size, rank, "kernel_size", cls)
        self.strides = _utils.standardize_tuple(strides, rank, "strides", cls)
        self.dilation_rate = _utils.standardize_tuple(dilation_rate, rank, "dilation_rate", cls)
        self.padding = _utils.standardize_padding(padding, cls)
        self.output_padding = None if output_padding is None else _utils.standardize_tuple(
            output_padding, rank, "output_padding", cls, allow_zero=True)
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
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: strides > 1 are not supported together with dilation_rate > 1, "
                f"received strides={self.strides} and dilation_rate={self.dilation_rate}"
            )
        if self.output_padding is not None:
            for i, (op, s) in enumerate(zip(self.output_padding, self.strides)):
                if op >= s:
                    raise ValueError(
                        f"{cls}: each value of `output_padding` must be strictly less than "
                        f"the matching stride; at index {i} output_padding is {op} and "
                        f"strides is {s}. Received output_padding={self.output_padding}, "
                        f"strides={self.strides}"
                    )

    @property
    def _channel_axis(self):
        return _utils.channel_axis(self.data_format)

    def build(self, input_shape):
        channels = _utils.input_channels(self, input_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (self.filters, channels),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
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

    def call(self, inputs):
        outputs = ops.conv_transpose(
            inputs, self.kernel, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )
        if self.bias is not None:
            outputs = ops.add(outputs, ops.reshape(self.bias, _bias_shape(self)))
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        ops_ = self.output_padding or (None,) * self.rank
        out = [
            conv_transpose_output_length(n, k, s, self.padding, op, d)
            for n, k, s, op, d in zip(spatial, self.kernel_size, self.strides, ops_,
                                      self.dilation_rate)
        ]
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
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
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


def _bias_shape(layer, channels=None):
    channels = layer.filters if channels is None else channels
    if layer.data_format == "channels_last":
        return (1,) * (layer.rank + 1) + (channels,)
    return (1, channels) + (1,) * layer.rank
