"""Bounding-box format conversion and geometry (``keras.utils.bounding_boxes``' converters).

Boxes are ``(..., 4)`` tensors (``(num_boxes, 4)`` or ``(batch, num_boxes, 4)``), or a
``{"boxes", "labels", ...}`` dict whose ``"boxes"`` entry is one, in one of the formats
of ``SUPPORTED_FORMATS`` (case-insensitive; ``x`` runs along the image width):

* ``"xyxy"`` ``[left, top, right, bottom]``, ``"yxyx"`` ``[top, left, bottom, right]``,
* ``"xywh"`` ``[left, top, width, height]``,
* ``"center_xywh"`` ``[center_x, center_y, width, height]``,
  ``"center_yxhw"`` ``[center_y, center_x, height, width]``,
* ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"``: the same, as
  fractions of the image ``width`` and ``height``.

Everything runs on ``cornu.ops`` (so on the backend, eagerly or traced); the formulas
are Keras 3's, operation for operation, so results agree with Keras bit for bit on the
same backend.  cornu-layers' image preprocessing layers move their boxes with these
functions too (``transform_with_matrix`` is theirs: boxes through an image warp).
"""
import math

import numpy as np

from cornu import config, ops

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)

__all__ = [
    "affine_transform", "clip_to_image_size", "convert_format", "crop",
    "decode_deltas_to_boxes", "encode_box_to_deltas", "pad",
]


def _tensor(x):
    """``x`` as a backend tensor (numpy arrays, lists and scalars converted; a backend
    or symbolic tensor as it is)."""
    if isinstance(x, (np.ndarray, np.generic, list, tuple, int, float)):
        return ops.convert_to_tensor(x)
    return x


def _split4(boxes):
    return ops.split(boxes, 4, axis=-1)


def _join(parts):
    return ops.concatenate(list(parts), axis=-1)


# -- format conversion -----------------------------------------------------------------
# To and from absolute xyxy; each takes and returns (..., 4) and gets (height, width).
def _xyxy_to_xyxy(boxes, height=None, width=None):
    return boxes


def _yxyx_to_xyxy(boxes, height=None, width=None):
    y1, x1, y2, x2 = _split4(boxes)
    return _join([x1, y1, x2, y2])


def _xywh_to_xyxy(boxes, height=None, width=None):
    x1, y1, w, h = _split4(boxes)
    return _join([x1, y1, x1 + w, y1 + h])


def _center_xywh_to_xyxy(boxes, height=None, width=None):
    cx, cy, w, h = _split4(boxes)
    half_w, half_h = w / 2.0, h / 2.0
    return _join([cx - half_w, cy - half_h, cx + half_w, cy + half_h])


def _center_yxhw_to_xyxy(boxes, height=None, width=None):
    cy, cx, h, w = _split4(boxes)
    half_w, half_h = w / 2.0, h / 2.0
    return _join([cx - half_w, cy - half_h, cx + half_w, cy + half_h])


def _rel_xyxy_to_xyxy(boxes, height=None, width=None):
    x1, y1, x2, y2 = _split4(boxes)
    return _join([x1 * width, y1 * height, x2 * width, y2 * height])


def _rel_yxyx_to_xyxy(boxes, height=None, width=None):
    y1, x1, y2, x2 = _split4(boxes)
    return _join([x1 * width, y1 * height, x2 * width, y2 * height])


def _rel_xywh_to_xyxy(boxes, height=None, width=None):
    x1, y1, w, h = _split4(boxes)
    return _join([x1 * width, y1 * height, (x1 + w) * width, (y1 + h) * height])


def _rel_center_xywh_to_xyxy(boxes, height=None, width=None):
    cx, cy, w, h = _split4(boxes)
    half_w, half_h = w / 2.0, h / 2.0
    return _join([(cx - half_w) * width, (cy - half_h) * height,
                  (cx + half_w) * width, (cy + half_h) * height])


def _xyxy_to_yxyx(boxes, height=None, width=None):
    x1, y1, x2, y2 = _split4(boxes)
    return _join([y1, x1, y2, x2])


