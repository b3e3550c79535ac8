"""``BasePooling``: the shared machinery of the max and average pooling layers."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class BasePooling(Layer):
    """Slides a window over the spatial axes and keeps its max or mean.

    Args:
        pool_size: int or tuple of ``pool_dimensions`` ints, the window size.
        strides: int, tuple, or None (default: ``pool_size``).
        pool_dimensions: the number of spatial dimensions (1, 2 or 3).
        pool_mode: ``"max"`` or ``"average"``.
        padding: ``"valid"`` or ``"same"`` (average pooling ignores the padded
            positions, as TensorFlow and Keras).
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(self, pool_size, strides, pool_dimensions, pool_mode="max",
                 padding="valid", data_format=None, name=None, **kwargs):
        cls = type(self).__name__
        super().__init__(name=name, **kwargs)
        self.pool_size = _utils.standardize_tuple(pool_size, pool_dimensions, "pool_size", cls)
        strides = self.pool_size if strides is None else strides
        self.strides = _utils.standardize_tuple(strides, pool_dimensions, "strides", cls)
        if pool_mode not in ("max", "average"):
            raise ValueError(
                f"{cls}: pool_mode must be 'max' or 'average', received pool_mode={pool_mode!r}"
            )
        self.pool_mode = pool_mode
        self.pool_dimensions = pool_dimensions
        self.padding = _utils.standardize_padding(padding, cls)
        self.data_format = _utils.standardize_data_format(data_format, cls)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)

    def call(self, inputs):
        pool = ops.max_pool if self.pool_mode == "max" else ops.average_pool
        return pool(inputs, pool_size=self.pool_size, strides=self.strides,
                    padding=self.padding, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            spatial = input_shape[1:-1]
        else:
            spatial = input_shape[2:]
        out = []
        for n, k, s in zip(spatial, self.pool_size, self.strides):
            length = _utils.conv_output_length(n, k, s, self.padding)
            if length is not None and length <= 0:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): the output size would "
                    f"be zero or negative for input shape {_utils.shape_str(input_shape)}, "
                    f"pool_size={self.pool_size}, strides={self.strides}, "
                    f"padding={self.padding!r}"
                )
            out.append(length)
        if self.data_format == "channels_last":
            return (input_shape[0], *out, input_shape[-1])
        return (input_shape[0], input_shape[1], *out)

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        })
        return cfg
