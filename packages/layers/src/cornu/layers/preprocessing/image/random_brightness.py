"""``RandomBrightness``: add a random brightness offset during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer


class RandomBrightness(BaseColorLayer):
    """Adds ``delta * (value_range[1] - value_range[0])`` to each image, ``delta`` drawn
    from the factor range; outputs clipped to ``value_range``.

    Args:
        factor: in [-1, 1]: a number ``f`` draws ``delta`` from ``[-f, f]``, a pair
            ``(lower, upper)`` from that range (``(-0.2, 0)`` only darkens).
        value_range: the range of the pixel values (default ``(0, 255)``).
        seed: an int seed for the layer's ``SeedGenerator``.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = self._factor_range(factor, "factor", (-1, 1))
        self._set_value_range(value_range)
        self._init_random(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        delta = random.uniform((n,), self.factor[0], self.factor[1], seed=self._seed(seed))
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def _transform_images(self, images, transformation, interpolation):
        delta = self._per_image(ops.cast(transformation["rgb_delta"], images.dtype))
        return ops.clip(images + delta, self.value_range[0], self.value_range[1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