def _xyxy_to_xywh(boxes, height=None, width=None):
    x1, y1, x2, y2 = _split4(boxes)
    return _join([x1, y1, x2 - x1, y2 - y1])


def _xyxy_to_center_xywh(boxes, height=None, width=None):
    x1, y1, x2, y2 = _split4(boxes)
    return _join([x1 + ((x2 - x1) / 2.0), y1 + ((y2 - y1) / 2.0), x2 - x1, y2 - y1])


def _xyxy_to_center_yxhw(boxes, height=None, width=None):
    x1, y1, x2, y2 = _split4(boxes)
    return _join([y1 + ((y2 - y1) / 2.0), x1 + ((x2 - x1) / 2.0), y2 - y1, x2 - x1])


def _xyxy_to_rel_xyxy(boxes, height=None, width=None):
    x1, y1, x2, y2 = _split4(boxes)
    return _join([ops.divide(x1, width), ops.divide(y1, height),
                  ops.divide(x2, width), ops.divide(y2, height)])


def _xyxy_to_rel_yxyx(boxes, height=None, width=None):
    x1, y1, x2, y2 = _split4(boxes)
    return _join([ops.divide(y1, height), ops.divide(x1, width),
                  ops.divide(y2, height), ops.divide(x2, width)])


def _xyxy_to_rel_xywh(boxes, height=None, width=None):
    x1, y1, x2, y2 = _split4(boxes)
    return _join([x1 / width, y1 / height, (x2 - x1) / width, (y2 - y1) / height])


def _xyxy_to_rel_center_xywh(boxes, height=None, width=None):
    x1, y1, x2, y2 = _split4(boxes)
    return _join([(x1 + ((x2 - x1) / 2.0)) / width, (y1 + ((y2 - y1) / 2.0)) / height,
                  (x2 - x1) / width, (y2 - y1) / height])


