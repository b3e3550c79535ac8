"""``cornu.ops.math`` on NumPy."""
import math as _math

import numpy as np
from cornu.backends.numpy._utils import array as _a
from cornu.backends.numpy._utils import exported
from cornu.backends.numpy._utils import float_array as _f


def logsumexp(x, axis=None, keepdims=False):
    x = _f(x)
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)
    out = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return out if keepdims else np.squeeze(out, axis=axis)


def top_k(x, k, sorted=True):
    x = _a(x)
    # A stable sort of the negated values keeps the first of equal values first.
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, axis=-1), order.astype(np.int32)


def in_top_k(targets, predictions, k):
    predictions = _f(predictions)
    targets = _a(targets).astype(np.int64)
    target_values = np.take_along_axis(predictions, targets[:, None], axis=-1)
    # Ties count as "in": a target is in the top k when fewer than k values beat it.
    better = np.sum(predictions > target_values, axis=-1)
    return (better < k) & np.isfinite(target_values[:, 0])


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    data, ids = _a(data), _a(segment_ids).astype(np.int64)
    num_segments = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    out = np.zeros((num_segments,) + data.shape[1:], data.dtype)
    valid = (ids >= 0) & (ids < num_segments)
    np.add.at(out, ids[valid], data[valid])
    return out


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    data, ids = _a(data), _a(segment_ids).astype(np.int64)
    num_segments = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    low = -np.inf if data.dtype.kind == "f" else np.iinfo(data.dtype).min
    out = np.full((num_segments,) + data.shape[1:], low, data.dtype)
    valid = (ids >= 0) & (ids < num_segments)
    np.maximum.at(out, ids[valid], data[valid])
    return out


def erf(x):
    x = _f(x)
    return np.vectorize(_math.erf, otypes=[x.dtype])(x)


def erfc(x):
    x = _f(x)
    return np.vectorize(_math.erfc, otypes=[x.dtype])(x)


def rsqrt(x):
    return 1.0 / np.sqrt(_f(x))


def logdet(x):
    return np.linalg.slogdet(_f(x))[1]


exported(globals())
