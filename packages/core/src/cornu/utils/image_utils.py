"""Image files and arrays: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``
and ``smart_resize`` (``keras.utils`` / ``keras.preprocessing.image``).

The file functions need Pillow (``pip install pillow``), imported on first use;
``smart_resize`` runs on the active backend (``cornu.ops``).
"""
import io
import pathlib
import warnings

import numpy as np

from cornu import CornuWarning, config

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil(fn):
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError(
            f"{fn}() needs Pillow to read and write images: pip install pillow"
        ) from err
    return Image


def _resample(Image, interpolation):
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Invalid interpolation method {interpolation!r} specified. Supported methods "
            f"are {', '.join(_INTERPOLATIONS)}"
        )
    methods = getattr(Image, "Resampling", Image)  # Pillow >= 9.1 moved the constants
    return getattr(methods, interpolation.upper())


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image from a rank-3 array (height, width, channels) (or channels first).

    ``scale=True`` maps the values onto 0..255 (min to 0, max to 255).  One channel
    gives an "L" image ("I", 32-bit, when values exceed 255), three "RGB", four "RGBA".
    """
    data_format = config.standardize_data_format(data_format)
    Image = _pil("array_to_img")
    x = np.array(x, dtype=dtype or config.floatx())  # a copy: scaling works in place
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x -= np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return Image.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:  # more than 8 bits: a 32-bit integer image
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img, data_format=None, dtype=None):
    """A numpy array (height, width, channels), or channels first, from a PIL image
    (or anything ``np.asarray`` takes); a 2-D image gets a channel axis of 1."""
    data_format = config.standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[..., None]
    raise ValueError(f"Unsupported image shape: {x.shape}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the array ``x`` as an image file; the format comes from ``file_format`` or
    the path's suffix.  ``kwargs`` go to ``PIL.Image.save``."""
    data_format = config.standardize_data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.",
                      stacklevel=2, category=CornuWarning)
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """A PIL image read from ``path`` (a path or an ``io.BytesIO``).

    Args:
        color_mode: "rgb", "rgba" or "grayscale" (16- and 32-bit grayscale stay as read).
        target_size: ``(height, width)`` to resize to, or None.
        interpolation: "nearest", "bilinear", "bicubic", "hamming", "box" or "lanczos".
        keep_aspect_ratio: crop the centre to the target's aspect ratio before resizing.
    """
    Image = _pil("load_img")
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (str, bytes, pathlib.Path)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:  # read it all: the file is closed on return
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    modes = {"grayscale": ("L", ("L", "I;16", "I")), "rgba": ("RGBA", ("RGBA",)),
             "rgb": ("RGB", ("RGB",))}
    if color_mode not in modes:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    mode, keep = modes[color_mode]
    if img.mode not in keep:
        img = img.convert(mode)
    if target_size is None:
        return img
    size = (target_size[1], target_size[0])  # PIL sizes are (width, height)
    if img.size == size:
        return img
    resample = _resample(Image, interpolation)
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    crop_h = min(height, (width * size[1]) // size[0])
    crop_w = min(width, (height * size[0]) // size[1])
    left, top = (width - crop_w) // 2, (height - crop_h) // 2
    return img.resize(size, resample, box=(left, top, left + crop_w, top + crop_h))


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs):
    """Resize image(s) to ``size`` (height, width) without distorting them: the largest
    centred crop with the target's aspect ratio is taken first, then resized.

    ``x`` is one image (rank 3) or a batch (rank 4), channels last or first; a numpy
    input gives a numpy result, anything else a backend tensor.
    """
    from cornu import ops

    kwargs.pop("backend_module", None)  # Keras's hook for its preprocessing layers
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs)}")
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    img = ops.convert_to_tensor(x)
    if len(img.shape) not in (3, 4):
        raise ValueError(
            "Expected an image array with shape `(height, width, channels)`, or "
            "`(batch_size, height, width, channels)`, but got input with incorrect rank, "
            f"of shape {tuple(img.shape)}."
        )
    channels_last = data_format == "channels_last"
    height, width = (img.shape[-3], img.shape[-2]) if channels_last else (img.shape[-2],
                                                                          img.shape[-1])
    height, width = int(height), int(width)
    target_h, target_w = size
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    top = int(float(height - crop_h) / 2)
    left = int(float(width - crop_w) / 2)
    rows, cols = slice(top, top + crop_h), slice(left, left + crop_w)
    if channels_last:
        index = (Ellipsis, rows, cols, slice(None))
    else:
        index = (Ellipsis, rows, cols)
    img = ops.image.resize(img[index], size=size, interpolation=interpolation,
                           data_format=data_format)
    if isinstance(x, np.ndarray):
        return np.array(ops.convert_to_numpy(img))
    return img