_TO_XYXY = {
    "xyxy": _xyxy_to_xyxy,
    "yxyx": _yxyx_to_xyxy,
    "xywh": _xywh_to_xyxy,
    "center_xywh": _center_xywh_to_xyxy,
    "center_yxhw": _center_yxhw_to_xyxy,
    "rel_xyxy": _rel_xyxy_to_xyxy,
    "rel_yxyx": _rel_yxyx_to_xyxy,
    "rel_xywh": _rel_xywh_to_xyxy,
    "rel_center_xywh": _rel_center_xywh_to_xyxy,
}
_FROM_XYXY = {
    "xyxy": _xyxy_to_xyxy,
    "yxyx": _xyxy_to_yxyx,
    "xywh": _xyxy_to_xywh,
    "center_xywh": _xyxy_to_center_xywh,
    "center_yxhw": _xyxy_to_center_yxhw,
    "rel_xyxy": _xyxy_to_rel_xyxy,
    "rel_yxyx": _xyxy_to_rel_yxyx,
    "rel_xywh": _xyxy_to_rel_xywh,
    "rel_center_xywh": _xyxy_to_rel_center_xywh,
}


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Converts bounding boxes between formats.

    Args:
        boxes: a ``(..., 4)`` tensor/array, or a dict whose ``"boxes"`` entry is one
            (the other entries, ``"labels"`` included, are passed through).
        source: the format of ``boxes`` (one of ``SUPPORTED_FORMATS``, any case).
        target: the format to convert to.
        height: the image height, required when either format is relative.
        width: the image width, required when either format is relative.
        dtype: the dtype of the result (boxes are cast to it first); ``"float32"`` by
            default.

    Returns:
        The converted boxes; for a dict input a new dict with ``"boxes"`` replaced
        (Keras writes the converted boxes into the dict it is given; cornu leaves the
        caller's dict alone).

    Raises:
        ValueError: if the last dimension is not 4, a format is unknown, or a relative
            format is asked for without ``height`` and ``width``.

    Example:

    >>> boxes = np.array([[10, 20, 30, 40], [50, 60, 70, 80]])
    >>> convert_format(boxes, source="xyxy", target="xywh")  # [[10, 20, 20, 20], ...]
    """
    if isinstance(boxes, dict):
        out = dict(boxes)
        out["boxes"] = convert_format(boxes["boxes"], source=source, target=target,
                                      height=height, width=width, dtype=dtype)
        return out
    boxes = _tensor(boxes)
    boxes_shape = ops.shape(boxes)
    if boxes_shape[-1] != 4:
        raise ValueError(
            "`boxes` must be a tensor with the last dimension of 4. "
            f"Received: boxes.shape={boxes_shape}"
        )
    source = source.lower()
    target = target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(
            f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}"
        )
    if (source.startswith("rel_") or target.startswith("rel_")) and (
        width is None or height is None
    ):
        raise ValueError(
            "convert_format() must receive `height` and `width` "
            "transforming between relative and absolute formats."
            f"convert_format() received source=`{source}`, "
            f"target=`{target}, "
            f"but height={height} and width={width}."
        )
    if dtype is None:
        dtype = ops.standardize_dtype(boxes.dtype)
        if "float" not in dtype:
            dtype = config.floatx()
    boxes = ops.cast(boxes, dtype)
    if source == target:
        return boxes
    if width is not None:
        width = ops.cast(width, dtype)
    if height is not None:
        height = ops.cast(height, dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        # relative to relative: no need for the image size
        source = source.replace("rel_", "", 1)
        target = target.replace("rel_", "", 1)
    return _FROM_XYXY[target](_TO_XYXY[source](boxes, height, width), height, width)


# -- clipping, cropping, padding -------------------------------------------------------
def _area_xyxy(boxes):
    x1, y1, x2, y2 = _split4(boxes)
    return (x2 - x1) * (y2 - y1)


def clip_to_image_size(bounding_boxes, height=None, width=None,
                       bounding_box_format="xyxy"):
    """Clips bounding boxes to the image.

    Args:
        bounding_boxes: a dict with ``"boxes"`` (``(N, 4)`` or ``(batch, N, 4)``) and
            optionally ``"labels"`` (``(N,)`` or ``(batch, N)``).
        height: the image height (required for ``"xyxy"``).
        width: the image width (required for ``"xyxy"``).
        bounding_box_format: ``"xyxy"`` (clipped to ``[0, width] x [0, height]``) or
            ``"rel_xyxy"`` (clipped to ``[0, 1]``).

    Returns:
        A new dict with the clipped boxes; the labels of boxes left with no area
        become ``-1``.

    Raises:
        NotImplementedError: for another ``bounding_box_format``.
        ValueError: for ``"xyxy"`` without ``height`` and ``width``.
    """
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise TypeError(
            "clip_to_image_size() expects `bounding_boxes` to be a dict with a 'boxes' "
            f"key (and usually 'labels'). Received: {type(bounding_boxes).__name__}"
        )
    boxes = _tensor(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels", None)
    if bounding_box_format == "xyxy":
        upper_x = ops.cast(width, boxes.dtype)
        upper_y = ops.cast(height, boxes.dtype)
    else:
        upper_x = upper_y = 1.0
    x1, y1, x2, y2 = _split4(boxes)
    boxes = _join([ops.clip(x1, 0, upper_x), ops.clip(y1, 0, upper_y),
                   ops.clip(x2, 0, upper_x), ops.clip(y2, 0, upper_y)])
    if labels is not None:
        areas = ops.squeeze(_area_xyxy(boxes), axis=-1)
        labels = ops.where(areas > 0, _tensor(labels), -1)
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    if labels is not None:
        result["labels"] = labels
    return result


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Moves ``xyxy`` boxes into the crop at ``(top, left)`` of size ``height x width``.

    The boxes are shifted by ``(-left, -top)`` and clipped to ``[0, width] x
    [0, height]`` (a None ``height`` or ``width`` leaves that side unclipped).

    Raises:
        NotImplementedError: for a ``bounding_box_format`` other than ``"xyxy"``.
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError
    x1, y1, x2, y2 = _split4(_tensor(boxes))
    x1, y1, x2, y2 = x1 - left, y1 - top, x2 - left, y2 - top
    if width is not None:
        x1, x2 = ops.clip(x1, 0, width), ops.clip(x2, 0, width)
    else:
        x1, x2 = ops.maximum(x1, 0), ops.maximum(x2, 0)
    if height is not None:
        y1, y2 = ops.clip(y1, 0, height), ops.clip(y2, 0, height)
    else:
        y1, y2 = ops.maximum(y1, 0), ops.maximum(y2, 0)
    return _join([x1, y1, x2, y2])


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Moves ``xyxy`` boxes into an image padded by ``top`` rows and ``left`` columns.

    ``height`` and ``width`` (the padded size) are accepted for Keras's signature and
    not needed.

    Raises:
        NotImplementedError: for a ``bounding_box_format`` other than ``"xyxy"``.
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError
    x1, y1, x2, y2 = _split4(_tensor(boxes))
    return _join([x1 + left, y1 + top, x2 + left, y2 + top])


# -- affine transforms -----------------------------------------------------------------
def _inverse_affine_matrix(center_x, center_y, angle, translate_x, translate_y, scale,
                           shear_x, shear_y, height, width):
    """(batch, 3, 3): Keras's (TensorFlow's ``_get_inverse_affine_matrix``) matrix."""
    batch_size = ops.shape(angle)[0]
    dtype = angle.dtype
    angle = -angle
    shear_x = -shear_x
    shear_y = -shear_y

    cx = ops.multiply(center_x, (width - 1))
    cy = ops.multiply(center_y, (height - 1))
    rot = ops.multiply(angle, 1.0 / 180.0 * math.pi)
    tx = ops.multiply(-translate_x, (width - 1))
    ty = ops.multiply(-translate_y, (height - 1))
    sx = ops.multiply(shear_x, 1.0 / 180.0 * math.pi)
    sy = ops.multiply(shear_y, 1.0 / 180.0 * math.pi)

    cos_sy = ops.cos(sy)
    tan_sx = ops.tan(sx)
    rot_minus_sy = rot - sy
    cx_plus_tx = cx + tx
    cy_plus_ty = cy + ty

    # rotation-scale-shear without the scale
    a = ops.cos(rot_minus_sy) / cos_sy
    b = a * tan_sx + ops.sin(rot)
    c = -ops.sin(rot_minus_sy) / cos_sy
    d = ops.cos(rot) - c * tan_sx

    # its inverse (the determinant is 1), scaled
    a0 = ops.multiply(d, scale)
    a1 = ops.multiply(-b, scale)
    b0 = ops.multiply(-c, scale)
    b1 = ops.multiply(a, scale)
    a2 = cx - a0 * cx_plus_tx - a1 * cy_plus_ty
    b2 = cy - b0 * cx_plus_tx - b1 * cy_plus_ty

    matrix = ops.stack(
        [a0, a1, a2, b0, b1, b2, ops.zeros([batch_size], dtype),
         ops.zeros([batch_size], dtype), ops.ones([batch_size], dtype)],
        axis=-1,
    )
    return ops.reshape(matrix, [batch_size, 3, 3])


def _float_tensor(x):
    x = ops.convert_to_tensor(x)
    if "float" not in ops.standardize_dtype(x.dtype):
        x = ops.cast(x, config.floatx())
    return x


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y,
                     height, width, center_x=None, center_y=None,
                     bounding_box_format="xyxy"):
    """Applies an affine transformation (one per image) to ``xyxy`` boxes.

    Each box becomes the bounding box of its four transformed corners.

    Args:
        boxes: ``(batch, N, 4)`` boxes (an unbatched ``(N, 4)`` is taken as a batch of
            one).
        angle: ``(batch,)`` rotation angles in degrees.
        translate_x: ``(batch,)`` horizontal translations, as fractions of the width.
        translate_y: ``(batch,)`` vertical translations, as fractions of the height.
        scale: ``(batch,)`` scaling factors.
        shear_x: ``(batch,)`` shear angles along x, in degrees.
        shear_y: ``(batch,)`` shear angles along y, in degrees.
        height: the image height.
        width: the image width.
        center_x: the x of the transformation centre, a fraction (0.5 when None).
        center_y: the y of the transformation centre, a fraction (0.5 when None).
        bounding_box_format: only ``"xyxy"``.

    Returns:
        The transformed boxes, shaped as ``boxes``.

    Raises:
        NotImplementedError: for a ``bounding_box_format`` other than ``"xyxy"``.
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError
    angle = _float_tensor(angle)
    dtype = ops.standardize_dtype(angle.dtype)
    if len(ops.shape(angle)) == 0:
        angle = ops.reshape(angle, (1,))

    def param(x):
        return ops.cast(ops.convert_to_tensor(x), dtype)

    boxes = _tensor(boxes)
    unbatched = len(ops.shape(boxes)) == 2
    if unbatched:
        boxes = ops.expand_dims(boxes, 0)
    boxes_shape = ops.shape(boxes)
    batch_size, n_boxes = boxes_shape[0], boxes_shape[1]
    matrix = _inverse_affine_matrix(
        0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y,
        angle, param(translate_x), param(translate_y), param(scale), param(shear_x),
        param(shear_y), height, width,
    )
    boxes = ops.cast(boxes, dtype)
    transposed = ops.transpose(matrix[:, :2, :], [0, 2, 1])
    points = ops.stack(
        [boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 1],
         boxes[..., 2], boxes[..., 3], boxes[..., 0], boxes[..., 3]],
        axis=-1,
    )
    points = ops.reshape(points, [batch_size, n_boxes, 4, 2])
    points = ops.concatenate(
        [points, ops.ones([batch_size, n_boxes, 4, 1], dtype)], axis=-1)
    moved = ops.einsum("bnxy,byz->bnxz", points, transposed)
    outputs = ops.concatenate([ops.amin(moved, axis=2), ops.amax(moved, axis=2)], axis=-1)
    return outputs[0] if unbatched else outputs


