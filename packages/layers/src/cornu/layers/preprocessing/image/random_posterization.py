"""``RandomPosterization``: reduce the bits per channel during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer


class RandomPosterization(BaseColorLayer):
    """Keeps the ``b`` most significant bits of each 8-bit channel value, ``b`` drawn
    per image from ``[lower, upper)`` (``[f, f]`` for one number).

    Args:
        factor: an int in [1, 8] (bits kept), or a pair of ints.
        value_range: the range of the pixel values (mapped to [0, 255] for the bit
            operation and back).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: an int seed for the layer's ``SeedGenerator``.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(factor, (tuple, list)):
            self.factor = self._factor_range(factor, "factor", (1, 8))
        else:
            self._factor_range(factor, "factor", (1, 8))
            self.factor = (float(factor), float(factor))
        self.factor = tuple(int(f) for f in self.factor)
        self._set_value_range(value_range)
        self._init_random(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        if self.factor[0] != self.factor[1]:
            bits = random.randint((n,), self.factor[0], self.factor[1],
                                  seed=self._seed(seed))
        else:
            bits = ops.full((n,), self.factor[0], dtype="int32")
        return {"shift_factor": 8 - bits}

    def _transform_images(self, images, transformation, interpolation):
        x = self._transform_value_range(images, self.value_range, (0, 255))
        # Dropping the low bits of an 8-bit value: floor(x / 2**s) * 2**s.
        step = ops.cast(2 ** self._per_image(transformation["shift_factor"]), x.dtype)
        x = ops.floor(ops.floor(ops.clip(x, 0, 255)) / step) * step
        return self._transform_value_range(x, (0, 255), self.value_range)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
