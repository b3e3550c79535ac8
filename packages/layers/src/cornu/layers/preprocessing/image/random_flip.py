"""``RandomFlip``: flip images horizontally and/or vertically during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image import bounding_boxes as bbox
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(BaseImagePreprocessingLayer):
    """Flips each image with probability 1/2 (identity at inference).

    Args:
        mode: ``"horizontal"`` (left-right), ``"vertical"`` (up-down) or
            ``"horizontal_and_vertical"`` (default; as in Keras one coin per image
            decides both flips).
        seed: an int seed for the layer's ``SeedGenerator``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.mode = self._check_choice(mode, "mode",
                                       (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL))
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        coins = random.uniform((self._batch_size(images),), seed=self._seed(seed))
        return {"flips": ops.less_equal(coins, 0.5), "input_size": self._image_size(images)}

    def _transform_images(self, images, transformation, interpolation):
        flips = ops.reshape(transformation["flips"], (-1, 1, 1, 1))
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            images = ops.where(flips, ops.flip(images, axis=self._width_axis), images)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            images = ops.where(flips, ops.flip(images, axis=self._height_axis), images)
        return images

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = transformation["input_size"]
        boxes = bbox.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                    "xyxy", height, width)
        h = ops.cast(height, boxes.dtype)
        w = ops.cast(width, boxes.dtype)
        flips = ops.reshape(transformation["flips"], (-1, 1))
        x1, y1, x2, y2 = [boxes[..., i] for i in range(4)]
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            x1, x2 = ops.where(flips, w - x2, x1), ops.where(flips, w - x1, x2)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            y1, y2 = ops.where(flips, h - y2, y1), ops.where(flips, h - y1, y2)
        boxes = bbox.clip_to_image(ops.stack([x1, y1, x2, y2], axis=-1), height, width)
        out = dict(bounding_boxes)
        out["boxes"] = bbox.convert_format(boxes, "xyxy", self.bounding_box_format, height,
                                           width)
        return out

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"seed": self.seed, "mode": self.mode})
        return cfg
