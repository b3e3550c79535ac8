"""``cornu.ops.image`` on TensorFlow (Keras 3 semantics).

The resampling ops (``affine_transform``, ``perspective_transform``,
``elastic_transform``, ``map_coordinates``) use one gather-based sampler with
the semantics of ``scipy.ndimage.map_coordinates`` for ``order`` 0 and 1 (the
same code path as the torch backend, so both agree at the borders):

* ``constant``: ``(k k k k | a b c d | k k k k)``, each interpolation node that
  falls outside reads ``fill_value``;
* ``nearest``: ``(a a a a | a b c d | d d d d)``;
* ``wrap``: ``(a b c d | a b c d | a b c d)``;
* ``mirror``: ``(d c b | a b c d | c b a)``;
* ``reflect``: ``(d c b a | a b c d | d c b a)``.

``order=0`` rounds half up (``floor(x + 0.5)``).  Every op works on tensors of
unknown batch size (``tf.function``, ``tf.data``).
"""
import itertools
import math

import tensorflow as tf

from cornu import config
from cornu.backends.tensorflow._utils import (
    dynamic_shape,
    floatx,
    result_type,
    standardize_dtype,
    static_shape,
    to_tensor,
    to_tf_dtype,
)
from cornu.ops.toolkit import image_args as _args

_tensor = to_tensor

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")


# -- argument checks (shared with the other backends: cornu.ops.toolkit.image_args) ----
def _rank(x):
    return x.shape.rank


def _check_rank(op, images, ranks=(3, 4), what="images"):
    _args.check_rank(op, static_shape(images), ranks, what)


def _float(x):
    return x if x.dtype.is_floating else tf.cast(x, to_tf_dtype(floatx()))


def _to_nhwc(images, data_format):
    unbatched = _rank(images) == 3
    if unbatched:
        images = tf.expand_dims(images, 0)
    if data_format == "channels_first":
        images = tf.transpose(images, [0, 2, 3, 1])
    return images, unbatched


def _from_nhwc(images, data_format, unbatched):
    if data_format == "channels_first":
        images = tf.transpose(images, [0, 3, 1, 2])
    if unbatched:
        images = tf.squeeze(images, 0)
    return images


# -- resize / grayscale / colour spaces ------------------------------------------------------
def _aspect_crop_or_pad(images, size, crop, pad, fill_value):
    """``images`` is (N, H, W, C)."""
    shape = tf.shape(images)
    height, width = shape[1], shape[2]
    th, tw = size
    if crop:
        ch = tf.maximum(tf.minimum(height, tf.cast(tf.cast(width * th, tf.float32) / tw, tf.int32)), 1)
        cw = tf.maximum(tf.minimum(width, tf.cast(tf.cast(height * tw, tf.float32) / th, tf.int32)), 1)
        hs = (height - ch) // 2
        ws = (width - cw) // 2
        return images[:, hs:hs + ch, ws:ws + cw, :]
    if pad:
        ph = tf.maximum(height, tf.cast(tf.cast(width * th, tf.float32) / tw, tf.int32))
        pw = tf.maximum(width, tf.cast(tf.cast(height * tw, tf.float32) / th, tf.int32))
        hs = (ph - height) // 2
        ws = (pw - width) // 2
        images = tf.pad(
            images, [[0, 0], [hs, hs], [ws, ws], [0, 0]],
            constant_values=tf.cast(fill_value, images.dtype),
        )
    return images


