"""``RandomColorDegeneration``: blend images towards grayscale during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer


class RandomColorDegeneration(BaseColorLayer):
    """``x + f * (gray(x) - x)`` per image, ``f`` drawn from the factor range.

    Args:
        factor: in [0, 1]: a number ``f`` draws from ``[0, f]``, a pair from that range.
        value_range: the range of the pixel values; outputs are clipped to it.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: an int seed for the layer's ``SeedGenerator``.
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
        return {"factor": random.uniform((n,), self.factor[0], self.factor[1],
                                         seed=self._seed(seed))}

    def _transform_images(self, images, transformation, interpolation):
        f = self._per_image(ops.cast(transformation["factor"], images.dtype))
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        return ops.clip(images + f * (gray - images), self.value_range[0],
                        self.value_range[1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
