"""``cornu.ops.image`` on PyTorch (Keras 3 semantics; resize follows TensorFlow).

Resampling ops (``affine_transform``, ``perspective_transform``,
``elastic_transform``, ``map_coordinates``) share one gather-based sampler with
the semantics of ``scipy.ndimage.map_coordinates`` (``order`` 0 or 1, the index
fixers of the ``grid-*`` modes), so both cornu backends give the same numbers at
the borders:

* ``constant``: ``(k k k k | a b c d | k k k k)``, each interpolation node that
  falls outside reads ``fill_value``;
* ``nearest``: ``(a a a a | a b c d | d d d d)``;
* ``wrap``: ``(a b c d | a b c d | a b c d)``;
* ``mirror``: ``(d c b | a b c d | c b a)``;
* ``reflect``: ``(d c b a | a b c d | d c b a)``.

``order=0`` rounds half up (``floor(x + 0.5)``).
"""
import itertools
import math

import torch
import torch.nn.functional as F

from cornu import config
from cornu.backends.torch._utils import (
    floatx,
    result_type,
    standardize_dtype,
    to_tensor,
    to_torch_dtype,
)
from cornu.ops.toolkit import image_args as _args

_tensor = to_tensor

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area")


# -- argument checks (shared with the other backends: cornu.ops.toolkit.image_args) ----
def _check_rank(op, images, ranks=(3, 4), what="images"):
    _args.check_rank(op, tuple(images.shape), ranks, what)


def _float(x):
    """``x`` as a float tensor (integers become ``floatx``)."""
    return x if x.is_floating_point() else x.to(to_torch_dtype(floatx()))


def _to_nhwc(images, data_format):
    """(images as NHWC, was_unbatched)."""
    unbatched = images.ndim == 3
    if unbatched:
        images = images.unsqueeze(0)
    if data_format == "channels_first":
        images = images.permute(0, 2, 3, 1)
    return images, unbatched


def _from_nhwc(images, data_format, unbatched):
    if data_format == "channels_first":
        images = images.permute(0, 3, 1, 2)
    if unbatched:
        images = images.squeeze(0)
    return images.contiguous()


# -- resize / grayscale / colour spaces ------------------------------------------------------
def _aspect_crop_or_pad(images, size, crop, pad, fill_value):
    """``images`` is (N, H, W, C)."""
    height, width = images.shape[1], images.shape[2]
    th, tw = size
    if crop:
        ch = max(min(height, int(width * th / tw)), 1)
        cw = max(min(width, int(height * tw / th)), 1)
        hs = (height - ch) // 2
        ws = (width - cw) // 2
        return images[:, hs:hs + ch, ws:ws + cw, :]
    if pad:
        ph = max(height, int(width * th / tw))
        pw = max(width, int(height * tw / th))
        hs = (ph - height) // 2
        ws = (pw - width) // 2
        if hs > 0 or ws > 0:
            images = F.pad(images, (0, 0, ws, ws, hs, hs), value=float(fill_value))
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
    if images.ndim not in (3, 4):
        raise ValueError(
            "resize: images must have rank 3 (one image) or 4 (a batch), "
            f"received shape {tuple(images.shape)}"
        )
    data_format = config.standardize_data_format(data_format)
    unbatched = images.ndim == 3
    if unbatched:
        images = images.unsqueeze(0)
    if data_format == "channels_first":
        images = images.permute(0, 2, 3, 1)
    orig_dtype = images.dtype
    if not images.is_floating_point():
        images = images.to(to_torch_dtype(floatx()))
    images = _aspect_crop_or_pad(
        images, size, crop_to_aspect_ratio, pad_to_aspect_ratio, fill_value
    )
    x = images.permute(0, 3, 1, 2)
    if interpolation == "nearest":
        out = F.interpolate(x, size=size, mode="nearest-exact")
    elif interpolation == "area":
        out = F.interpolate(x, size=size, mode="area")
    else:
        out = F.interpolate(
            x, size=size, mode=interpolation, align_corners=False, antialias=antialias
        )
    if data_format == "channels_last":
        out = out.permute(0, 2, 3, 1)
    if not orig_dtype.is_floating_point and interpolation == "nearest":
        out = out.to(orig_dtype)
    if unbatched:
        out = out.squeeze(0)
    return out


