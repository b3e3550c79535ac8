"""``cornu.ops.image`` on TensorFlow."""
import tensorflow as tf

from cornu import config
from cornu.backends.tensorflow._utils import floatx, to_tensor, to_tf_dtype

_tensor = to_tensor

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")


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
