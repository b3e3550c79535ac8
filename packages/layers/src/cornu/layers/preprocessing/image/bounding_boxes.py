"""Bounding-box helpers for the image preprocessing layers (private).

Boxes are ``(batch, num_boxes, 4)`` tensors in one of the Keras formats below; the
layers convert them to absolute ``xyxy`` (pixels; ``x`` along the width), transform and
clip them, and convert them back.
"""
from cornu import ops

FORMATS = (
    "xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw",
    "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh",
)


def check_format(fmt, layer_name):
    if fmt not in FORMATS:
        raise ValueError(
            f"{layer_name}: bounding_box_format must be one of {FORMATS}, received "
            f"bounding_box_format={fmt!r}"
        )


def densify(bounding_boxes, layer_name):
    """``{"boxes", "labels"}`` as dense tensors (lists of equal-length lists work)."""
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise ValueError(
            f"{layer_name}: 'bounding_boxes' must be a dict with a 'boxes' key (and "
            f"usually 'labels'), received {type(bounding_boxes).__name__}"
        )
    out = {}
    for key, value in bounding_boxes.items():
        value = ops.convert_to_tensor(value)
        if key == "boxes":
            if value.shape[-1] != 4:
                raise ValueError(
                    f"{layer_name}: bounding_boxes['boxes'] must end with a dimension of "
                    f"4, received shape {tuple(value.shape)}"
                )
            if "float" not in str(value.dtype):
                value = ops.cast(value, "float32")
        out[key] = value
    return out


def _split(boxes):
    return [boxes[..., i] for i in range(4)]


def convert_format(boxes, source, target, height, width):
    """Convert ``boxes`` between two formats (``height``/``width`` for the relative ones)."""
    if source == target:
        return boxes
    h = ops.cast(height, boxes.dtype)
    w = ops.cast(width, boxes.dtype)
    a, b, c, d = _split(boxes)
    # to absolute xyxy
    if source == "xyxy":
        x1, y1, x2, y2 = a, b, c, d
    elif source == "yxyx":
        y1, x1, y2, x2 = a, b, c, d
    elif source == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif source == "center_xywh":
        x1, y1, x2, y2 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    elif source == "center_yxhw":
        x1, y1, x2, y2 = b - d / 2, a - c / 2, b + d / 2, a + c / 2
    elif source == "rel_xyxy":
        x1, y1, x2, y2 = a * w, b * h, c * w, d * h
    elif source == "rel_yxyx":
        y1, x1, y2, x2 = a * h, b * w, c * h, d * w
    elif source == "rel_xywh":
        x1, y1, x2, y2 = a * w, b * h, (a + c) * w, (b + d) * h
    elif source == "rel_center_xywh":
        x1, y1 = (a - c / 2) * w, (b - d / 2) * h
        x2, y2 = (a + c / 2) * w, (b + d / 2) * h
    else:
        raise ValueError(f"unknown bounding box format {source!r}; expected one of {FORMATS}")
    # from absolute xyxy
    if target == "xyxy":
        parts = (x1, y1, x2, y2)
    elif target == "yxyx":
        parts = (y1, x1, y2, x2)
    elif target == "xywh":
        parts = (x1, y1, x2 - x1, y2 - y1)
    elif target == "center_xywh":
        parts = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    elif target == "center_yxhw":
        parts = ((y1 + y2) / 2, (x1 + x2) / 2, y2 - y1, x2 - x1)
    elif target == "rel_xyxy":
        parts = (x1 / w, y1 / h, x2 / w, y2 / h)
    elif target == "rel_yxyx":
        parts = (y1 / h, x1 / w, y2 / h, x2 / w)
    elif target == "rel_xywh":
        parts = (x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h)
    elif target == "rel_center_xywh":
        parts = ((x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h)
    else:
        raise ValueError(f"unknown bounding box format {target!r}; expected one of {FORMATS}")
    return ops.stack(parts, axis=-1)


def clip_to_image(boxes, height, width):
    """Absolute xyxy boxes clipped to the image."""
    h = ops.cast(height, boxes.dtype)
    w = ops.cast(width, boxes.dtype)
    x1, y1, x2, y2 = _split(boxes)
    return ops.stack([ops.clip(x1, 0.0, w), ops.clip(y1, 0.0, h),
                      ops.clip(x2, 0.0, w), ops.clip(y2, 0.0, h)], axis=-1)


def affine_boxes(boxes, transforms):
    """Absolute xyxy boxes moved with an image warped by the output->input
    ``transforms`` (batch, 8): the box of the four mapped corners."""
    t = ops.cast(transforms, boxes.dtype)
    batch = ops.shape(t)[0]
    ones = ops.ones((batch, 1), dtype=boxes.dtype)
    matrix = ops.reshape(ops.concatenate([t, ones], axis=1), (-1, 3, 3))
    forward = ops.linalg.inv(matrix)  # input -> output
    # Pixel i covers [i, i + 1): box edges sit half a pixel off the sampling grid.
    x1, y1, x2, y2 = _split(boxes - 0.5)
    xs = ops.stack([x1, x2, x1, x2], axis=-1)  # (batch, n, 4 corners)
    ys = ops.stack([y1, y1, y2, y2], axis=-1)
    m = [forward[:, i, j][:, None, None] for i in range(3) for j in range(3)]
    k = m[6] * xs + m[7] * ys + m[8]
    nx = (m[0] * xs + m[1] * ys + m[2]) / k
    ny = (m[3] * xs + m[4] * ys + m[5]) / k
    return ops.stack([ops.min(nx, axis=-1), ops.min(ny, axis=-1),
                      ops.max(nx, axis=-1), ops.max(ny, axis=-1)], axis=-1) + 0.5
