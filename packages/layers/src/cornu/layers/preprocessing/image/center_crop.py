"""``CenterCrop``: crop the central window (always applied)."""
from cornu import ops
from cornu.layers.preprocessing.image import bounding_boxes as bbox
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)


def crop_or_resize(layer, images, height, width, top=None, left=None,
                   interpolation="bilinear"):
    """The ``height x width`` window at (top, left) (centred when None); an image smaller
    than the target is resized after a centred crop to the target aspect ratio."""
    in_h, in_w = layer._image_size(images)
    if isinstance(in_h, int) and isinstance(in_w, int) and (in_h < height or in_w < width):
        return ops.image.resize(images, (height, width), interpolation=interpolation,
                                crop_to_aspect_ratio=True, data_format=layer.data_format)
    top = (in_h - height) // 2 if top is None else top
    left = (in_w - width) // 2 if left is None else left
    if layer.data_format == "channels_last":
        return images[:, top:top + height, left:left + width, :]
    return images[:, :, top:top + height, left:left + width]


def crop_boxes(layer, bounding_boxes, in_h, in_w, top, left, height, width):
    boxes = bbox.convert_format(bounding_boxes["boxes"], layer.bounding_box_format, "xyxy",
                                in_h, in_w)
    top = ops.cast(top, boxes.dtype)
    left = ops.cast(left, boxes.dtype)
    if len(top.shape) == 1:  # one offset per image
        top, left = top[:, None], left[:, None]
    x1, y1, x2, y2 = [boxes[..., i] for i in range(4)]
    boxes = ops.stack([x1 - left, y1 - top, x2 - left, y2 - top], axis=-1)
    boxes = bbox.clip_to_image(boxes, height, width)
    out = dict(bounding_boxes)
    out["boxes"] = bbox.convert_format(boxes, "xyxy", layer.bounding_box_format, height,
                                       width)
    return out


class CenterCrop(BaseImagePreprocessingLayer):
    """Crops the central ``(height, width)`` window of the images.

    An image smaller than the target is first cropped to the target aspect ratio and
    then resized (Keras's ``smart_resize``), so the output always has the target size.

    Args:
        height, width: the output size.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False
    _RANDOM = False

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = int(height)
        self.width = int(width)

    def get_random_transformation(self, data, training=True, seed=None):
        return self._image_size(self._images_of(data))

    def transform_images(self, images, transformation=None, training=True):
        images = ops.cast(images, self.compute_dtype)
        return crop_or_resize(self, images, self.height, self.width)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None,
                                     training=True):
        return crop_or_resize(self, segmentation_masks, self.height, self.width,
                              interpolation="nearest")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        in_h, in_w = transformation
        return crop_boxes(self, bounding_boxes, in_h, in_w, (in_h - self.height) // 2,
                          (in_w - self.width) // 2, self.height, self.width)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self._height_axis] = self.height
        shape[self._width_axis] = self.width
        return tuple(shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width})
        return cfg
