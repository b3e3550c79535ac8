"""``cornu.ops.nn`` on NumPy: activations, convolutions, pooling, normalization, losses.

Convolutions gather windows with ``sliding_window_view`` and contract them with
the kernel in one ``tensordot``/``einsum``; "same" padding follows TensorFlow's
rule (the extra pixel goes after), which is what Keras 3 does on every backend.
"""
import math as _math

import numpy as np
from cornu import config
from cornu.backends.numpy._utils import array as _a
from cornu.backends.numpy._utils import exported, to_np_dtype
from cornu.backends.numpy._utils import float_array as _f
from numpy.lib.stride_tricks import sliding_window_view


# -- activations ----------------------------------------------------------------------
def relu(x):
    x = _a(x)
    return np.maximum(x, np.zeros((), x.dtype))


def relu6(x):
    x = _a(x)
    return np.clip(x, 0, 6).astype(x.dtype)


def sigmoid(x):
    x = _f(x)
    # Split by sign so that exp never overflows.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def tanh(x):
    return np.tanh(_f(x))


def softplus(x):
    x = _f(x)
    return np.logaddexp(np.zeros((), x.dtype), x)


def softsign(x):
    x = _f(x)
    return x / (1 + np.abs(x))


def silu(x):
    x = _f(x)
    return x * sigmoid(x)


swish = silu


def log_sigmoid(x):
    return -softplus(-_f(x))


def leaky_relu(x, negative_slope=0.2):
    x = _f(x)
    return np.where(x >= 0, x, x * np.asarray(negative_slope, x.dtype))


def hard_sigmoid(x):
    x = _f(x)
    return np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype)


def hard_silu(x):
    x = _f(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def elu(x, alpha=1.0):
    x = _f(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)


def selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return (scale * elu(x, alpha)).astype(_f(x).dtype)


def celu(x, alpha=1.0):
    x = _f(x)
    return (np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha)).astype(x.dtype)


def _erf(x):
    """erf, elementwise with ``math.erf`` (NumPy has none; exact, if not fast)."""
    return np.vectorize(_math.erf, otypes=[np.float64])(x)


def gelu(x, approximate=True):
    x = _f(x)
    if approximate:
        c = np.sqrt(2 / np.pi).astype(x.dtype)
        return (0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3)))).astype(x.dtype)
    return (0.5 * x * (1 + _erf(x / np.sqrt(2)))).astype(x.dtype)


def glu(x, axis=-1):
    a, b = np.split(_f(x), 2, axis=axis)
    return a * sigmoid(b)


def hard_tanh(x):
    return np.clip(_f(x), -1, 1)


