"""``RandomPerspective``: random perspective warps during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)


class RandomPerspective(BaseImagePreprocessingLayer):
    """Moves the four image corners by random offsets and warps the image to match.

    Args:
        factor: the probability range of applying the warp to an image: a number
            ``f`` in [0, 1] means probability ``f`` (default 1.0); a pair draws the
            probability from that range per image.
        scale: in [0, 1]: each corner moves by up to ``scale / 2`` of its coordinates.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_value: the value outside the warped image.
        seed: an int seed for the layer's ``SeedGenerator``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._factor_range(factor, "factor", (0, 1), symmetric=False)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) \
                or not 0.0 <= scale <= 1.0:
            raise ValueError(f"RandomPerspective: the `scale` argument must be a number "
                             f"in [0, 1], received scale={scale!r}")
        self.scale = scale
        self.interpolation = self._check_choice(interpolation, "interpolation",
                                                ("nearest", "bilinear"))
        self.fill_value = fill_value
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        n = self._batch_size(images)
        height, width = self._image_size(images)
        seed = self._seed(seed)
        probability = random.uniform((n,), self.factor[0], self.factor[1], seed=seed)
        apply = random.uniform((n,), seed=seed) < probability
        offsets = random.uniform((n, 4, 2), -0.5 * self.scale, 0.5 * self.scale, seed=seed,
                                 dtype="float32")
        w = ops.cast(width, "float32") - 1.0
        h = ops.cast(height, "float32") - 1.0
        zero = ops.zeros_like(w)
        corners = ops.reshape(ops.stack([zero, zero, w, zero, zero, h, w, h]), (1, 4, 2))
        start = corners + ops.zeros_like(offsets)
        end = start + start * offsets
        return {"apply": apply, "start_points": start, "end_points": end}

    def _transform_images(self, images, transformation, interpolation):
        warped = ops.image.perspective_transform(
            images, transformation["start_points"], transformation["end_points"],
            interpolation=interpolation, fill_value=self.fill_value,
            data_format=self.data_format,
        )
        return ops.where(self._per_image(transformation["apply"]), warped, images)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "scale": self.scale,
                    "interpolation": self.interpolation, "fill_value": self.fill_value,
                    "seed": self.seed})
        return cfg
