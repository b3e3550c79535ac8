"""Argument checks and size bookkeeping of ``cornu.ops.image``, shared by the backends.

Plain Python only (no framework import): each backend converts its tensors,
passes static shapes (tuples, ``None`` for an unknown size or rank) and sizes in,
and does the tensor work itself.  A size that is a tensor (an unknown dimension
inside a TensorFlow graph) skips the checks that need its value.
"""
import numbers

AFFINE_TRANSFORM_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
SCALE_AND_TRANSLATE_METHODS = (
    "linear", "bilinear", "trilinear", "triangle", "cubic", "bicubic", "tricubic",
    "lanczos3", "lanczos5",
)
_RANK_NAMES = {3: "rank 3 (single image)", 4: "rank 4 (batch of images)",
               5: "rank 5 (batch of volumes)"}


def _known(*values):
    """Whether every value is a Python/numpy number (not a graph tensor)."""
    return all(isinstance(v, numbers.Real) for v in values)


def _shape_text(shape):
    return "<unknown>" if shape is None else str(tuple(shape))


def check_rank(op, shape, ranks=(3, 4), what="images"):
    """``shape``: the static shape as a tuple, or ``None`` for an unknown rank."""
    if shape is None or len(shape) not in ranks:
        expected = " or ".join(_RANK_NAMES.get(r, f"rank {r}") for r in ranks)
        raise ValueError(
            f"{op}: {what} must have {expected}, received shape {_shape_text(shape)}"
        )


def check_interpolation(op, interpolation):
    """The spline order (0 or 1) of a resampling op's ``interpolation``."""
    if interpolation not in AFFINE_TRANSFORM_INTERPOLATIONS:
        raise ValueError(
            f"{op}: interpolation must be one of {tuple(AFFINE_TRANSFORM_INTERPOLATIONS)}, "
            f"received interpolation={interpolation!r}"
        )
    return AFFINE_TRANSFORM_INTERPOLATIONS[interpolation]


def check_fill_mode(op, fill_mode):
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"{op}: fill_mode must be one of {FILL_MODES}, received fill_mode={fill_mode!r}"
        )


