"""``MaxNumBoundingBoxes``: pad or truncate the bounding boxes to a fixed count."""
from cornu import ops
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)


class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Makes ``bounding_boxes["boxes"]`` ``(batch, max_number, 4)`` and
    ``bounding_boxes["labels"]`` ``(batch, max_number)``: extra boxes are dropped,
    missing ones are filled with ``fill_value`` (always applied; images pass).

    Args:
        max_number: the number of boxes per image.
        fill_value: the value of the padding boxes and labels (default -1).
    """

    _USE_BASE_FACTOR = False
    _RANDOM = False

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_number, bool) or not isinstance(max_number, int) or max_number < 1:
            raise ValueError("MaxNumBoundingBoxes: the `max_number` argument must be a "
                             f"positive int, received max_number={max_number!r}")
        self.max_number = max_number
        self.fill_value = int(fill_value)

    def _call_dict(self, data, training):
        if "bounding_boxes" in data and not self.bounding_box_format:
            self.bounding_box_format = "xyxy"  # the format does not matter here
        return super()._call_dict(data, training)

    def transform_images(self, images, transformation=None, training=True):
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation=None,
                                     training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        extra = set(bounding_boxes) - {"boxes", "labels"}
        if extra:
            raise KeyError(f"MaxNumBoundingBoxes: bounding_boxes may only have 'boxes' "
                           f"and 'labels', received extra keys {sorted(extra)}")
        out = {}
        for key, value in bounding_boxes.items():
            count = value.shape[1]
            if count >= self.max_number:
                out[key] = value[:, :self.max_number]
            else:
                pad = [[0, 0], [0, self.max_number - count]] + [[0, 0]] * (len(value.shape) - 2)
                out[key] = ops.pad(value, pad, constant_values=self.fill_value)
        return out

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            shape = dict(input_shape)
            boxes = dict(shape["bounding_boxes"])
            for key in ("boxes", "labels"):
                if key in boxes:
                    s = list(boxes[key])
                    s[1] = self.max_number
                    boxes[key] = tuple(s)
            shape["bounding_boxes"] = boxes
            return shape
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"max_number": self.max_number, "fill_value": self.fill_value})
        return cfg
