"""``MixUp``: blend pairs of images (and their labels) during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)


class MixUp(BaseImagePreprocessingLayer):
    """``w * x + (1 - w) * x[perm]`` for a random permutation of the batch and
    ``w ~ Beta(alpha, alpha)`` per image; labels (one-hot / soft) mix the same way.

    Args:
        alpha: the Beta distribution's parameter (default 0.2).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: an int seed for the layer's ``SeedGenerator``.

    Bounding boxes pass unchanged; segmentation masks mix like the images.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ValueError(f"MixUp: the `alpha` argument must be a positive number, "
                             f"received alpha={alpha!r}")
        self.alpha = alpha
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        seed = self._seed(seed)
        order = random.shuffle(ops.arange(n, dtype="int32"), seed=seed)
        weight = random.beta((n,), self.alpha, self.alpha, seed=seed)
        return {"permutation_order": order, "mix_weight": weight}

    def _mix(self, x, transformation):
        w = ops.cast(transformation["mix_weight"], x.dtype)
        w = ops.reshape(w, (-1,) + (1,) * (len(x.shape) - 1))
        return w * x + (1.0 - w) * ops.take(x, transformation["permutation_order"], axis=0)

    def _transform_images(self, images, transformation, interpolation):
        return self._mix(images, transformation)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        return self._mix(ops.cast(labels, self.compute_dtype), transformation)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._mix(ops.cast(segmentation_masks, self.compute_dtype), transformation)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"alpha": self.alpha, "seed": self.seed})
        return cfg
