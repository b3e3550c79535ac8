"""``CutMix``: paste a random patch of another image of the batch during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)
from cornu.layers.preprocessing.image.random_erasing import box_masks


class CutMix(BaseImagePreprocessingLayer):
    """Replaces a box of each image by the same box of another image of the batch
    (a random permutation); labels mix in proportion to the areas.

    The box covers a fraction ``1 - lam`` of the image, ``lam ~ Beta(a, a)`` with ``a``
    drawn from the factor range.

    Args:
        factor: the Beta parameter range (a number ``f`` in [0, 1]: ``[0, f]``).
        seed: an int seed for the layer's ``SeedGenerator``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._factor_range(factor, "factor", (0, 1))
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        n = self._batch_size(images)
        height, width = self._image_size(images)
        seed = self._seed(seed)
        dtype = self.compute_dtype
        a = random.uniform((), self.factor[0], self.factor[1], seed=seed, dtype=dtype) + 1e-6
        lam = random.beta((n,), a, a, seed=seed, dtype=dtype)
        ratio = ops.sqrt(1.0 - lam)
        masks, area = box_masks(self, n, height, width, ratio, ratio, seed, dtype)
        order = random.shuffle(ops.arange(n, dtype="int32"), seed=seed)
        return {"permutation_order": order, "batch_masks": masks, "mix_weight": 1.0 - area}

    def _transform_images(self, images, transformation, interpolation):
        other = ops.take(images, transformation["permutation_order"], axis=0)
        return ops.where(transformation["batch_masks"], other, images)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        labels = ops.cast(labels, self.compute_dtype)
        w = ops.reshape(ops.cast(transformation["mix_weight"], labels.dtype), (-1, 1))
        return w * labels + (1.0 - w) * ops.take(labels, transformation["permutation_order"],
                                                 axis=0)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "seed": self.seed})
        return cfg