def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    size = _args.check_resize(size, interpolation, RESIZE_INTERPOLATIONS, fill_mode,
                              crop_to_aspect_ratio, pad_to_aspect_ratio)
    images = _tensor(images)
    rank = images.shape.rank
    if rank not in (3, 4):
        raise ValueError(
            "resize: images must have rank 3 (one image) or 4 (a batch), "
            f"received shape {images.shape}"
        )
    data_format = config.standardize_data_format(data_format)
    if rank == 3:
        images = tf.expand_dims(images, 0)
    if data_format == "channels_first":
        images = tf.transpose(images, [0, 2, 3, 1])
    orig_dtype = images.dtype
    if not orig_dtype.is_floating:
        images = tf.cast(images, to_tf_dtype(floatx()))
    images = _aspect_crop_or_pad(images, size, crop_to_aspect_ratio, pad_to_aspect_ratio, fill_value)
    out = tf.image.resize(images, size, method=interpolation, antialias=antialias)
    if orig_dtype.is_floating:
        out = tf.cast(out, orig_dtype)
    elif interpolation == "nearest":
        out = tf.cast(out, orig_dtype)
    if data_format == "channels_first":
        out = tf.transpose(out, [0, 3, 1, 2])
    if rank == 3:
        out = tf.squeeze(out, 0)
    return out


def rgb_to_grayscale(images, data_format=None):
    images = _tensor(images)
    data_format = config.standardize_data_format(data_format)
    axis = -1 if data_format == "channels_last" else -3
    orig = images.dtype
    x = images if orig.is_floating else tf.cast(images, to_tf_dtype(floatx()))
    shape = [1] * x.shape.rank
    shape[axis] = 3
    w = tf.reshape(tf.constant([0.2989, 0.5870, 0.1140], x.dtype), shape)
    out = tf.reduce_sum(x * w, axis=axis, keepdims=True)
    return out if orig.is_floating else tf.cast(out, orig)


def _colour_planes(op, images, data_format):
    images = _tensor(images)
    _check_rank(op, images)
    axis = _args.colour_axis(op, static_shape(images), images.dtype.is_floating,
                             standardize_dtype(images.dtype),
                             config.standardize_data_format(data_format))
    return tf.unstack(images, axis=axis), axis


def rgb_to_hsv(images, data_format=None):
    """RGB in [0, 1] to HSV (hue, saturation, value, each in [0, 1])."""
    (r, g, b), axis = _colour_planes("rgb_to_hsv", images, data_format)
    zero, one = tf.zeros_like(r), tf.ones_like(r)
    value = tf.maximum(tf.maximum(r, g), b)
    range_ = value - tf.minimum(tf.minimum(r, g), b)
    saturation = tf.where(value > 0, range_ / tf.where(value > 0, value, one), zero)
    norm = 1.0 / (6.0 * tf.where(range_ > 0, range_, one))
    hue = tf.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = tf.where(value == r, norm * (g - b), hue)
    hue = tf.where(range_ > 0, hue, zero)
    hue = hue + tf.cast(hue < 0, hue.dtype)
    return tf.stack([hue, saturation, value], axis=axis)


