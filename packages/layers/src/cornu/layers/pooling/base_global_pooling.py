"""``BaseGlobalPooling``: reduce every spatial axis with a max or a mean."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class BaseGlobalPooling(Layer):
    """Reduces all spatial axes of the input (Keras ``BaseGlobalPooling``).

    Args:
        pool_dimensions: the number of spatial dimensions (1, 2 or 3).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        keepdims: keep the reduced axes with size 1.
    """

    def __init__(self, pool_dimensions, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _utils.standardize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.pool_dimensions = pool_dimensions
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)

    def _spatial_axes(self):
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self.pool_dimensions))

    def compute_output_shape(self, input_shape):
        n = len(input_shape) - 2
        if self.data_format == "channels_last":
            if self.keepdims:
                return (input_shape[0],) + (1,) * n + (input_shape[-1],)
            return (input_shape[0], input_shape[-1])
        if self.keepdims:
            return (input_shape[0], input_shape[1]) + (1,) * n
        return (input_shape[0], input_shape[1])

    def compute_output_spec(self, inputs, mask=None):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg


class _GlobalAverage(BaseGlobalPooling):
    def __init__(self, pool_dimensions, **kwargs):
        super().__init__(pool_dimensions, **kwargs)
        # Keras: only the 1D pooling takes a (steps) mask, and it consumes it.
        self.supports_masking = pool_dimensions == 1

    def call(self, inputs, mask=None):
        axes = self._spatial_axes()
        if mask is not None and self.pool_dimensions == 1:
            # mask: (batch, steps); average over the unmasked steps only.
            mask = ops.expand_dims(ops.cast(mask, "bool"), -1 if self.data_format == "channels_last" else 1)
            inputs = ops.where(mask, inputs, ops.zeros_like(inputs))
            weights = ops.cast(mask, inputs.dtype)
            return ops.divide(ops.sum(inputs, axis=axes, keepdims=self.keepdims),
                              ops.sum(weights, axis=axes, keepdims=self.keepdims))
        return ops.mean(inputs, axis=axes, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class _GlobalMax(BaseGlobalPooling):
    def call(self, inputs):
        return ops.max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)
