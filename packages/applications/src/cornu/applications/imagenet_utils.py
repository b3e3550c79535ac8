"""ImageNet helpers shared by the applications: ``preprocess_input``, ``decode_predictions``.

The 1000-class ImageNet index ships inside this package
(``data/imagenet_class_index.json``, byte-identical to the file Keras
downloads: md5 ``c2c37ea517e94d9795004a39431a14cb``), so decoding needs no
network.

Preprocessing modes (``preprocess_input(x, mode=...)``):

* ``"caffe"``: RGB -> BGR, then subtract the ImageNet BGR mean per channel, no scaling
  (VGG, ResNet v1);
* ``"tf"``: scale to ``[-1, 1]`` (``x / 127.5 - 1``; Xception, Inception, MobileNet,
  ResNet v2, NASNet);
* ``"torch"``: scale to ``[0, 1]``, then normalise with the ImageNet mean and std
  (DenseNet).
"""
import json
import warnings
from importlib import resources

import numpy as np

from cornu import CornuWarning, config

__all__ = ["decode_predictions", "preprocess_input"]

CLASS_INDEX = None
#: Where Keras downloads the same index from (kept for reference; cornu reads its own copy).
CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)

PREPROCESS_INPUT_DOC = """Preprocesses a tensor or NumPy array encoding a batch of images.

    Args:
        x: a floating point NumPy array or a backend tensor, 3D or 4D with 3 colour
            channels, values in ``[0, 255]``.  A float NumPy array is modified in
            place (pass ``numpy.copy(x)`` to keep the original).
        data_format: ``"channels_last"`` or ``"channels_first"``; None uses
            ``cornu.config.image_data_format()``.{mode}

    Returns:
        The preprocessed array (``float32`` for integer NumPy input) or tensor.{ret}

    Raises:
        {error}
    """

PREPROCESS_INPUT_MODE_DOC = """
        mode: ``"caffe"`` (RGB -> BGR, zero-centre each channel with the ImageNet
            mean, no scaling), ``"tf"`` (scale to [-1, 1] sample-wise) or
            ``"torch"`` (scale to [0, 1], then normalise each channel with the
            ImageNet mean and std).  Defaults to ``"caffe"``."""
PREPROCESS_INPUT_DEFAULT_ERROR_DOC = "ValueError: an unknown ``mode`` or ``data_format``."
PREPROCESS_INPUT_ERROR_DOC = "ValueError: an unknown ``data_format``."
PREPROCESS_INPUT_RET_DOC_TF = "\n        Pixel values are scaled to [-1, 1], sample-wise."
PREPROCESS_INPUT_RET_DOC_TORCH = (
    "\n        Pixel values are scaled to [0, 1] and each channel is normalised with the "
    "ImageNet mean and std."
)
PREPROCESS_INPUT_RET_DOC_CAFFE = (
    "\n        Images are converted from RGB to BGR and each channel is zero-centred with the "
    "ImageNet mean, without scaling."
)


def preprocess_input(x, data_format=None, mode="caffe"):
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(
            f"preprocess_input: expected mode to be one of 'caffe', 'tf' or 'torch'. "
            f"Received: mode={mode!r}"
        )
    if data_format is None:
        data_format = config.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError(
            "preprocess_input: expected data_format to be 'channels_first' or "
            f"'channels_last'. Received: data_format={data_format!r}"
        )
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


preprocess_input.__doc__ = PREPROCESS_INPUT_DOC.format(
    mode=PREPROCESS_INPUT_MODE_DOC, ret="", error=PREPROCESS_INPUT_DEFAULT_ERROR_DOC
)


def _channel_axis(ndim, data_format):
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _channel_shape(ndim, axis):
    shape = [1] * ndim
    shape[axis] = 3
    return shape