def hsv_to_rgb(images, data_format=None):
    """HSV (each in [0, 1]) to RGB in [0, 1]."""
    (h, s, v), axis = _colour_planes("hsv_to_rgb", images, data_format)
    dh = tf.math.floormod(h, 1.0) * 6.0
    dr = tf.clip_by_value(tf.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = tf.clip_by_value(2.0 - tf.abs(dh - 2.0), 0.0, 1.0)
    db = tf.clip_by_value(2.0 - tf.abs(dh - 4.0), 0.0, 1.0)
    one_minus_s = 1.0 - s
    return tf.stack(
        [v * (one_minus_s + s * dr), v * (one_minus_s + s * dg), v * (one_minus_s + s * db)],
        axis=axis,
    )


# -- the sampler ----------------------------------------------------------------------------
def _fix_index(index, size, fill_mode):
    """Integer ``index`` mapped into ``[0, size)`` by ``fill_mode``."""
    if fill_mode in ("constant", "nearest"):
        return tf.clip_by_value(index, 0, size - 1)
    if fill_mode == "wrap":
        return tf.math.floormod(index, size)
    if fill_mode == "mirror":
        if isinstance(size, int):
            if size == 1:
                return tf.zeros_like(index)
            return tf.abs(tf.math.floormod(index + size - 1, 2 * size - 2) - (size - 1))
        s = tf.maximum(size - 1, 1)
        fixed = tf.abs(tf.math.floormod(index + s, 2 * s) - s)
        return tf.where(size == 1, tf.zeros_like(index), fixed)
    # reflect: the mirror of the half-pixel grid
    s = 2 * size
    folded = tf.abs(tf.math.floormod(2 * index + 1 + s, 2 * s) - s)
    return tf.math.floordiv(folded - 1, 2)


def _interp_nodes(coord, order):
    if order == 0:
        return [(tf.cast(tf.floor(coord + 0.5), tf.int64), None)]
    lower = tf.floor(coord)
    w_upper = coord - lower
    index = tf.cast(lower, tf.int64)
    return [(index, 1.0 - w_upper), (index + 1, w_upper)]


def _sample(flat, sizes, coords, order, fill_mode, fill_value, lead=None):
    """Gather-interpolate ``flat`` (``prod(sizes)`` rows, trailing dims kept).

    ``coords``: one float tensor per axis in ``sizes`` (same shape P); ``lead``: an
    optional int64 row offset of shape P.  Returns shape ``P + flat.shape[1:]``.
    """
    sizes = [tf.cast(s, tf.int64) if tf.is_tensor(s) else int(s) for s in sizes]
    strides = [1] * len(sizes)
    for i in range(len(sizes) - 2, -1, -1):
        strides[i] = strides[i + 1] * sizes[i + 1]
    per_axis = []
    for coord, size in zip(coords, sizes):
        nodes = []
        for index, weight in _interp_nodes(coord, order):
            valid = (index >= 0) & (index < size) if fill_mode == "constant" else None
            nodes.append((_fix_index(index, size, fill_mode), valid, weight))
        per_axis.append(nodes)
    trail_rank = flat.shape.rank - 1
    out = None
    for combo in itertools.product(*per_axis):
        row = lead
        valid, weight = None, None
        for (index, ok, w), stride in zip(combo, strides):
            term = index * stride
            row = term if row is None else row + term
            if ok is not None:
                valid = ok if valid is None else valid & ok
            if w is not None:
                weight = w if weight is None else weight * w
        values = tf.gather(flat, row)
        if weight is not None:
            values = tf.cast(values, weight.dtype)
        if valid is not None:
            for _ in range(trail_rank):
                valid = tf.expand_dims(valid, -1)
            values = tf.where(valid, values, tf.cast(fill_value, values.dtype))
        if weight is not None:
            for _ in range(trail_rank):
                weight = tf.expand_dims(weight, -1)
            values = values * weight
        out = values if out is None else out + values
    return out


def _sample_images(images, y, x, order, fill_mode, fill_value):
    """``images`` NHWC; ``y``/``x`` float (N, H', W') input coordinates -> (N, H', W', C)."""
    n, h, w, c = dynamic_shape(images)
    orig = images.dtype
    flat = tf.reshape(images, [-1, c] if isinstance(c, int) else tf.stack([-1, c]))
    if order == 1:
        flat = _float(flat)
        y, x = tf.cast(y, flat.dtype), tf.cast(x, flat.dtype)
    hw = tf.cast(h, tf.int64) * tf.cast(w, tf.int64)
    lead = tf.reshape(tf.range(tf.cast(n, tf.int64), dtype=tf.int64) * hw, [-1, 1, 1])
    lead = lead + tf.zeros_like(y, dtype=tf.int64)
    out = _sample(flat, (h, w), (y, x), order, fill_mode, fill_value, lead=lead)
    if not orig.is_floating and out.dtype.is_floating:
        out = tf.cast(tf.round(out), orig)
    return out


def _projective_coords(transforms, h, w, dtype):
    transforms = tf.cast(transforms, dtype)
    ys = tf.reshape(tf.range(h, dtype=dtype), [1, -1, 1])
    xs = tf.reshape(tf.range(w, dtype=dtype), [1, 1, -1])
    t = [tf.reshape(transforms[:, i], [-1, 1, 1]) for i in range(8)]
    k = t[6] * xs + t[7] * ys + 1.0
    x_in = (t[0] * xs + t[1] * ys + t[2]) / k
    y_in = (t[3] * xs + t[4] * ys + t[5]) / k
    return y_in, x_in


def _coord_dtype(images):
    return images.dtype if images.dtype in (tf.float32, tf.float64) else tf.float32


def _broadcast_batch(transforms, n):
    return tf.broadcast_to(transforms, tf.stack([n, 8])) if transforms.shape[0] == 1 \
        else transforms


def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0,
    data_format=None,
):
    """Apply projective transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]``: the output
    pixel ``(x, y)`` reads the input at ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``
    with ``k = c0 x + c1 y + 1``."""
    order = _args.check_interpolation("affine_transform", interpolation)
    _args.check_fill_mode("affine_transform", fill_mode)
    images = _tensor(images)
    transform = _tensor(transform)
    _check_rank("affine_transform", images)
    _args.check_transform(static_shape(transform))
    data_format = config.standardize_data_format(data_format)
    x, unbatched = _to_nhwc(images, data_format)
    if _rank(transform) == 1:
        transform = tf.expand_dims(transform, 0)
    n, h, w, _ = dynamic_shape(x)
    transform = _broadcast_batch(transform, n)
    y_in, x_in = _projective_coords(transform, h, w, _coord_dtype(x))
    out = _sample_images(x, y_in, x_in, order, fill_mode, fill_value)
    return _from_nhwc(out, data_format, unbatched)