def transform_with_matrix(boxes, transforms):
    """Absolute ``xyxy`` boxes moved with an image warped by ``transforms``.

    ``transforms`` is ``(batch, 8)``, the output -> input projective transforms of
    ``ops.image.affine_transform`` (what cornu-layers' affine augmentation layers
    apply to the images); each box becomes the box of its four mapped corners.  Box
    edges sit half a pixel off the sampling grid (pixel ``i`` covers ``[i, i + 1)``).
    """
    t = ops.cast(transforms, boxes.dtype)
    batch = ops.shape(t)[0]
    ones = ops.ones((batch, 1), dtype=boxes.dtype)
    matrix = ops.reshape(ops.concatenate([t, ones], axis=1), (-1, 3, 3))
    forward = ops.linalg.inv(matrix)  # input -> output
    x1, y1, x2, y2 = [(boxes - 0.5)[..., i] for i in range(4)]
    xs = ops.stack([x1, x2, x1, x2], axis=-1)  # (batch, n, 4 corners)
    ys = ops.stack([y1, y1, y2, y2], axis=-1)
    m = [forward[:, i, j][:, None, None] for i in range(3) for j in range(3)]
    k = m[6] * xs + m[7] * ys + m[8]
    nx = (m[0] * xs + m[1] * ys + m[2]) / k
    ny = (m[3] * xs + m[4] * ys + m[5]) / k
    return ops.stack([ops.min(nx, axis=-1), ops.min(ny, axis=-1),
                      ops.max(nx, axis=-1), ops.max(ny, axis=-1)], axis=-1) + 0.5


