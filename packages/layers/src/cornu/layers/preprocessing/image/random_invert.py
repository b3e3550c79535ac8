"""``RandomInvert``: invert a random subset of images during training."""
from cornu import ops
from cornu.layers.preprocessing.image._color import BaseColorLayer


class RandomInvert(BaseColorLayer):
    """Replaces each image by ``value_range[1] - x`` with a probability drawn per image
    from the factor range.

    Args:
        factor: a number ``f`` in [0, 1] draws the probability from ``[0, f]`` (so the
            default 1.0 inverts half of the images on average, as in Keras); a pair
            ``(p, p)`` fixes it.
        value_range: the range of the pixel values (default ``(0, 255)``).
        seed: an int seed for the layer's ``SeedGenerator``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._factor_range(factor, "factor", (0, 1))
        self._set_value_range(value_range)
        self._init_random(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        return {"apply_inversion": self._probability_mask(n, self._seed(seed))}

    def _transform_images(self, images, transformation, interpolation):
        return ops.where(self._per_image(transformation["apply_inversion"]),
                         self.value_range[1] - images, images)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