def rgb_to_grayscale(images, data_format=None):
    images = _tensor(images)
    data_format = config.standardize_data_format(data_format)
    axis = -1 if data_format == "channels_last" else (-3)
    weights = torch.tensor([0.2989, 0.5870, 0.1140], device=images.device)
    orig = images.dtype
    x = images if images.is_floating_point() else images.to(to_torch_dtype(floatx()))
    shape = [1] * x.ndim
    shape[axis] = 3
    out = torch.sum(x * weights.to(x.dtype).reshape(shape), dim=axis, keepdim=True)
    return out if orig.is_floating_point else out.to(orig)


def _colour_planes(op, images, data_format):
    images = _tensor(images)
    _check_rank(op, images)
    axis = _args.colour_axis(op, tuple(images.shape), images.is_floating_point(),
                             standardize_dtype(images.dtype),
                             config.standardize_data_format(data_format))
    return images.unbind(axis), axis


def rgb_to_hsv(images, data_format=None):
    """RGB in [0, 1] to HSV (hue, saturation, value, each in [0, 1])."""
    (r, g, b), axis = _colour_planes("rgb_to_hsv", images, data_format)
    value = torch.maximum(torch.maximum(r, g), b)
    range_ = value - torch.minimum(torch.minimum(r, g), b)
    saturation = torch.where(value > 0, range_ / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(range_ > 0, range_, 1.0))
    hue = torch.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = torch.where(value == r, norm * (g - b), hue)
    hue = torch.where(range_ > 0, hue, 0.0)
    hue = hue + (hue < 0).to(hue.dtype)
    return torch.stack([hue, saturation, value], dim=axis)