# -- anchor deltas ---------------------------------------------------------------------
def _check_variance(variance):
    if variance is None:
        return None
    variance = ops.convert_to_tensor(variance, "float32")
    if variance.shape[-1] != 4:
        raise ValueError(f"`variance` must be length 4, got {variance}")
    return variance


def _image_size(image_shape):
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format,
                         encoding_format="center_yxhw", variance=None, image_shape=None):
    """Encodes boxes as deltas from anchors (offsets and log-scales).

    Both are converted to ``encoding_format`` first; the deltas are
    ``[(center - anchor_center) / anchor_size, log(size / anchor_size)]``.

    Args:
        anchors: ``(N, 4)`` anchor boxes in ``anchor_format``.
        boxes: ``(N, 4)`` or ``(batch, N, 4)`` boxes in ``box_format``.
        anchor_format: the format of ``anchors``.
        box_format: the format of ``boxes``.
        encoding_format: ``"center_yxhw"`` (default) or ``"center_xywh"``.
        variance: 4 factors the deltas are divided by, or None.
        image_shape: ``(height, width, channels)``, for relative formats.

    Raises:
        ValueError: for a ``variance`` not of length 4 or another ``encoding_format``.
    """
    variance = _check_variance(variance)
    if encoding_format not in ["center_xywh", "center_yxhw"]:
        raise ValueError(
            "`encoding_format` should be one of 'center_xywh' or "
            f"'center_yxhw', got {encoding_format}"
        )
    height, width = _image_size(image_shape)
    encoded_anchors = convert_format(anchors, source=anchor_format,
                                     target=encoding_format, height=height, width=width)
    boxes = convert_format(boxes, source=box_format, target=encoding_format,
                           height=height, width=width)
    anchor_dimensions = ops.maximum(encoded_anchors[..., 2:], config.epsilon())
    box_dimensions = ops.maximum(boxes[..., 2:], config.epsilon())
    boxes_delta = ops.concatenate(
        [
            (boxes[..., :2] - encoded_anchors[..., :2]) / anchor_dimensions,
            ops.log(box_dimensions / anchor_dimensions),
        ],
        axis=-1,
    )
    if variance is not None:
        boxes_delta = ops.divide(boxes_delta, variance)
    return boxes_delta


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format,
                           encoded_format="center_yxhw", variance=None, image_shape=None):
    """Decodes deltas from anchors back to boxes in ``box_format``.

    The inverse of ``encode_box_to_deltas``.  ``anchors`` and ``boxes_delta`` may also
    be dicts of the same keys (one entry per feature level): the result is then a dict.

    Args:
        anchors: ``(N, 4)`` anchors in ``anchor_format``, or a dict of them.
        boxes_delta: ``(N, 4)`` or ``(batch, N, 4)`` deltas, or a dict of them.
        anchor_format: the format of ``anchors``.
        box_format: the format of the returned boxes.
        encoded_format: ``"center_yxhw"`` (default) or ``"center_xywh"``.
        variance: 4 factors the deltas are multiplied by, or None.
        image_shape: ``(height, width, channels)``, for relative formats.

    Raises:
        ValueError: for a ``variance`` not of length 4 or another ``encoded_format``.
    """
    variance = _check_variance(variance)
    if encoded_format not in ["center_xywh", "center_yxhw"]:
        raise ValueError(
            f"`encoded_format` should be 'center_xywh' or 'center_yxhw', "
            f"but got '{encoded_format}'."
        )
    height, width = _image_size(image_shape)

    def decode_single_level(anchor, box_delta):
        encoded_anchor = convert_format(anchor, source=anchor_format,
                                        target=encoded_format, height=height, width=width)
        box_delta = _tensor(box_delta)
        if variance is not None:
            box_delta = ops.multiply(box_delta, variance)
        box = ops.concatenate(
            [
                box_delta[..., :2] * encoded_anchor[..., 2:] + encoded_anchor[..., :2],
                ops.exp(box_delta[..., 2:]) * encoded_anchor[..., 2:],
            ],
            axis=-1,
        )
        return convert_format(box, source=encoded_format, target=box_format,
                              height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {lvl: decode_single_level(anchor, boxes_delta[lvl])
                for lvl, anchor in anchors.items()}
    return decode_single_level(anchors, boxes_delta)