def compute_homography_matrix(start_points, end_points):
    """The (N, 8) transforms mapping each ``end_points`` corner to ``start_points``."""
    start = _float(_tensor(start_points))
    compute = tf.float64 if start.dtype == tf.float64 else tf.float32
    start = tf.cast(start, compute)
    end = tf.cast(_tensor(end_points), compute)
    zeros = tf.zeros_like(end[:, 0, 0])
    ones = tf.ones_like(zeros)
    rows, target = [], []
    for i in range(4):
        ex, ey = end[:, i, 0], end[:, i, 1]
        sx, sy = start[:, i, 0], start[:, i, 1]
        rows.append(tf.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], -1))
        rows.append(tf.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], -1))
        target += [sx, sy]
    a = tf.stack(rows, axis=1)
    b = tf.expand_dims(tf.stack(target, axis=-1), -1)
    return tf.squeeze(tf.linalg.solve(a, b), -1)


def perspective_transform(
    images,
    start_points,
    end_points,
    interpolation="bilinear",
    fill_value=0,
    data_format=None,
):
    """Warp so that the ``start_points`` corners land on ``end_points`` ((x, y) pairs)."""
    order = _args.check_interpolation("perspective_transform", interpolation)
    images = _tensor(images)
    _check_rank("perspective_transform", images)
    start_points = _tensor(start_points)
    end_points = _tensor(end_points)
    start_shape, end_shape = static_shape(start_points), static_shape(end_points)
    _args.check_points("perspective_transform", "start_points", start_shape)
    _args.check_points("perspective_transform", "end_points", end_shape)
    _args.check_same_shape("perspective_transform", ("start_points", "end_points"),
                           start_shape, end_shape)
    if _rank(start_points) == 2:
        start_points = tf.expand_dims(start_points, 0)
        end_points = tf.expand_dims(end_points, 0)
    data_format = config.standardize_data_format(data_format)
    x, unbatched = _to_nhwc(images, data_format)
    n, h, w, _ = dynamic_shape(x)
    transforms = _broadcast_batch(compute_homography_matrix(start_points, end_points), n)
    y_in, x_in = _projective_coords(transforms, h, w, _coord_dtype(x))
    out = _sample_images(x, y_in, x_in, order, "constant", fill_value)
    return _from_nhwc(out, data_format, unbatched)


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``scipy.ndimage.map_coordinates`` for ``order`` 0 and 1 (see the module docstring)."""
    inputs = _tensor(inputs)
    if tf.is_tensor(coordinates):
        coords = tf.unstack(coordinates, axis=0)
    else:
        coords = [_tensor(c) for c in coordinates]
    if len(coords) != _rank(inputs):
        raise ValueError(
            "map_coordinates: coordinates must have one entry per input dimension "
            f"(first dim {_rank(inputs)}), received {len(coords)} for inputs of shape "
            f"{inputs.shape}"
        )
    if _rank(coords[0]) < 1:
        raise ValueError("map_coordinates: coordinates must have rank >= 2 "
                         f"(rank, ...), received rank {_rank(coords[0]) + 1}")
    if order not in (0, 1):
        raise ValueError(f"map_coordinates: order must be 0 or 1, received order={order!r}")
    _args.check_fill_mode("map_coordinates", fill_mode)
    orig = inputs.dtype
    flat = tf.reshape(inputs, [-1, 1])
    if order == 1:
        flat = _float(flat)
    cdtype = flat.dtype if order == 1 else tf.float32
    coords = [tf.cast(c, cdtype) if c.dtype != cdtype else c for c in coords]
    out = _sample(flat, dynamic_shape(inputs), coords, order, fill_mode, fill_value)[..., 0]
    if not orig.is_floating and out.dtype.is_floating:
        out = tf.round(out)
    return tf.cast(out, orig)


# -- crop / pad --------------------------------------------------------------------------------
def _spatial(images, data_format, op):
    _check_rank(op, images)
    dims = dynamic_shape(images)
    if data_format == "channels_last":
        return dims[-3], dims[-2]
    return dims[-2], dims[-1]


def pad_images(
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    images = _tensor(images)
    data_format = config.standardize_data_format(data_format)
    height, width = _spatial(images, data_format, "pad_images")
    top, bottom, left, right = _args.pad_amounts(
        height, width, top_padding, bottom_padding, target_height,
        left_padding, right_padding, target_width)
    spatial = [[top, bottom], [left, right]]
    pads = spatial + [[0, 0]] if data_format == "channels_last" else [[0, 0]] + spatial
    if _rank(images) == 4:
        pads = [[0, 0]] + pads
    return tf.pad(images, pads)


def crop_images(
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    images = _tensor(images)
    data_format = config.standardize_data_format(data_format)
    height, width = _spatial(images, data_format, "crop_images")
    top, th, left, tw = _args.crop_box(
        height, width, top_cropping, bottom_cropping, target_height,
        left_cropping, right_cropping, target_width)
    if data_format == "channels_last":
        return images[..., top:top + th, left:left + tw, :]
    return images[..., top:top + th, left:left + tw]


# -- patches -----------------------------------------------------------------------------------
def _extract(op, images, size, strides, dilation_rate, padding, data_format, n):
    from cornu.backends.tensorflow import nn as _nn

    size = _args.patch_size(op, size, n)
    strides = size if strides is None else strides
    data_format = config.standardize_data_format(data_format)
    _check_rank(op, images, (n + 1, n + 2), "images" if n == 2 else "volumes")
    unbatched = _rank(images) == n + 1
    if unbatched:
        images = tf.expand_dims(images, 0)
    channels = images.shape[-1] if data_format == "channels_last" else images.shape[1]
    out_dim = math.prod(size) * channels
    # An identity kernel: output feature k is patch element k in (spatial..., channel) order.
    kernel = tf.reshape(tf.eye(out_dim, dtype=images.dtype), [*size, channels, out_dim])
    patches = _nn.conv(images, kernel, strides=strides, padding=padding,
                       data_format=data_format, dilation_rate=dilation_rate)
    return tf.squeeze(patches, 0) if unbatched else patches


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    images = _tensor(images)
    if not isinstance(size, int) and len(size) == 3:
        return _extract("extract_patches", images, size, strides, dilation_rate, padding,
                        data_format, 3)
    return _extract("extract_patches", images, size, strides, dilation_rate, padding,
                    data_format, 2)


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    return _extract("extract_patches_3d", _tensor(volumes), size, strides, dilation_rate,
                    padding, data_format, 3)


# -- filters -----------------------------------------------------------------------------------
def _gaussian_1d(size, sigma, dtype):
    x = tf.range(size, dtype=dtype) - (size - 1) / 2
    k = tf.exp(-0.5 * (x / sigma) ** 2)
    return k / tf.reduce_sum(k)


def _depthwise_same(x, kernel):
    """``x`` NHWC, ``kernel`` (kh, kw): a per-channel 'same' correlation, zero padded."""
    c = x.shape[-1] if x.shape[-1] is not None else tf.shape(x)[-1]
    k = tf.tile(kernel[:, :, None, None], tf.stack([1, 1, c, 1]))
    return tf.nn.depthwise_conv2d(x, k, strides=[1, 1, 1, 1], padding="SAME")


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur with a Gaussian kernel of ``kernel_size`` (height, width) and ``sigma``
    (along height, width); zero padding keeps the size ('same')."""
    images = _tensor(images)
    _check_rank("gaussian_blur", images)
    (kh, kw), (sh, sw) = _args.blur_sizes(kernel_size, sigma)
    data_format = config.standardize_data_format(data_format)
    x, unbatched = _to_nhwc(images, data_format)
    orig = x.dtype
    x = _float(x)
    kernel = tf.tensordot(_gaussian_1d(int(kh), tf.cast(sh, x.dtype), x.dtype),
                          _gaussian_1d(int(kw), tf.cast(sw, x.dtype), x.dtype), axes=0)
    out = _depthwise_same(x, kernel)
    if not orig.is_floating:
        out = tf.cast(tf.round(out), orig)
    return _from_nhwc(out, data_format, unbatched)


