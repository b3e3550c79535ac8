"""Shared base of the colour layers: geometry untouched, so segmentation masks and
bounding boxes pass through unchanged."""
from cornu import ops, random
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)


class BaseColorLayer(BaseImagePreprocessingLayer):
    _USE_BASE_FACTOR = False

    def _init_random(self, seed):
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if training and transformation is not None:
            images = self._transform_images(images, transformation, None)
        return images

    def _probability_mask(self, n, seed):
        """(n,) booleans: apply with a probability drawn from ``self.factor``."""
        probability = random.uniform((n,), self.factor[0], self.factor[1], seed=seed)
        return random.uniform((n,), seed=seed) < probability
