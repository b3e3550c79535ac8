"""``RandomGrayscale``: convert a random subset of images to grayscale during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer


class RandomGrayscale(BaseColorLayer):
    """Replaces each image, with probability ``factor``, by its grayscale version
    (repeated over the 3 channels, so the shape is kept).

    Args:
        factor: the probability in [0, 1] (default 0.5).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: an int seed for the layer's ``SeedGenerator``.
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) \
                or not 0 <= factor <= 1:
            raise ValueError("RandomGrayscale: the `factor` argument must be a number in "
                             f"[0, 1], received factor={factor!r}")
        self.factor = factor
        self._init_random(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        return {"apply": random.uniform((n,), seed=self._seed(seed)) < self.factor}

    def _transform_images(self, images, transformation, interpolation):
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        gray = ops.broadcast_to(gray, ops.shape(images))
        return ops.where(self._per_image(transformation["apply"]), gray, images)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "seed": self.seed})
        return cfg
