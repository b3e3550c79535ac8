"""Intersection over union of bounding boxes (``keras.utils.bounding_boxes``' iou)."""
import math

from cornu import config, ops
from cornu.utils.bounding_boxes import converters
from cornu.utils.bounding_boxes.converters import _tensor

__all__ = ["compute_ciou", "compute_iou"]


def _compute_area(box):
    """``[N]`` or ``[batch, N]`` areas of ``yxyx`` boxes."""
    y_min, x_min, y_max, x_max = ops.split(box[..., :4], 4, axis=-1)
    return ops.squeeze((y_max - y_min) * (x_max - x_min), axis=-1)


def _compute_intersection(boxes1, boxes2):
    """``[N, M]`` or ``[batch, N, M]`` intersection areas of ``yxyx`` boxes."""
    y_min1, x_min1, y_max1, x_max1 = ops.split(boxes1[..., :4], 4, axis=-1)
    y_min2, x_min2, y_max2, x_max2 = ops.split(boxes2[..., :4], 4, axis=-1)
    boxes2_rank = len(boxes2.shape)
    perm = [1, 0] if boxes2_rank == 2 else [0, 2, 1]
    intersect_ymax = ops.minimum(y_max1, ops.transpose(y_max2, perm))
    intersect_ymin = ops.maximum(y_min1, ops.transpose(y_min2, perm))
    intersect_xmax = ops.minimum(x_max1, ops.transpose(x_max2, perm))
    intersect_xmin = ops.maximum(x_min1, ops.transpose(x_min2, perm))
    intersect_height = intersect_ymax - intersect_ymin
    intersect_width = intersect_xmax - intersect_xmin
    zeros_t = ops.cast(0, intersect_height.dtype)
    intersect_height = ops.maximum(zeros_t, intersect_height)
    intersect_width = ops.maximum(zeros_t, intersect_width)
    return intersect_height * intersect_width


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1,
                image_shape=None):
    """The pairwise IoU of two sets of boxes.

    ``boxes1`` ``[M, 4]`` or ``[batch, M, 4]`` and ``boxes2`` ``[N, 4]`` or
    ``[batch, N, 4]`` give ``[M, N]`` when both are unbatched, ``[batch, M, N]``
    otherwise.

    Args:
        boxes1: the first boxes.
        boxes2: the second boxes.
        bounding_box_format: the format of both (see ``convert_format``).
        use_masking: give ``mask_val`` to the pairs where a box has all four
            coordinates negative (padding).
        mask_val: the value of the masked pairs (-1).
        image_shape: ``(height, width, channels)``, required for relative formats.

    Raises:
        ValueError: for boxes of another rank than 2 or 3, or a relative format without
            ``image_shape``.
    """
    boxes1 = _tensor(boxes1)
    boxes2 = _tensor(boxes2)
    boxes1_rank = len(ops.shape(boxes1))
    boxes2_rank = len(ops.shape(boxes2))
    if boxes1_rank not in [2, 3]:
        raise ValueError(
            "compute_iou() expects boxes1 to be batched, or to be unbatched. "
            f"Received len(boxes1.shape)={boxes1_rank}, "
            f"len(boxes2.shape)={boxes2_rank}. Expected either "
            "len(boxes1.shape)=2 AND or len(boxes1.shape)=3."
        )
    if boxes2_rank not in [2, 3]:
        raise ValueError(
            "compute_iou() expects boxes2 to be batched, or to be unbatched. "
            f"Received len(boxes1.shape)={boxes1_rank}, "
            f"len(boxes2.shape)={boxes2_rank}. Expected either "
            "len(boxes2.shape)=2 AND or len(boxes2.shape)=3."
        )
    target_format = "yxyx"
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) "
            "the `image_shape` argument must be provided."
            f"Received `image_shape`: {image_shape}"
        )
    height, width = (None, None) if image_shape is None else image_shape[:2]
    boxes1 = converters.convert_format(boxes1, source=bounding_box_format,
                                       target=target_format, height=height, width=width)
    boxes2 = converters.convert_format(boxes2, source=bounding_box_format,
                                       target=target_format, height=height, width=width)

    intersect_area = _compute_intersection(boxes1, boxes2)
    boxes1_area = _compute_area(boxes1)
    boxes2_area = _compute_area(boxes2)
    boxes2_area_rank = len(boxes2_area.shape)
    boxes2_axis = 1 if (boxes2_area_rank == 2) else 0
    boxes1_area = ops.expand_dims(boxes1_area, axis=-1)
    boxes2_area = ops.expand_dims(boxes2_area, axis=boxes2_axis)
    union_area = boxes1_area + boxes2_area - intersect_area
    res = ops.divide(intersect_area, union_area + config.epsilon())

    if not use_masking:
        return res
    # (Keras picks this permutation by boxes1's rank, which fails for mixed ranks.)
    perm = [1, 0] if boxes2_rank == 2 else [0, 2, 1]
    mask_val_t = ops.cast(mask_val, res.dtype) * ops.ones_like(res)
    boxes1_mask = ops.less(ops.max(boxes1, axis=-1, keepdims=True), 0.0)
    boxes2_mask = ops.less(ops.max(boxes2, axis=-1, keepdims=True), 0.0)
    background_mask = ops.logical_or(boxes1_mask, ops.transpose(boxes2_mask, perm))
    return ops.where(background_mask, mask_val_t, res)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """The Complete IoU (CIoU) of boxes, pair by pair along the leading axes.

    CIoU is the IoU minus the normalised squared distance between the box centres and
    an aspect-ratio consistency term: ``iou - (rho^2 / c^2 + alpha * v)``.

    Args:
        boxes1: ``(..., 4)`` boxes.
        boxes2: ``(..., 4)`` boxes, broadcastable against ``boxes1``.
        bounding_box_format: the format of both; relative formats are refused (as in
            Keras).
        image_shape: ``(height, width, channels)``.

    Returns:
        The CIoU, of shape ``(...)``.
    """
    target_format = "xyxy"
    if "rel" in bounding_box_format:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) "
            "the `image_shape` argument must be provided."
            f"Received `image_shape`: {image_shape}"
        )
    height, width = (None, None) if image_shape is None else image_shape[:2]
    boxes1 = converters.convert_format(boxes1, source=bounding_box_format,
                                       target=target_format, height=height, width=width)
    boxes2 = converters.convert_format(boxes2, source=bounding_box_format,
                                       target=target_format, height=height, width=width)
    eps = config.epsilon()

    x_min1, y_min1, x_max1, y_max1 = ops.split(boxes1[..., :4], 4, axis=-1)
    x_min2, y_min2, x_max2, y_max2 = ops.split(boxes2[..., :4], 4, axis=-1)

    width_1 = x_max1 - x_min1
    height_1 = y_max1 - y_min1 + eps
    width_2 = x_max2 - x_min2
    height_2 = y_max2 - y_min2 + eps

    intersection_area = ops.maximum(
        ops.minimum(x_max1, x_max2) - ops.maximum(x_min1, x_min2), 0
    ) * ops.maximum(ops.minimum(y_max1, y_max2) - ops.maximum(y_min1, y_min2), 0)
    union_area = width_1 * height_1 + width_2 * height_2 - intersection_area + eps
    iou = ops.squeeze(ops.divide(intersection_area, union_area + eps), axis=-1)

    convex_width = ops.maximum(x_max1, x_max2) - ops.minimum(x_min1, x_min2)
    convex_height = ops.maximum(y_max1, y_max2) - ops.minimum(y_min1, y_min2)
    convex_diagonal_squared = ops.squeeze(convex_width**2 + convex_height**2 + eps, axis=-1)
    centers_distance_squared = ops.squeeze(
        ((x_min1 + x_max1) / 2 - (x_min2 + x_max2) / 2) ** 2
        + ((y_min1 + y_max1) / 2 - (y_min2 + y_max2) / 2) ** 2,
        axis=-1,
    )
    v = ops.squeeze(
        (4 / math.pi**2)
        * ops.power((ops.arctan(width_2 / height_2) - ops.arctan(width_1 / height_1)), 2),
        axis=-1,
    )
    alpha = v / (v - iou + (1 + eps))
    return iou - (centers_distance_squared / convex_diagonal_squared + v * alpha)
