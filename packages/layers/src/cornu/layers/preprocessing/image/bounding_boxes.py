"""Bounding-box helpers for the image preprocessing layers (private).

Boxes are ``(batch, num_boxes, 4)`` tensors in one of the Keras formats below; the
layers convert them to absolute ``xyxy`` (pixels; ``x`` along the width), transform and
clip them, and convert them back.  The box math is cornu-core's
(``cornu.utils.bounding_boxes``, Keras's ``keras.utils.bounding_boxes``); this module
adds the layers' argument checks and keeps the boxes' float dtype through conversions.
"""
from cornu import ops
from cornu.utils.bounding_boxes import converters as _boxes

FORMATS = _boxes.SUPPORTED_FORMATS


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


def convert_format(boxes, source, target, height, width):
    """Convert ``boxes`` between two formats (``height``/``width`` for the relative ones),
    in the boxes' own float dtype."""
    if source not in FORMATS or target not in FORMATS:
        bad = source if source not in FORMATS else target
        raise ValueError(f"unknown bounding box format {bad!r}; expected one of {FORMATS}")
    # dtype=None: the boxes' float dtype (Keras's function casts to float32).
    return _boxes.convert_format(boxes, source, target, height=height, width=width,
                                 dtype=None)


def clip_to_image(boxes, height, width):
    """Absolute xyxy boxes clipped to the image."""
    return _boxes.clip_to_image_size({"boxes": boxes}, height=height, width=width)["boxes"]


def affine_boxes(boxes, transforms):
    """Absolute xyxy boxes moved with an image warped by the output->input
    ``transforms`` (batch, 8): the box of the four mapped corners."""
    return _boxes.transform_with_matrix(boxes, transforms)
