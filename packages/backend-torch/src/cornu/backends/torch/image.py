"""``cornu.ops.image`` on PyTorch (TF-compatible resize semantics)."""
import torch
import torch.nn.functional as F

from cornu import config
from cornu.backends.torch._utils import floatx, to_tensor, to_torch_dtype

_tensor = to_tensor

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area")


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
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"resize: interpolation must be one of {RESIZE_INTERPOLATIONS}, "
            f"received {interpolation!r}"
        )
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported, received {fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
    size = tuple(int(s) for s in size)
    if len(size) != 2:
        raise ValueError(f"resize: size must be (height, width), received {size}")
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
