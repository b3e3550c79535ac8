"""``RandAugment``: apply ``num_ops`` augmentations drawn from a fixed menu."""
import numpy as np

from cornu import ops, random
from cornu.layers.preprocessing.image import _augment_set
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)


class RandAugment(BaseImagePreprocessingLayer):
    """RandAugment (Cubuk et al., 2019): ``num_ops`` operations chosen uniformly (per
    batch) among shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, solarization, posterization, auto-contrast and equalization,
    each with magnitude ``factor``.

    Args:
        value_range: the range of the pixel values.
        num_ops: how many operations per batch (default 2).
        factor: the magnitude range shared by the operations (a number ``f`` in [0, 1]
            means ``[0, f]``; default 0.5).
        interpolation: for the geometric operations.
        seed: an int seed: the operations' randomness and the choice of operations.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    The choice of operations is drawn on the host from a generator seeded with
    ``seed`` (only the chosen operations run); inside a traced ``tf.function`` or
    ``tf.data`` map it is drawn once per trace, their parameters on every call.
    """

    _USE_BASE_FACTOR = False
    _MENU = _augment_set.GEOMETRIC + _augment_set.COLOR + (
        "solarization", "random_posterization", "auto_contrast", "equalization")

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_value_range(value_range)
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"RandAugment: the `num_ops` argument must be an int >= 0, "
                             f"received num_ops={num_ops!r}")
        self.num_ops = num_ops
        self.factor = self._factor_range(factor, "factor", (0, 1))
        self.interpolation = interpolation
        self.seed = seed
        self.generator = random.SeedGenerator(seed)
        self._host_rng = np.random.default_rng(seed)
        self._menu = _augment_set.build_menu(self.factor, self.value_range, interpolation,
                                             seed, self.data_format, self._MENU,
                                             dtype=self.dtype_policy)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        names = list(self._menu)
        return {"ops": [names[i] for i in self._host_rng.integers(0, len(names),
                                                                  self.num_ops)]}

    def _transform_images(self, images, transformation, interpolation):
        for name in transformation["ops"]:
            images = _augment_set.apply(self._menu[name], images, self.generator)
        return ops.cast(images, self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"value_range": self.value_range, "num_ops": self.num_ops,
                    "factor": self.factor, "interpolation": self.interpolation,
                    "seed": self.seed})
        return cfg