def _preprocess_numpy(x, data_format, mode):
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(config.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
        x -= np.reshape(np.asarray(_TORCH_MEAN, x.dtype), _channel_shape(x.ndim, axis))
        x /= np.reshape(np.asarray(_TORCH_STD, x.dtype), _channel_shape(x.ndim, axis))
        return x
    x = np.flip(x, axis=axis)  # RGB -> BGR (a view, as Keras's ``x[..., ::-1]``)
    x -= np.reshape(np.asarray(_CAFFE_MEAN_BGR, x.dtype), _channel_shape(x.ndim, axis))
    return x


def _preprocess_tensor(x, data_format, mode):
    from cornu import ops

    if mode == "tf":
        return ops.subtract(ops.divide(x, 127.5), 1.0)
    ndim = len(x.shape)
    axis = _channel_axis(ndim, data_format)
    dtype = ops.dtype(x)
    if mode == "torch":
        x = ops.divide(x, 255.0)
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = ops.flip(x, axis=axis)
        mean, std = _CAFFE_MEAN_BGR, None
    mean = ops.reshape(ops.convert_to_tensor(np.asarray(mean), dtype=dtype),
                       _channel_shape(ndim, axis))
    x = ops.subtract(x, mean)
    if std is not None:
        std = ops.reshape(ops.convert_to_tensor(np.asarray(std), dtype=dtype),
                          _channel_shape(ndim, axis))
        x = ops.divide(x, std)
    return x


def _class_index():
    global CLASS_INDEX
    if CLASS_INDEX is None:
        text = resources.files("cornu.applications").joinpath(
            "data", "imagenet_class_index.json"
        ).read_text(encoding="utf-8")
        CLASS_INDEX = json.loads(text)
    return CLASS_INDEX


def decode_predictions(preds, top=5):
    """Decodes the predictions of an ImageNet model.

    Args:
        preds: a batch of predictions, shape ``(samples, 1000)`` (NumPy array or tensor).
        top: how many top guesses to return per sample.  Defaults to ``5``.

    Returns:
        One list per sample of ``(class_name, class_description, score)`` tuples,
        best first (e.g. ``("n01440764", "tench", 0.93)``).

    Raises:
        ValueError: ``preds`` is not a 2D array of shape ``(samples, 1000)``.
    """
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "decode_predictions expects a batch of predictions (a 2D array of shape "
            f"(samples, 1000)). Received an array of shape {tuple(preds.shape)}"
        )
    index = _class_index()
    if not isinstance(preds, np.ndarray):
        from cornu import ops

        preds = ops.convert_to_numpy(preds)
    results = []
    for pred in preds:
        top_indices = pred.argsort()[-top:][::-1]
        result = [tuple(index[str(i)]) + (pred[i],) for i in top_indices]
        result.sort(key=lambda r: r[2], reverse=True)
        results.append(result)
    return results


# --------------------------------------------------------------------------- #
# Helpers for the model builders
# --------------------------------------------------------------------------- #
def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """The model's input shape: ``input_shape`` validated, or the default one.

    Args:
        input_shape: None (use the default) or a 3-tuple to validate.
        default_size: the default image height/width.
        min_size: the smallest height/width the architecture accepts.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        require_flatten: whether a classifier follows (``include_top``): the shape
            must then be static, and equal to the default with ImageNet weights.
        weights: None, ``"imagenet"`` or a path; ImageNet weights need 3 channels.

    Returns:
        A shape tuple (possibly with None for height/width).
    """
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if data_format == "channels_first" else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed "
                f"an input_shape with {channels} input channels.",
                stacklevel=3, category=CornuWarning)
        if data_format == "channels_first":
            default_shape = (input_shape[0], default_size, default_size)
        else:
            default_shape = (default_size, default_size, input_shape[-1])
    elif data_format == "channels_first":
        default_shape = (3, default_size, default_size)
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting include_top=True and loading 'imagenet' weights, input_shape "
                f"should be {default_shape}. Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                f"input_shape must be a tuple of three integers. Received: input_shape="
                f"{input_shape}"
            )
        if data_format == "channels_first":
            channels, spatial = input_shape[0], input_shape[1:]
        else:
            channels, spatial = input_shape[-1], input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(
                f"The input must have 3 channels with 'imagenet' weights. Received: "
                f"input_shape={input_shape}"
            )
        if any(d is not None and d < min_size for d in spatial):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}. Received: "
                f"input_shape={input_shape}"
            )
    elif require_flatten:
        input_shape = default_shape
    elif data_format == "channels_first":
        input_shape = (3, None, None)
    else:
        input_shape = (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If include_top is True, you should specify a static input_shape. Received: "
            f"input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs, kernel_size):
    """The ``ZeroPadding2D`` padding that makes a strided 'valid' conv behave like 'same'.

    Args:
        inputs: the (symbolic) input tensor.
        kernel_size: an int or a pair of ints.

    Returns:
        ``((top, bottom), (left, right))``.
    """
    first = 2 if config.image_data_format() == "channels_first" else 1
    size = tuple(inputs.shape[first:first + 2])
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained weights allow only ``None`` or ``"softmax"`` as the classifier activation."""
    if weights is None:
        return
    from cornu import activations

    fn = activations.get(classifier_activation)
    if fn not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError(
            "Only None and 'softmax' activations are allowed for the classifier_activation "
            "argument when using pretrained weights, with include_top=True; Received: "
            f"classifier_activation={classifier_activation}"
        )