def check_resize(size, interpolation, interpolations, fill_mode, crop, pad):
    """``resize``'s arguments checked; returns ``size`` as an ``(height, width)`` tuple."""
    if interpolation not in interpolations:
        raise ValueError(
            f"resize: interpolation must be one of {interpolations}, "
            f"received {interpolation!r}"
        )
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported, received {fill_mode!r}")
    if crop and pad:
        raise ValueError("resize: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
    size = tuple(int(s) for s in size)
    if len(size) != 2:
        raise ValueError(f"resize: size must be (height, width), received {size}")
    return size


def check_points(op, name, shape):
    """``shape``: the static shape of a corner-points argument of ``perspective_transform``."""
    if shape is None or len(shape) not in (2, 3) or tuple(shape[-2:]) != (4, 2):
        raise ValueError(
            f"{op}: {name} must have shape (4, 2) or (batch, 4, 2), received shape "
            f"{_shape_text(shape)}"
        )


def check_same_shape(op, names, shape_a, shape_b):
    if shape_a != shape_b:
        raise ValueError(
            f"{op}: {names[0]} and {names[1]} must have the same shape, "
            f"received {_shape_text(shape_a)} and {_shape_text(shape_b)}"
        )


def _infer_two(op, a, b, total, names):
    """Exactly two of (before, after, target) must be given, none negative."""
    if [a, b, total].count(None) != 1:
        raise ValueError(
            f"{op}: specify exactly two of {', '.join(names)}, received "
            f"{names[0]}={a}, {names[1]}={b}, {names[2]}={total}"
        )
    for name, v in zip(names, (a, b, total)):
        if v is not None and _known(v) and v < 0:
            raise ValueError(f"{op}: {name} must be >= 0, received {name}={v}")
    return a, b, total


def _infer_sides(op, what, top, bottom, target_height, left, right, target_width):
    """``_infer_two`` along the height and the width; ``what``: padding or cropping."""
    return (
        _infer_two(op, top, bottom, target_height,
                   (f"top_{what}", f"bottom_{what}", "target_height")),
        _infer_two(op, left, right, target_width,
                   (f"left_{what}", f"right_{what}", "target_width")),
    )


def _check_nonneg(op, pairs, height, width):
    for name, v in pairs:
        if _known(v) and v < 0:
            raise ValueError(f"{op}: the arguments give {name}={v} (must be >= 0) "
                             f"for images of height {height} and width {width}")


def pad_amounts(height, width, top, bottom, target_height, left, right, target_width):
    """``pad_images``: the ``(top, bottom, left, right)`` padding of ``height x width``
    images from the two of each (before, after, target) the caller gave."""
    (top, bottom, th), (left, right, tw) = _infer_sides(
        "pad_images", "padding", top, bottom, target_height, left, right, target_width)
    top = th - bottom - height if top is None else top
    bottom = th - top - height if bottom is None else bottom
    left = tw - right - width if left is None else left
    right = tw - left - width if right is None else right
    _check_nonneg("pad_images", (("top_padding", top), ("bottom_padding", bottom),
                                 ("left_padding", left), ("right_padding", right)),
                  height, width)
    return top, bottom, left, right


def crop_box(height, width, top, bottom, target_height, left, right, target_width):
    """``crop_images``: the ``(top, height, left, width)`` window of ``height x width``
    images from the two of each (before, after, target) the caller gave."""
    (top, bottom, th), (left, right, tw) = _infer_sides(
        "crop_images", "cropping", top, bottom, target_height, left, right, target_width)
    top = height - th - bottom if top is None else top
    th = height - top - bottom if th is None else th
    left = width - tw - right if left is None else left
    tw = width - left - right if tw is None else tw
    _check_nonneg("crop_images", (("top_cropping", top), ("target_height", th),
                                  ("left_cropping", left), ("target_width", tw)),
                  height, width)
    if _known(top, th, left, tw, height, width) and (top + th > height or left + tw > width):
        raise ValueError(
            f"crop_images: the crop ({top}:{top + th}, {left}:{left + tw}) exceeds images "
            f"of height {height} and width {width}"
        )
    return top, th, left, tw


def patch_size(op, size, n):
    """``size`` of ``extract_patches``/``extract_patches_3d`` as a tuple of ``n`` ints."""
    size = (size,) * n if isinstance(size, int) else tuple(size)
    if len(size) != n:
        raise ValueError(f"{op}: size must be an int or a tuple of {n} ints, received {size}")
    return size


def blur_sizes(kernel_size, sigma):
    """``gaussian_blur``'s ``(kh, kw)`` and ``(sigma_h, sigma_w)``."""
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (sigma, sigma) if isinstance(sigma, (int, float)) else (sigma[0], sigma[1])
    return (kh, kw), (sh, sw)


def scale_and_translate_kernel(method):
    """The resampling kernel (``linear``, ``cubic``, ``lanczos3``, ``lanczos5``) of
    ``scale_and_translate``'s ``method``."""
    if method not in SCALE_AND_TRANSLATE_METHODS:
        raise ValueError(
            f"scale_and_translate: method must be one of {SCALE_AND_TRANSLATE_METHODS}, "
            f"received method={method!r}"
        )
    if method in ("linear", "bilinear", "trilinear", "triangle"):
        return "linear"
    if method in ("cubic", "bicubic", "tricubic"):
        return "cubic"
    return method


def colour_axis(op, shape, is_float, dtype_name, data_format):
    """The channel axis of an RGB/HSV conversion, after checking a float dtype and 3
    channels there (``data_format`` already standardized)."""
    if not is_float:
        raise ValueError(f"{op}: images must have a float dtype, received {dtype_name}")
    axis = -1 if data_format == "channels_last" else -3
    if shape[axis] != 3:
        raise ValueError(
            f"{op}: images must have 3 channels on axis {axis}, received shape "
            f"{_shape_text(shape)}"
        )
    return axis


def check_transform(shape):
    """``affine_transform``'s ``transform``: ``(8,)`` or ``(batch, 8)``."""
    if shape is None or len(shape) not in (1, 2) or shape[-1] != 8:
        raise ValueError(
            "affine_transform: transform must have shape (8,) or (batch, 8), received "
            f"shape {_shape_text(shape)}"
        )
