"""``RandomSaturation``: scale the saturation by a random factor during training."""
from cornu import config, ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer
from cornu.layers.preprocessing.image.random_hue import _with_hsv_channel


class RandomSaturation(BaseColorLayer):
    """Multiplies the saturation of each image by ``f / (1 - f)``, ``f`` drawn from
    the factor range: 0.5 keeps the image, 0 gives grayscale, 1 full saturation.

    Args:
        factor: in [0, 1]: a number ``f`` draws from ``[0, f]``, a pair from that range.
        value_range: the range of the pixel values (default ``(0, 255)``).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: an int seed for the layer's ``SeedGenerator``.

    The scaled saturation is clipped to [0, 1] (Keras clips it to ``value_range``,
    which lets it leave the HSV cube for ``(0, 255)`` images).
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._factor_range(factor, "factor", (0, 1))
        self._set_value_range(value_range)
        self._init_random(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        f = random.uniform((n,), self.factor[0], self.factor[1], seed=self._seed(seed))
        return {"factor": f / (1.0 - f + config.epsilon())}

    def _transform_images(self, images, transformation, interpolation):
        x = self._transform_value_range(images, self.value_range, (0, 1))
        scale = ops.reshape(ops.cast(transformation["factor"], x.dtype), (-1, 1, 1))
        x = _with_hsv_channel(self, x, 1, lambda s: ops.clip(s * scale, 0.0, 1.0))
        return self._transform_value_range(x, (0, 1), self.value_range)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