def softmax(x, axis=-1):
    x = _f(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    x = _f(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# -- convolutions ------------------------------------------------------------------------
def _tuple(value, n, name):
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"{name} must have {n} values, received {value}")
    return value


def _channels_last(x, data_format):
    data_format = config.standardize_data_format(data_format)
    if data_format == "channels_first":
        return np.moveaxis(x, 1, -1), True
    return x, False


def _restore(y, moved):
    return np.moveaxis(y, -1, 1) if moved else y


def _same_pads(sizes, kernel, strides, dilation):
    pads = []
    for n, k, s, d in zip(sizes, kernel, strides, dilation):
        eff = (k - 1) * d + 1
        total = max((-(-n // s) - 1) * s + eff - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _windows(x, kernel, strides, padding, dilation, pad_value=0.0):
    """(batch, *out_spatial, channels, *kernel) views of channels-last ``x``."""
    spatial = x.shape[1:-1]
    padding = padding.lower()
    if padding == "same":
        pads = _same_pads(spatial, kernel, strides, dilation)
        x = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=pad_value)
    elif padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', received {padding!r}")
    eff = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
    axes = tuple(range(1, 1 + len(kernel)))
    w = sliding_window_view(x, eff, axis=axes)
    index = (slice(None),) + tuple(slice(None, None, s) for s in strides) + (slice(None),) \
        + tuple(slice(None, None, d) for d in dilation)
    return w[index]


def _flat_windows(x, kernel_shape, strides, padding, dilation):
    """(batch, *out_spatial, prod(kernel), channels) windows of channels-last ``x``."""
    n = len(kernel_shape)
    w = _windows(x, kernel_shape, _tuple(strides, n, "strides"), padding,
                 _tuple(dilation, n, "dilation_rate"))  # (b, *o, C, *k)
    w = np.moveaxis(w, 1 + n, -1)  # (b, *o, *k, C)
    return w.reshape(w.shape[:1 + n] + (-1, x.shape[-1]))


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x, moved = _channels_last(_f(inputs), data_format)
    kernel = _a(kernel)  # (*k, channels / groups, filters)
    n = x.ndim - 2
    ks = kernel.shape[:n]
    w = _flat_windows(x, ks, strides, padding, dilation_rate)
    in_per_group, out = kernel.shape[-2], kernel.shape[-1]
    groups = x.shape[-1] // in_per_group
    k = kernel.reshape((-1, in_per_group, out))
    if groups == 1:
        y = np.tensordot(w, k, axes=([-2, -1], [0, 1]))
    else:  # grouped: channel g*cin + c meets filter g*(out/groups) + j
        w = w.reshape(w.shape[:-1] + (groups, in_per_group))
        k = k.reshape((-1, in_per_group, groups, out // groups))
        y = np.einsum("...kgc,kcgj->...gj", w, k, optimize=True)
        y = y.reshape(y.shape[:-2] + (out,))
    return _restore(y.astype(x.dtype), moved)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    x, moved = _channels_last(_f(inputs), data_format)
    kernel = _a(kernel)  # (*k, channels, multiplier)
    n = x.ndim - 2
    w = _flat_windows(x, kernel.shape[:n], strides, padding, dilation_rate)
    k = kernel.reshape((-1,) + kernel.shape[n:])
    y = np.einsum("...kc,kcm->...cm", w, k, optimize=True)
    y = y.reshape(y.shape[:-2] + (y.shape[-2] * y.shape[-1],))
    return _restore(y.astype(x.dtype), moved)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    data_format = config.standardize_data_format(data_format)
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format, 1)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """The gradient of ``conv``: dilate the input by the strides, pad, convolve with
    the flipped kernel (Keras's padding rule for transposed convolutions)."""
    x, moved = _channels_last(_f(inputs), data_format)
    kernel = _a(kernel)  # (*k, out, in)
    n = x.ndim - 2
    ks = kernel.shape[:n]
    strides = _tuple(strides, n, "strides")
    dilation = _tuple(dilation_rate, n, "dilation_rate")
    out_pad = [None] * n if output_padding is None else _tuple(output_padding, n,
                                                               "output_padding")
    pads = []
    for k, s, d, op in zip(ks, strides, dilation, out_pad):
        k_eff = (k - 1) * d + 1
        if padding.lower() == "valid":
            op = max(k_eff, s) - k_eff if op is None else op
            left, right = k_eff - 1, k_eff - 1 + op
        else:
            pad_len = s + k_eff - 2 if op is None else k_eff + k_eff % 2 - 2 + op
            left = min(pad_len // 2 + pad_len % 2, k_eff - 1)
            right = pad_len - left
        pads.append((left, right))
    # Insert (stride - 1) zeros between input pixels.
    shape = (x.shape[0],) + tuple((n_ - 1) * s + 1 for n_, s in zip(x.shape[1:-1], strides)) \
        + (x.shape[-1],)
    dilated = np.zeros(shape, x.dtype)
    dilated[(slice(None),) + tuple(slice(None, None, s) for s in strides)] = x
    # Negative pads crop.
    crop = tuple(slice(max(-lo, 0), shape[i + 1] - max(-hi, 0))
                 for i, (lo, hi) in enumerate(pads))
    dilated = dilated[(slice(None),) + crop]
    dilated = np.pad(dilated, [(0, 0)] + [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
                     + [(0, 0)])
    flipped = np.flip(kernel, axis=tuple(range(n)))
    flipped = np.swapaxes(flipped, -1, -2)  # (*k, in, out)
    y = conv(dilated, flipped, 1, "valid", "channels_last", dilation)
    return _restore(y, moved)


# -- pooling --------------------------------------------------------------------------------
def _pool_args(x, pool_size, strides):
    n = x.ndim - 2
    pool = _tuple(pool_size, n, "pool_size")
    strides = pool if strides is None else _tuple(strides, n, "strides")
    return n, pool, strides


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x, moved = _channels_last(_a(inputs), data_format)
    n, pool, strides = _pool_args(x, pool_size, strides)
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    w = _windows(x, pool, strides, padding, (1,) * n, pad_value=low)
    return _restore(w.max(axis=tuple(range(-n, 0))), moved)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average over the window; with "same" padding, over its valid pixels only."""
    x, moved = _channels_last(_f(inputs), data_format)
    n, pool, strides = _pool_args(x, pool_size, strides)
    axes = tuple(range(-n, 0))
    total = _windows(x, pool, strides, padding, (1,) * n).sum(axis=axes)
    if padding.lower() == "same":
        ones = np.ones((1,) + x.shape[1:-1] + (1,), x.dtype)
        count = _windows(ones, pool, strides, padding, (1,) * n).sum(axis=axes)
    else:
        count = np.prod(pool)
    return _restore((total / count).astype(x.dtype), moved)


def adaptive_average_pool(inputs, output_size, data_format=None):
    return _adaptive(inputs, output_size, data_format, np.mean)


def adaptive_max_pool(inputs, output_size, data_format=None):
    return _adaptive(inputs, output_size, data_format, np.max)


def _adaptive(inputs, output_size, data_format, reduce):
    x, moved = _channels_last(_f(inputs), data_format)
    n = x.ndim - 2
    out = _tuple(output_size, n, "output_size")
    for axis, (size, target) in enumerate(zip(x.shape[1:-1], out), start=1):
        parts = [reduce(np.take(x, range((i * size) // target, -(-((i + 1) * size) // target)),
                                axis=axis), axis=axis, keepdims=True)
                 for i in range(target)]
        x = np.concatenate(parts, axis=axis)
    return _restore(x, moved)


# -- encodings, normalization, dense -----------------------------------------------------
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    x = _a(x).astype(np.int64)
    eye = np.eye(num_classes, dtype=to_np_dtype(dtype or config.floatx()))
    out = eye[np.clip(x, 0, num_classes - 1)] * ((x >= 0) & (x < num_classes))[..., None]
    return np.moveaxis(out, -1, axis) if axis != -1 else out


def multi_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    return np.max(one_hot(x, num_classes, axis=axis, dtype=dtype), axis=-2 if axis == -1
                  else 0)


def moments(x, axes, keepdims=False, synchronized=False):
    x = _f(x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    mean = np.mean(x, axis=axes, keepdims=True)
    variance = np.mean(np.square(x - mean), axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = np.squeeze(mean, axes), np.squeeze(variance, axes)
    return mean, variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    x = _f(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def b(v):
        return None if v is None else np.reshape(_a(v), shape)

    inv = 1 / np.sqrt(b(variance) + epsilon)
    if scale is not None:
        inv = inv * b(scale)
    y = (x - b(mean)) * inv
    if offset is not None:
        y = y + b(offset)
    return y.astype(x.dtype)


def _norm_axes(axis, ndim):
    axes = axis if isinstance(axis, (list, tuple)) else (axis,)
    return tuple(a % ndim for a in axes)


def normalize(x, axis=-1, order=2, epsilon=None):
    x = _f(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return (x / np.maximum(norm, epsilon)).astype(x.dtype)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    x = _f(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    y = x / np.sqrt(np.mean(np.square(x), axis=axis, keepdims=True) + epsilon)
    return (y if scale is None else y * _a(scale)).astype(x.dtype)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    x = _f(x)
    epsilon = 1e-3 if epsilon is None else epsilon
    axes = _norm_axes(axis, x.ndim)
    mean = np.mean(x, axis=axes, keepdims=True)
    variance = np.var(x, axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(variance + epsilon)
    if gamma is not None:
        y = y * _a(gamma)
    if beta is not None:
        y = y + _a(beta)
    return y.astype(x.dtype)


def dense(inputs, kernel, bias=None):
    """``inputs @ kernel + bias`` (cornu's fused op for Dense)."""
    y = np.matmul(_a(inputs), _a(kernel))
    return y if bias is None else y + _a(bias)


# -- losses ---------------------------------------------------------------------------------
def _probabilities(output, from_logits, axis):
    if from_logits:
        return softmax(output, axis=axis)
    output = _f(output)
    output = output / np.sum(output, axis=axis, keepdims=True)
    eps = config.epsilon()
    return np.clip(output, eps, 1 - eps)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _f(target), _f(output)
    if target.shape != output.shape:
        raise ValueError(
            "categorical_crossentropy: target and output must have the same shape, received "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    if from_logits:
        return -np.sum(target * log_softmax(output, axis=axis), axis=axis)
    return -np.sum(target * np.log(_probabilities(output, False, axis)), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _a(target), _f(output)
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = np.squeeze(target, -1)
    num_classes = output.shape[axis]
    labels = target.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels.min() if labels.min() < 0 else labels.max()
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must be in [0, {num_classes}), "
            f"received label {bad}"
        )
    log_p = log_softmax(output, axis) if from_logits else np.log(
        _probabilities(output, False, axis))
    log_p = np.moveaxis(log_p, axis, -1)
    return -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]


def binary_crossentropy(target, output, from_logits=False):
    target, output = _f(target), _f(output)
    if from_logits:
        # max(x, 0) - x * z + log(1 + exp(-|x|)), the stable form.
        return (np.maximum(output, 0) - output * target
                + np.log1p(np.exp(-np.abs(output)))).astype(output.dtype)
    eps = config.epsilon()
    output = np.clip(output, eps, 1 - eps)
    return -(target * np.log(output) + (1 - target) * np.log(1 - output))


exported(globals())
