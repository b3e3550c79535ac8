"""``Resizing``: resize images to a fixed size (always applied, training or not)."""
from cornu import ops
from cornu.layers.preprocessing.image import bounding_boxes as bbox
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)

_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")


class Resizing(BaseImagePreprocessingLayer):
    """Resizes images to ``(height, width)`` with ``ops.image.resize``.

    Args:
        height, width: the output size.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``, ``"area"``
            (``"lanczos3"``/``"lanczos5"`` on TensorFlow only).
        crop_to_aspect_ratio: crop the largest centred window of the target aspect ratio
            first (no distortion).
        pad_to_aspect_ratio: pad to the target aspect ratio first (with ``fill_value``).
        fill_mode, fill_value: the padding (only ``"constant"``).
        antialias: antialias when downsampling.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    The output has the layer's compute dtype (float32 by default), as in Keras.
    """

    _USE_BASE_FACTOR = False
    _RANDOM = False

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = int(height)
        self.width = int(width)
        self.interpolation = self._check_choice(interpolation, "interpolation",
                                                _INTERPOLATIONS)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: only one of crop_to_aspect_ratio and "
                             "pad_to_aspect_ratio can be True")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = self._check_choice(fill_mode, "fill_mode", ("constant",))
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def get_random_transformation(self, data, training=True, seed=None):
        return self._image_size(self._images_of(data))

    def _resize(self, images, interpolation):
        return ops.image.resize(
            images, (self.height, self.width), interpolation=interpolation,
            antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
            fill_value=self.fill_value, data_format=self.data_format,
        )

    def transform_images(self, images, transformation=None, training=True):
        return ops.cast(self._resize(images, self.interpolation), self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None,
                                     training=True):
        return self._resize(segmentation_masks, "nearest")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        in_h, in_w = transformation
        boxes = bbox.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                    "xyxy", in_h, in_w)
        in_h = ops.cast(in_h, boxes.dtype)
        in_w = ops.cast(in_w, boxes.dtype)
        sy, sx = self.height / in_h, self.width / in_w
        ox = oy = 0.0
        if self.pad_to_aspect_ratio:
            s = ops.minimum(sy, sx)
            sy = sx = s
            oy = (self.height - in_h * s) / 2
            ox = (self.width - in_w * s) / 2
        elif self.crop_to_aspect_ratio:
            s = ops.maximum(sy, sx)
            sy = sx = s
            oy = (self.height - in_h * s) / 2
            ox = (self.width - in_w * s) / 2
        x1, y1, x2, y2 = [boxes[..., i] for i in range(4)]
        boxes = ops.stack([x1 * sx + ox, y1 * sy + oy, x2 * sx + ox, y2 * sy + oy], axis=-1)
        boxes = bbox.clip_to_image(boxes, self.height, self.width)
        out = dict(bounding_boxes)
        out["boxes"] = bbox.convert_format(boxes, "xyxy", self.bounding_box_format,
                                           self.height, self.width)
        return out

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self._height_axis] = self.height
        shape[self._width_axis] = self.width
        return tuple(shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "height": self.height, "width": self.width, "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
            "fill_value": self.fill_value, "antialias": self.antialias,
        })
        return cfg
