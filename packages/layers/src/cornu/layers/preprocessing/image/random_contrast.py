"""``RandomContrast``: scale each image's contrast by a random factor during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer


class RandomContrast(BaseColorLayer):
    """``(x - mean) * c + mean`` per image and channel, ``c`` drawn from
    ``[1 - lower, 1 + upper]``; outputs clipped to ``value_range``.

    Args:
        factor: a number ``f`` in [0, 1] gives ``c`` in ``[1 - f, 1 + f]``; a pair
            ``(lower, upper)`` gives ``[1 - lower, 1 + upper]``.
        value_range: the range of the pixel values (default ``(0, 255)``).
        seed: an int seed for the layer's ``SeedGenerator``.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = self._factor_range(factor, "factor", (0, 1))
        self._set_value_range(value_range)
        self._init_random(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        return {"contrast_factor": random.uniform(
            (n,), 1.0 - self.factor[0], 1.0 + self.factor[1], seed=self._seed(seed),
            dtype=self.compute_dtype)}

    def _transform_images(self, images, transformation, interpolation):
        c = self._per_image(ops.cast(transformation["contrast_factor"], images.dtype))
        mean = ops.mean(images, axis=self._spatial_axes(), keepdims=True)
        out = (images - mean) * c + mean
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