def sobel_edges(images, data_format=None):
    """(dy, dx) Sobel responses stacked on a new last axis; borders reflect
    (``tf.image.sobel_edges``)."""
    images = _tensor(images)
    _check_rank("sobel_edges", images, (4,))
    data_format = config.standardize_data_format(data_format)
    x = images if data_format == "channels_last" else tf.transpose(images, [0, 2, 3, 1])
    out = tf.image.sobel_edges(_float(x))
    if data_format == "channels_first":
        out = tf.transpose(out, [0, 3, 1, 2, 4])
    return out


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """Mean structural similarity (Gaussian window, 'valid' filtering), per image."""
    a, b = _tensor(image1), _tensor(image2)
    _check_rank("ssim", a, what="image1")
    _check_rank("ssim", b, what="image2")
    _args.check_same_shape("ssim", ("image1", "image2"), static_shape(a), static_shape(b))
    orig = a.dtype
    compute = to_tf_dtype(result_type(standardize_dtype(a.dtype), "float32"))
    data_format = config.standardize_data_format(data_format)
    a, unbatched = _to_nhwc(tf.cast(a, compute), data_format)
    b, _ = _to_nhwc(tf.cast(b, compute), data_format)
    n, h, w, c = dynamic_shape(a)
    a = tf.reshape(tf.transpose(a, [0, 3, 1, 2]), tf.stack([-1, h, w, 1]))
    b = tf.reshape(tf.transpose(b, [0, 3, 1, 2]), tf.stack([-1, h, w, 1]))
    g = _gaussian_1d(int(filter_size), tf.cast(filter_sigma, compute), compute)
    kernel = tf.reshape(tf.tensordot(g, g, axes=0), [filter_size, filter_size, 1, 1])

    def filt(x):
        return tf.nn.conv2d(x, kernel, strides=1, padding="VALID")

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = filt(a), filt(b)
    s11 = filt(a * a) - mu1 * mu1
    s22 = filt(b * b) - mu2 * mu2
    s12 = filt(a * b) - mu1 * mu2
    num = (2 * mu1 * mu2 + c1) * (2 * s12 + c2)
    den = (mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2)
    out = tf.reduce_mean(tf.reshape(tf.reduce_mean(num / den, axis=[1, 2, 3]),
                                    tf.stack([-1, c])), axis=-1)
    out = tf.squeeze(out, 0) if unbatched else out
    return tf.cast(out, orig) if orig.is_floating else out