def hsv_to_rgb(images, data_format=None):
    """HSV (each in [0, 1]) to RGB in [0, 1]."""
    (h, s, v), axis = _colour_planes("hsv_to_rgb", images, data_format)
    dh = torch.remainder(h, 1.0) * 6.0
    dr = torch.clamp(torch.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = torch.clamp(2.0 - torch.abs(dh - 2.0), 0.0, 1.0)
    db = torch.clamp(2.0 - torch.abs(dh - 4.0), 0.0, 1.0)
    one_minus_s = 1.0 - s
    return torch.stack(
        [v * (one_minus_s + s * dr), v * (one_minus_s + s * dg), v * (one_minus_s + s * db)],
        dim=axis,
    )


# -- the sampler ----------------------------------------------------------------------------
def _fix_index(index, size, fill_mode):
    """Integer ``index`` mapped into ``[0, size)`` by ``fill_mode``."""
    if fill_mode in ("constant", "nearest"):
        return index.clamp(0, size - 1)
    if fill_mode == "wrap":
        return torch.remainder(index, size)
    if size == 1:
        return torch.zeros_like(index)
    if fill_mode == "mirror":
        s = size - 1
        return torch.abs(torch.remainder(index + s, 2 * s) - s)
    # reflect: the mirror of the half-pixel grid
    s = 2 * size
    folded = torch.abs(torch.remainder(2 * index + 1 + s, 2 * s) - s)
    return torch.div(folded - 1, 2, rounding_mode="floor")


def _interp_nodes(coord, order):
    """[(integer index, weight)] for one axis; weight None means 1."""
    if order == 0:
        return [(torch.floor(coord + 0.5).to(torch.int64), None)]
    lower = torch.floor(coord)
    w_upper = coord - lower
    index = lower.to(torch.int64)
    return [(index, 1.0 - w_upper), (index + 1, w_upper)]


def _sample(flat, sizes, coords, order, fill_mode, fill_value, lead=None):
    """Gather-interpolate ``flat`` (``prod(sizes)`` rows, trailing dims kept).

    ``coords`` is one float tensor per axis in ``sizes`` (all the same shape P);
    ``lead`` is an optional integer row offset of shape P (the batch index term).
    Returns shape ``P + flat.shape[1:]``.
    """
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
    trail = flat.shape[1:]
    out = None
    for combo in itertools.product(*per_axis):
        row = lead.clone() if lead is not None else 0
        valid, weight = None, None
        for (index, ok, w), stride in zip(combo, strides):
            row = row + index * stride
            if ok is not None:
                valid = ok if valid is None else valid & ok
            if w is not None:
                weight = w if weight is None else weight * w
        shape = row.shape
        values = flat.index_select(0, row.reshape(-1)).reshape(*shape, *trail)
        values = values.to(weight.dtype) if weight is not None else values
        if valid is not None:
            valid = valid.reshape(*shape, *([1] * len(trail)))
            values = torch.where(valid, values, torch.as_tensor(fill_value, dtype=values.dtype,
                                                                device=values.device))
        if weight is not None:
            values = values * weight.reshape(*shape, *([1] * len(trail)))
        out = values if out is None else out + values
    return out


def _sample_images(images, y, x, order, fill_mode, fill_value):
    """``images`` NHWC; ``y``/``x`` float (N, H', W') input coordinates -> (N, H', W', C)."""
    n, h, w, c = images.shape
    orig = images.dtype
    flat = images.reshape(n * h * w, c)
    if order == 1:
        flat = _float(flat)
        y, x = y.to(flat.dtype), x.to(flat.dtype)
    lead = (torch.arange(n, device=images.device) * (h * w)).reshape(n, 1, 1).expand(y.shape)
    out = _sample(flat, (h, w), (y, x), order, fill_mode, fill_value, lead=lead)
    if not orig.is_floating_point:
        out = torch.round(out).to(orig) if out.is_floating_point() else out
    return out


def _projective_coords(transforms, h, w, dtype, device):
    """Input (y, x) for every output pixel under the 8-parameter transforms (N, 8)."""
    transforms = transforms.to(dtype)
    ys = torch.arange(h, dtype=dtype, device=device).reshape(1, h, 1)
    xs = torch.arange(w, dtype=dtype, device=device).reshape(1, 1, w)
    t = [transforms[:, i].reshape(-1, 1, 1) for i in range(8)]
    k = t[6] * xs + t[7] * ys + 1.0
    x_in = (t[0] * xs + t[1] * ys + t[2]) / k
    y_in = (t[3] * xs + t[4] * ys + t[5]) / k
    return y_in, x_in


def _coord_dtype(images):
    return images.dtype if images.is_floating_point() and images.dtype != torch.float16 \
        and images.dtype != torch.bfloat16 else torch.float32


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
    _args.check_transform(tuple(transform.shape))
    data_format = config.standardize_data_format(data_format)
    x, unbatched = _to_nhwc(images, data_format)
    if transform.ndim == 1:
        transform = transform.unsqueeze(0)
    n, h, w, _ = x.shape
    if transform.shape[0] == 1 and n > 1:
        transform = transform.expand(n, 8)
    y_in, x_in = _projective_coords(transform, h, w, _coord_dtype(x), x.device)
    out = _sample_images(x, y_in, x_in, order, fill_mode, fill_value)
    return _from_nhwc(out, data_format, unbatched)


def compute_homography_matrix(start_points, end_points):
    """The (N, 8) transforms mapping each ``end_points`` corner to ``start_points``."""
    start = _float(_tensor(start_points))
    end = _float(_tensor(end_points)).to(start.dtype)
    compute = torch.float64 if start.dtype == torch.float64 else torch.float32
    start, end = start.to(compute), end.to(compute)
    zeros = torch.zeros_like(end[:, 0, 0])
    ones = torch.ones_like(zeros)
    rows, target = [], []
    for i in range(4):
        ex, ey = end[:, i, 0], end[:, i, 1]
        sx, sy = start[:, i, 0], start[:, i, 1]
        rows.append(torch.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], -1))
        rows.append(torch.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], -1))
        target += [sx, sy]
    a = torch.stack(rows, dim=1)
    b = torch.stack(target, dim=-1).unsqueeze(-1)
    return torch.linalg.solve(a, b).squeeze(-1)


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
    start_shape, end_shape = tuple(start_points.shape), tuple(end_points.shape)
    _args.check_points("perspective_transform", "start_points", start_shape)
    _args.check_points("perspective_transform", "end_points", end_shape)
    _args.check_same_shape("perspective_transform", ("start_points", "end_points"),
                           start_shape, end_shape)
    if start_points.ndim == 2:
        start_points, end_points = start_points.unsqueeze(0), end_points.unsqueeze(0)
    data_format = config.standardize_data_format(data_format)
    x, unbatched = _to_nhwc(images, data_format)
    n, h, w, _ = x.shape
    transforms = compute_homography_matrix(start_points, end_points)
    if transforms.shape[0] == 1 and n > 1:
        transforms = transforms.expand(n, 8)
    y_in, x_in = _projective_coords(transforms, h, w, _coord_dtype(x), x.device)
    out = _sample_images(x, y_in, x_in, order, "constant", fill_value)
    return _from_nhwc(out, data_format, unbatched)


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``scipy.ndimage.map_coordinates`` for ``order`` 0 and 1 (see the module docstring)."""
    inputs = _tensor(inputs)
    if isinstance(coordinates, torch.Tensor):
        coords = list(coordinates.unbind(0))
    else:
        coords = [_tensor(c) for c in coordinates]
    if len(coords) != inputs.ndim:
        raise ValueError(
            "map_coordinates: coordinates must have one entry per input dimension "
            f"(first dim {inputs.ndim}), received {len(coords)} for inputs of shape "
            f"{tuple(inputs.shape)}"
        )
    if coords[0].ndim < 1:
        raise ValueError("map_coordinates: coordinates must have rank >= 2 "
                         f"(rank, ...), received rank {coords[0].ndim + 1}")
    if order not in (0, 1):
        raise ValueError(f"map_coordinates: order must be 0 or 1, received order={order!r}")
    _args.check_fill_mode("map_coordinates", fill_mode)
    orig = inputs.dtype
    flat = inputs.reshape(-1, 1)
    if order == 1:
        flat = _float(flat)
        coords = [c.to(flat.dtype) if c.is_floating_point() else c.to(flat.dtype)
                  for c in coords]
    else:
        coords = [c if c.is_floating_point() else c.to(torch.float32) for c in coords]
    out = _sample(flat, tuple(inputs.shape), coords, order, fill_mode, fill_value)[..., 0]
    if not orig.is_floating_point and out.is_floating_point():
        out = torch.round(out)
    return out.to(orig)


# -- crop / pad --------------------------------------------------------------------------------
def _spatial(images, data_format, op):
    _check_rank(op, images)
    if data_format == "channels_last":
        return images.shape[-3], images.shape[-2]
    return images.shape[-2], images.shape[-1]


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
    if data_format == "channels_last":
        pad = (0, 0, left, right, top, bottom)
    else:
        pad = (left, right, top, bottom)
    return F.pad(images, pad)


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
    from cornu.backends.torch import nn as _nn

    size = _args.patch_size(op, size, n)
    strides = size if strides is None else strides
    data_format = config.standardize_data_format(data_format)
    _check_rank(op, images, (n + 1, n + 2), "images" if n == 2 else "volumes")
    unbatched = images.ndim == n + 1
    if unbatched:
        images = images.unsqueeze(0)
    channels = images.shape[-1] if data_format == "channels_last" else images.shape[1]
    out_dim = math.prod(size) * channels
    # An identity kernel: output feature k is patch element k in (spatial..., channel) order.
    kernel = torch.eye(out_dim, dtype=images.dtype, device=images.device)
    kernel = kernel.reshape(*size, channels, out_dim)
    patches = _nn.conv(images, kernel, strides=strides, padding=padding,
                       data_format=data_format, dilation_rate=dilation_rate)
    return patches.squeeze(0) if unbatched else patches


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
def _gaussian_1d(size, sigma, dtype, device):
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _depthwise_same(x, kernel):
    """``x`` NCHW, ``kernel`` (kh, kw): a per-channel 'same' correlation, zero padded."""
    kh, kw = kernel.shape
    c = x.shape[1]
    ph, pw = kh - 1, kw - 1
    x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
    return F.conv2d(x, kernel.expand(c, 1, kh, kw), groups=c)


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur with a Gaussian kernel of ``kernel_size`` (height, width) and ``sigma``
    (along height, width); zero padding keeps the size ('same')."""
    images = _tensor(images)
    _check_rank("gaussian_blur", images)
    (kh, kw), (sh, sw) = _args.blur_sizes(kernel_size, sigma)
    data_format = config.standardize_data_format(data_format)
    x, unbatched = _to_nhwc(images, data_format)
    orig = x.dtype
    x = _float(x).permute(0, 3, 1, 2)
    sh = torch.as_tensor(sh, dtype=x.dtype, device=x.device)
    sw = torch.as_tensor(sw, dtype=x.dtype, device=x.device)
    kernel = torch.outer(_gaussian_1d(int(kh), sh, x.dtype, x.device),
                         _gaussian_1d(int(kw), sw, x.dtype, x.device))
    out = _depthwise_same(x, kernel).permute(0, 2, 3, 1)
    if not orig.is_floating_point:
        out = torch.round(out).to(orig)
    return _from_nhwc(out, data_format, unbatched)


