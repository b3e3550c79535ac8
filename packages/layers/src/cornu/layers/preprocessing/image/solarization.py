"""``Solarization``: invert the pixels above a (random) threshold."""
from cornu import ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer


class Solarization(BaseColorLayer):
    """On the [0, 255] scale: ``y = clip(x + a, 0, 255)``, then ``255 - y`` where
    ``y >= t``; ``a`` and ``t`` are drawn per image from ``addition_factor * 255`` and
    ``threshold_factor * 255``.

    Args:
        addition_factor: a number ``f`` in [0, 1] draws from ``[0, f]``, a pair from
            that range (default 0: nothing added).
        threshold_factor: the same for the threshold (default 0: every pixel is
            inverted).
        value_range: the range of the pixel values.
        seed: an int seed for the layer's ``SeedGenerator``.

    Both bounds of a range are scaled by 255 (Keras scales only the upper one, so its
    fixed threshold ``(0.5, 0.5)`` is drawn from [0.5, 127.5]).
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.addition_factor = self._factor_range(addition_factor, "addition_factor",
                                                   (0, 1), symmetric=False)
        self.threshold_factor = self._factor_range(threshold_factor, "threshold_factor",
                                                   (0, 1), symmetric=False)
        self._set_value_range(value_range)
        self._init_random(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        seed = self._seed(seed)
        dtype = self.compute_dtype
        a0, a1 = self.addition_factor
        t0, t1 = self.threshold_factor
        return {
            "additions": random.uniform((n,), a0 * 255, a1 * 255, seed=seed, dtype=dtype),
            "thresholds": random.uniform((n,), t0 * 255, t1 * 255, seed=seed, dtype=dtype),
        }

    def _transform_images(self, images, transformation, interpolation):
        x = self._transform_value_range(images, self.value_range, (0, 255))
        y = ops.clip(x + self._per_image(ops.cast(transformation["additions"], x.dtype)),
                     0, 255)
        t = self._per_image(ops.cast(transformation["thresholds"], x.dtype))
        y = ops.where(y < t, y, 255 - y)
        return self._transform_value_range(y, (0, 255), self.value_range)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"addition_factor": self.addition_factor,
                    "threshold_factor": self.threshold_factor,
                    "value_range": self.value_range, "seed": self.seed})
        return cfg