# -- random / resampling -------------------------------------------------------------------------
def elastic_transform(
    images,
    alpha=20.0,
    sigma=5.0,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
    seed=None,
    data_format=None,
):
    """Displace every pixel by a Gaussian-smoothed random field scaled by ``alpha``."""
    from cornu.backends.tensorflow import random as _random

    order = _args.check_interpolation("elastic_transform", interpolation)
    _args.check_fill_mode("elastic_transform", fill_mode)
    images = _tensor(images)
    _check_rank("elastic_transform", images)
    data_format = config.standardize_data_format(data_format)
    x, unbatched = _to_nhwc(images, data_format)
    n, h, w, _ = dynamic_shape(x)
    dtype = _coord_dtype(x)
    sigma = float(sigma)
    ksize = int(6 * sigma) | 1
    field = _random.normal((n, h, w, 2), dtype=standardize_dtype(dtype), seed=seed) * sigma
    g = _gaussian_1d(ksize, tf.cast(sigma, dtype), dtype)
    field = _depthwise_same(field, tf.tensordot(g, g, axes=0))
    ys = tf.reshape(tf.range(h, dtype=dtype), [1, -1, 1])
    xs = tf.reshape(tf.range(w, dtype=dtype), [1, 1, -1])
    y_in = ys + float(alpha) * field[..., 1]
    x_in = xs + float(alpha) * field[..., 0]
    out = _sample_images(x, y_in, x_in, order, fill_mode, fill_value)
    return _from_nhwc(tf.cast(out, images.dtype), data_format, unbatched)