def sobel_edges(images, data_format=None):
    """(dy, dx) Sobel responses stacked on a new last axis; borders reflect
    (as ``tf.image.sobel_edges``)."""
    images = _tensor(images)
    _check_rank("sobel_edges", images, (4,))
    data_format = config.standardize_data_format(data_format)
    x = images if data_format == "channels_first" else images.permute(0, 3, 1, 2)
    x = _float(x)
    c = x.shape[1]
    ky = torch.tensor([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=x.dtype, device=x.device)
    kernels = torch.stack([ky, ky.T]).unsqueeze(1).repeat(c, 1, 1, 1)  # (2c, 1, 3, 3)
    padded = F.pad(x, (1, 1, 1, 1), mode="reflect")
    out = F.conv2d(padded, kernels, groups=c)  # channel-major: (c0dy, c0dx, c1dy, ...)
    n, _, h, w = out.shape
    out = out.reshape(n, c, 2, h, w).permute(0, 1, 3, 4, 2)  # N, C, H, W, 2
    if data_format == "channels_last":
        out = out.permute(0, 2, 3, 1, 4)
    return out.contiguous()


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """Mean structural similarity (Gaussian window, 'valid' filtering), per image."""
    a, b = _tensor(image1), _tensor(image2)
    _check_rank("ssim", a, what="image1")
    _check_rank("ssim", b, what="image2")
    _args.check_same_shape("ssim", ("image1", "image2"), tuple(a.shape), tuple(b.shape))
    orig = a.dtype
    compute = to_torch_dtype(result_type(a.dtype, "float32"))
    data_format = config.standardize_data_format(data_format)
    a, unbatched = _to_nhwc(a.to(compute), data_format)
    b, _ = _to_nhwc(b.to(compute), data_format)
    n, h, w, c = a.shape
    a = a.permute(0, 3, 1, 2).reshape(n * c, 1, h, w)
    b = b.permute(0, 3, 1, 2).reshape(n * c, 1, h, w)
    g = _gaussian_1d(int(filter_size), float(filter_sigma), compute, a.device)
    kernel = torch.outer(g, g).reshape(1, 1, filter_size, filter_size)

    def filt(x):
        return F.conv2d(x, kernel)

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = filt(a), filt(b)
    s11 = filt(a * a) - mu1 * mu1
    s22 = filt(b * b) - mu2 * mu2
    s12 = filt(a * b) - mu1 * mu2
    num = (2 * mu1 * mu2 + c1) * (2 * s12 + c2)
    den = (mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2)
    out = (num / den).mean(dim=(1, 2, 3)).reshape(n, c).mean(-1)
    out = out.squeeze(0) if unbatched else out
    return out.to(orig) if orig.is_floating_point else out


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
    from cornu.backends.torch import random as _random

    order = _args.check_interpolation("elastic_transform", interpolation)
    _args.check_fill_mode("elastic_transform", fill_mode)
    images = _tensor(images)
    _check_rank("elastic_transform", images)
    data_format = config.standardize_data_format(data_format)
    x, unbatched = _to_nhwc(images, data_format)
    n, h, w, _ = x.shape
    dtype = _coord_dtype(x)
    sigma = float(sigma)
    ksize = int(6 * sigma) | 1
    field = _random.normal((n, 2, h, w), dtype=standardize_dtype(dtype), seed=seed) * sigma
    g = _gaussian_1d(ksize, sigma, dtype, x.device)
    field = _depthwise_same(field.to(x.device), torch.outer(g, g))
    ys = torch.arange(h, dtype=dtype, device=x.device).reshape(1, h, 1)
    xs = torch.arange(w, dtype=dtype, device=x.device).reshape(1, 1, w)
    y_in = ys + float(alpha) * field[:, 1]
    x_in = xs + float(alpha) * field[:, 0]
    out = _sample_images(x, y_in, x_in, order, fill_mode, fill_value)
    return _from_nhwc(out.to(images.dtype), data_format, unbatched)


def _triangle(x):
    return torch.clamp(1.0 - torch.abs(x), min=0.0)


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = torch.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return torch.where(x >= 2.0, 0.0, out)


def _lanczos(radius):
    def kernel(x):
        y = radius * torch.sin(math.pi * x) * torch.sin(math.pi * x / radius)
        safe = torch.where(x != 0, math.pi ** 2 * x ** 2, 1.0)
        out = torch.where(x > 1e-3, y / safe, 1.0)
        return torch.where(x > radius, 0.0, out)
    return kernel


_KERNELS = {"linear": _triangle, "cubic": _keys_cubic, "lanczos3": _lanczos(3.0),
            "lanczos5": _lanczos(5.0)}


def _weight_matrix(in_size, out_size, scale, translation, kernel, antialias, dtype, device):
    inv = 1.0 / scale
    kscale = torch.clamp(inv, min=1.0) if antialias else 1.0
    sample = (torch.arange(out_size, dtype=dtype, device=device) + 0.5) * inv \
        - translation * inv - 0.5
    dist = torch.abs(sample[None, :] - torch.arange(in_size, dtype=dtype, device=device)[:, None])
    weights = kernel(dist / kscale)
    total = weights.sum(0, keepdim=True)
    eps = 1000.0 * float(torch.finfo(torch.float32).eps)
    weights = torch.where(torch.abs(total) > eps,
                          weights / torch.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return torch.where(inside[None, :], weights, 0.0)


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resample ``images`` along ``spatial_dims``: input location ``x`` maps to
    ``x * scale + translation`` (half-pixel centres; samples outside give 0)."""
    method = _args.scale_and_translate_kernel(method)
    x = _tensor(images)
    scale = _float(_tensor(scale))
    translation = _float(_tensor(translation)).to(scale.dtype)
    orig = x.dtype
    out = _float(x)
    compute = scale.dtype
    for i, d in enumerate(spatial_dims):
        d = d % x.ndim
        wmat = _weight_matrix(x.shape[d], int(output_shape[d]), scale[i], translation[i],
                              _KERNELS[method], antialias, compute, x.device).to(out.dtype)
        out = torch.moveaxis(torch.tensordot(out, wmat, dims=([d], [0])), -1, d)
    if not orig.is_floating_point:
        out = torch.clamp(torch.round(out), x.min(), x.max()).to(orig)
    return out
