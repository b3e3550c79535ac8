"""``RandomElasticTransform``: random elastic distortions during training."""
import numpy as np

from cornu import ops, random
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)


class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Displaces pixels by a smoothed random field (``ops.image.elastic_transform``).

    Args:
        factor: the probability range of transforming an image (number ``f``: ``f``).
        scale: in [0, 1], the distortion strength range: the field has
            ``alpha = 0.1 * s * max(height, width)`` and ``sigma = 0.05 * s *
            min(height, width)`` for a strength ``s`` drawn per batch.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"``, ``"nearest"``,
            ``"mirror"``.
        fill_value: the value outside the image for ``fill_mode="constant"``.
        value_range: the range of the pixel values; outputs are clipped to it.
        seed: an int seed for the layer's ``SeedGenerator``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._factor_range(factor, "factor", (0, 1), symmetric=False)
        self.scale = self._factor_range(scale, "scale", (0, 1), symmetric=False)
        self.interpolation = self._check_choice(interpolation, "interpolation",
                                                ("nearest", "bilinear"))
        self.fill_mode = self._check_choice(
            fill_mode, "fill_mode", ("reflect", "wrap", "constant", "nearest", "mirror"))
        self.fill_value = fill_value
        self._set_value_range(value_range)
        self.seed = seed
        self.generator = random.SeedGenerator(seed)
        # The strength sets the Gaussian kernel size, a host number: drawn on the host
        # (reproducible under `seed`, traceable by tf.data/tf.function).
        self._host_rng = np.random.default_rng(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images = self._images_of(data)
        n = self._batch_size(images)
        seed = self._seed(seed)
        probability = random.uniform((n,), self.factor[0], self.factor[1], seed=seed)
        apply = random.uniform((n,), seed=seed) < probability
        strength = float(self._host_rng.uniform(self.scale[0], self.scale[1]))
        return {"apply": apply, "strength": strength,
                "seed": random.randint((), 0, 2**31 - 1, seed=seed)}

    def _transform_images(self, images, transformation, interpolation):
        height, width = self._image_size(images)
        s = transformation["strength"]
        alpha = 0.1 * s * max(height, width)
        sigma = max(0.05 * s * min(height, width), 1e-3)
        warped = ops.image.elastic_transform(
            images, alpha=alpha, sigma=sigma, interpolation=interpolation,
            fill_mode=self.fill_mode, fill_value=self.fill_value,
            seed=transformation["seed"], data_format=self.data_format,
        )
        out = ops.where(self._per_image(transformation["apply"]), warped, images)
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        height, width = self._image_size(segmentation_masks)
        s = transformation["strength"]
        return ops.where(
            self._per_image(transformation["apply"]),
            ops.image.elastic_transform(
                segmentation_masks, alpha=0.1 * s * max(height, width),
                sigma=max(0.05 * s * min(height, width), 1e-3), interpolation="nearest",
                fill_mode=self.fill_mode, fill_value=self.fill_value,
                seed=transformation["seed"], data_format=self.data_format),
            segmentation_masks)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "scale": self.scale,
                    "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                    "fill_value": self.fill_value, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
