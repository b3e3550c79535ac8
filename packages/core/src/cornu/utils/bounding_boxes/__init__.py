"""``cornu.utils.bounding_boxes``: bounding-box utilities (``keras.utils.bounding_boxes``).

Format conversion (``convert_format``: ``"xyxy"``, ``"yxyx"``, ``"xywh"``,
``"center_xywh"``, ``"center_yxhw"`` and the ``"rel_*"`` variants), clipping, cropping,
padding and affine transforms of boxes, anchor deltas and IoUs, on ``cornu.ops``.
"""
from cornu.utils.bounding_boxes.converters import (
    SUPPORTED_FORMATS,
    affine_transform,
    clip_to_image_size,
    convert_format,
    crop,
    decode_deltas_to_boxes,
    encode_box_to_deltas,
    pad,
)
from cornu.utils.bounding_boxes.iou import compute_ciou, compute_iou

__all__ = [
    "affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou",
    "convert_format", "crop", "decode_deltas_to_boxes", "encode_box_to_deltas", "pad",
]