def _triangle(x):
    return tf.maximum(1.0 - tf.abs(x), 0.0)


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = tf.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return tf.where(x >= 2.0, tf.zeros_like(x), out)


def _lanczos(radius):
    def kernel(x):
        y = radius * tf.sin(math.pi * x) * tf.sin(math.pi * x / radius)
        safe = tf.where(x != 0, math.pi ** 2 * x ** 2, tf.ones_like(x))
        out = tf.where(x > 1e-3, y / safe, tf.ones_like(x))
        return tf.where(x > radius, tf.zeros_like(x), out)
    return kernel


_KERNELS = {"linear": _triangle, "cubic": _keys_cubic, "lanczos3": _lanczos(3.0),
            "lanczos5": _lanczos(5.0)}


def _weight_matrix(in_size, out_size, scale, translation, kernel, antialias, dtype):
    inv = 1.0 / scale
    kscale = tf.maximum(inv, 1.0) if antialias else 1.0
    sample = (tf.range(out_size, dtype=dtype) + 0.5) * inv - translation * inv - 0.5
    dist = tf.abs(sample[None, :] - tf.range(in_size, dtype=dtype)[:, None])
    weights = kernel(dist / kscale)
    total = tf.reduce_sum(weights, 0, keepdims=True)
    eps = 1000.0 * 1.1920929e-07
    weights = tf.where(tf.abs(total) > eps,
                       weights / tf.where(total != 0, total, tf.ones_like(total)),
                       tf.zeros_like(weights))
    inside = (sample >= -0.5) & (sample <= tf.cast(in_size, dtype) - 0.5)
    return tf.where(inside[None, :], weights, tf.zeros_like(weights))


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resample ``images`` along ``spatial_dims``: input location ``x`` maps to
    ``x * scale + translation`` (half-pixel centres; samples outside give 0)."""
    method = _args.scale_and_translate_kernel(method)
    x = _tensor(images)
    scale = _float(_tensor(scale))
    translation = tf.cast(_float(_tensor(translation)), scale.dtype)
    orig = x.dtype
    out = _float(x)
    rank = _rank(x)
    dims = dynamic_shape(x)
    for i, d in enumerate(spatial_dims):
        d = d % rank
        wmat = tf.cast(_weight_matrix(dims[d], int(output_shape[d]), scale[i], translation[i],
                                      _KERNELS[method], antialias, scale.dtype), out.dtype)
        out = tf.tensordot(out, wmat, axes=[[d], [0]])
        perm = list(range(rank - 1))
        perm.insert(d, rank - 1)
        out = tf.transpose(out, perm)
    if not orig.is_floating:
        out = tf.cast(tf.clip_by_value(tf.round(out), tf.cast(tf.reduce_min(x), out.dtype),
                                       tf.cast(tf.reduce_max(x), out.dtype)), orig)
    return out
