"""``cornu.ops.image`` on NumPy: ``resize`` (nearest, bilinear) and ``rgb_to_grayscale``."""
import numpy as np
from cornu import config
from cornu.backends.numpy._utils import exported
from cornu.backends.numpy._utils import float_array as _f

RESIZE_INTERPOLATIONS = ("nearest", "bilinear")


def _source_coords(out_size, in_size):
    # Half-pixel centres, as Keras 3 (and tf.image.resize) sample.
    scale = in_size / out_size
    return (np.arange(out_size, dtype=np.float64) + 0.5) * scale - 0.5


def _resize_axis(x, axis, out_size, interpolation):
    in_size = x.shape[axis]
    coords = _source_coords(out_size, in_size)
    if interpolation == "nearest":
        index = np.clip(np.floor(coords + 0.5), 0, in_size - 1).astype(np.int64)
        return np.take(x, index, axis=axis)
    coords = np.clip(coords, 0, in_size - 1)
    lo = np.floor(coords).astype(np.int64)
    hi = np.minimum(lo + 1, in_size - 1)
    frac = (coords - lo).astype(x.dtype)
    shape = [1] * x.ndim
    shape[axis] = out_size
    frac = frac.reshape(shape)
    return np.take(x, lo, axis=axis) * (1 - frac) + np.take(x, hi, axis=axis) * frac


def resize(images, size, interpolation="bilinear", antialias=False,
           crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_mode="constant",
           fill_value=0.0, data_format=None):
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(f"resize: the numpy backend supports interpolation "
                         f"{RESIZE_INTERPOLATIONS}, received {interpolation!r}")
    if antialias or crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise ValueError("resize: the numpy backend supports neither antialias nor "
                         "crop/pad to aspect ratio")
    x = _f(images)
    channels_first = config.standardize_data_format(data_format) == "channels_first"
    spatial = (x.ndim - 3, x.ndim - 2) if not channels_first else (x.ndim - 2, x.ndim - 1)
    for axis, target in zip(spatial, size):
        x = _resize_axis(x, axis, int(target), interpolation)
    return x.astype(_f(images).dtype)


def rgb_to_grayscale(images, data_format=None):
    x = _f(images)
    axis = 1 if config.standardize_data_format(data_format) == "channels_first" else -1
    weights = np.asarray([0.2989, 0.5870, 0.1140], x.dtype)
    gray = np.tensordot(np.moveaxis(x, axis, -1), weights, axes=([-1], [0]))
    return np.expand_dims(gray, axis)


exported(globals())
