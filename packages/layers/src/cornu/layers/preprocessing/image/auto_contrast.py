"""``AutoContrast``: stretch each image channel to the full value range."""
from cornu import ops
from cornu.layers.preprocessing.image._color import BaseColorLayer


class AutoContrast(BaseColorLayer):
    """Maps each channel of each image linearly so that its minimum becomes
    ``value_range[0]`` and its maximum ``value_range[1]`` (always applied; a constant
    channel is unchanged).

    Args:
        value_range: the range of the pixel values.
    """

    _RANDOM = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self._set_value_range(value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        return {}

    def transform_images(self, images, transformation=None, training=True):
        return self._transform_images(ops.cast(images, self.compute_dtype), {}, None)

    def _transform_images(self, images, transformation, interpolation):
        x = self._transform_value_range(images, self.value_range, (0, 255))
        axes = self._spatial_axes()
        low = ops.min(x, axis=axes, keepdims=True)
        high = ops.max(x, axis=axes, keepdims=True)
        span = high - low
        scale = 255.0 / ops.where(span > 0, span, ops.ones_like(span))
        y = ops.clip((x - low) * scale, 0.0, 255.0)
        y = self._transform_value_range(y, (0, 255), self.value_range)
        return ops.where(span > 0, y, images)

    def get_config(self):
        cfg = super().get_config()
        cfg["value_range"] = self.value_range
        return cfg
