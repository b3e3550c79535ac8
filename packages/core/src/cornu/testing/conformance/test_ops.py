"""The op surface against numpy references: one table row per case.

Each row names an op (``namespace.name`` under ``cornu.ops``), builds its inputs from
a seeded numpy Generator, and gives the numpy reference and tolerance.  Inputs go in
as numpy arrays (the backend converts them); outputs come back through
``ops.convert_to_numpy``.  An op the backend lacks fails its row with the front's
``AttributeError`` naming the backend.
"""
import math

import numpy as np
import pytest

from cornu import ops


# -- data ---------------------------------------------------------------------------
def f32(r, *shape):
    return r.standard_normal(shape).astype("float32")


def pos(r, *shape):
    return r.uniform(0.5, 2.0, shape).astype("float32")


def unit(r, *shape):
    return r.uniform(-0.9, 0.9, shape).astype("float32")


def i32(r, low, high, *shape):
    return r.integers(low, high, shape).astype("int32")


def spd(r, n):
    a = r.standard_normal((n, n))
    return (a @ a.T + n * np.eye(n)).astype("float32")


def probs(r, *shape):
    e = np.exp(r.standard_normal(shape))
    return (e / e.sum(-1, keepdims=True)).astype("float32")


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _log_softmax(x, axis=-1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


_erf = np.vectorize(math.erf, otypes=["float64"])


# -- references that numpy spells differently ----------------------------------------
def conv_ref(x, w, strides=1, padding="valid"):
    """N-d convolution, channels_last, as a loop over the output positions."""
    n = x.ndim - 2
    k = w.shape[:n]
    s = (strides,) * n if isinstance(strides, int) else strides
    if padding == "same":
        pads = []
        for i in range(n):
            out = -(-x.shape[1 + i] // s[i])
            total = max((out - 1) * s[i] + k[i] - x.shape[1 + i], 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, [(0, 0), *pads, (0, 0)])
    out_shape = [(x.shape[1 + i] - k[i]) // s[i] + 1 for i in range(n)]
    out = np.zeros((x.shape[0], *out_shape, w.shape[-1]), "float64")
    for index in np.ndindex(*out_shape):
        window = tuple(slice(index[i] * s[i], index[i] * s[i] + k[i]) for i in range(n))
        patch = x[(slice(None), *window)]
        out[(slice(None), *index)] = np.tensordot(patch, w, axes=n + 1)
    return out


def depthwise_ref(x, w):
    """1-D valid depthwise convolution, w: (k, channels, multiplier)."""
    k, c, m = w.shape
    length = x.shape[1] - k + 1
    out = np.zeros((x.shape[0], length, c * m))
    for t in range(length):
        out[:, t] = np.einsum("bkc,kcm->bcm", x[:, t:t + k], w).reshape(x.shape[0], -1)
    return out


def conv_transpose_ref(x, w, stride):
    """1-D valid transposed convolution, w: (k, out_channels, in_channels)."""
    k = w.shape[0]
    out = np.zeros((x.shape[0], (x.shape[1] - 1) * stride + k, w.shape[1]))
    for t in range(x.shape[1]):
        out[:, t * stride:t * stride + k] += np.einsum("bi,koi->bko", x[:, t], w)
    return out


def pool_ref(x, size, reduce):
    b, h, w, c = x.shape
    h, w = h // size * size, w // size * size
    blocks = x[:, :h, :w].reshape(b, h // size, size, w // size, size, c)
    return reduce(blocks, axis=(2, 4))


def segment_ref(data, ids, num, reduce, empty):
    return np.stack([reduce(data[ids == s], axis=0) if (ids == s).any()
                     else np.full(data.shape[1:], empty, data.dtype) for s in range(num)])


def top_k_ref(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order


def reconstruct_qr(a):
    q, r = ops.linalg.qr(a)
    return ops.convert_to_numpy(q) @ ops.convert_to_numpy(r)


def reconstruct_eigh(a):
    w, v = (ops.convert_to_numpy(t) for t in ops.linalg.eigh(a))
    return v @ np.diag(w) @ v.T


def fft_ref(re, im):
    out = np.fft.fft(re + 1j * im)
    return out.real, out.imag


def crossentropy_ref(t, p):
    return -(t * np.log(p)).sum(-1)


def binary_crossentropy_ref(t, p):
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _sorted_values(r):
    return np.sort(f32(r, 8)), f32(r, 5)


# -- the table ------------------------------------------------------------------------
class Case:
    """``op`` on ``inputs(rng)`` (a tuple of positional arguments) with ``kwargs``,
    against ``reference`` (default: numpy's function of the same name, same arguments)."""

    def __init__(self, op, inputs, reference=None, kwargs=None, rtol=1e-5, atol=1e-5,
                 id=None, call=None):
        self.op, self.inputs, self.kwargs = op, inputs, kwargs or {}
        namespace, name = op.split(".")
        self.reference = reference or getattr(np.linalg if namespace == "linalg" else np, name)
        self.rtol, self.atol = rtol, atol
        self.id = id or op
        self.call = call  # a custom call of the op (decompositions: reconstruct)


C = Case
A34 = lambda r: (f32(r, 3, 4),)  # noqa: E731
AB34 = lambda r: (f32(r, 3, 4), f32(r, 3, 4))  # noqa: E731
POS = lambda r: (pos(r, 3, 4),)  # noqa: E731

CASES = [
    # numpy: elementwise
    C("numpy.add", lambda r: (f32(r, 3, 4), f32(r, 4))),  # broadcasting
    C("numpy.subtract", AB34),
    C("numpy.multiply", AB34),
    C("numpy.divide", lambda r: (f32(r, 3, 4), pos(r, 3, 4))),
    C("numpy.power", lambda r: (pos(r, 3, 4), f32(r, 3, 4))),
    C("numpy.mod", lambda r: (f32(r, 3, 4) * 4, pos(r, 3, 4))),
    C("numpy.floor_divide", lambda r: (i32(r, -20, 20, 6), i32(r, 1, 5, 6))),
    C("numpy.maximum", AB34),
    C("numpy.minimum", AB34),
    C("numpy.negative", A34),
    C("numpy.abs", A34),
    C("numpy.square", A34),
    C("numpy.sqrt", POS),
    C("numpy.exp", A34),
    C("numpy.expm1", A34),
    C("numpy.log", POS),
    C("numpy.log1p", POS),
    C("numpy.log2", POS),
    C("numpy.reciprocal", POS),
    C("numpy.sin", A34),
    C("numpy.cos", A34),
    C("numpy.tan", lambda r: (unit(r, 3, 4),)),
    C("numpy.tanh", A34),
    C("numpy.arctan", A34),
    C("numpy.arctan2", AB34),
    C("numpy.arcsin", lambda r: (unit(r, 3, 4),)),
    C("numpy.cosh", A34),
    C("numpy.hypot", AB34),
    C("numpy.logaddexp", AB34),
    C("numpy.sign", A34),
    C("numpy.floor", lambda r: (f32(r, 3, 4) * 3,)),
    C("numpy.ceil", lambda r: (f32(r, 3, 4) * 3,)),
    C("numpy.round", lambda r: (np.array([0.5, 1.5, 2.5, -0.5, -1.49, 2.51], "float32"),)),
    C("numpy.clip", lambda r: (f32(r, 3, 4), -0.5, 0.5)),
    C("numpy.where", lambda r: (f32(r, 3, 4) > 0, f32(r, 3, 4), f32(r, 3, 4))),
    C("numpy.nan_to_num", lambda r: (np.array([1.0, np.nan, -2.0], "float32"),)),
    # numpy: comparisons and logic (bool results)
    C("numpy.equal", lambda r: (i32(r, 0, 3, 8), i32(r, 0, 3, 8))),
    C("numpy.not_equal", lambda r: (i32(r, 0, 3, 8), i32(r, 0, 3, 8))),
    C("numpy.greater", AB34),
    C("numpy.less_equal", AB34),
    C("numpy.logical_and", lambda r: (f32(r, 6) > 0, f32(r, 6) > 0)),
    C("numpy.logical_not", lambda r: (f32(r, 6) > 0,)),
    C("numpy.isnan", lambda r: (np.array([1.0, np.nan, np.inf], "float32"),)),
    C("numpy.isfinite", lambda r: (np.array([1.0, np.nan, -np.inf], "float32"),)),
    # numpy: products
    C("numpy.matmul", lambda r: (f32(r, 2, 3, 4), f32(r, 4, 5))),
    C("numpy.dot", lambda r: (f32(r, 3, 4), f32(r, 4, 2))),
    C("numpy.tensordot", lambda r: (f32(r, 2, 3, 4), f32(r, 3, 4, 5)), kwargs={"axes": 2}),
    C("numpy.einsum", lambda r: ("bij,bjk->bik", f32(r, 2, 3, 4), f32(r, 2, 4, 5))),
    C("numpy.outer", lambda r: (f32(r, 3), f32(r, 4))),
    C("numpy.cross", lambda r: (f32(r, 4, 3), f32(r, 4, 3))),
    C("numpy.trace", lambda r: (f32(r, 4, 4),)),
    # numpy: shapes
    C("numpy.reshape", lambda r: (f32(r, 3, 4), (2, 6))),
    C("numpy.transpose", lambda r: (f32(r, 2, 3, 4),), kwargs={"axes": (2, 0, 1)}),
    C("numpy.swapaxes", lambda r: (f32(r, 2, 3, 4), 0, 2)),
    C("numpy.moveaxis", lambda r: (f32(r, 2, 3, 4), 0, -1)),
    C("numpy.expand_dims", lambda r: (f32(r, 3, 4), 1)),
    C("numpy.squeeze", lambda r: (f32(r, 3, 1, 4),), kwargs={"axis": 1}),
    C("numpy.concatenate", lambda r: ([f32(r, 2, 3), f32(r, 2, 2)],), kwargs={"axis": 1}),
    C("numpy.stack", lambda r: ([f32(r, 2, 3), f32(r, 2, 3)],), kwargs={"axis": 1}),
    C("numpy.split", lambda r: (f32(r, 6, 2), 3)),
    C("numpy.tile", lambda r: (f32(r, 2, 3), (2, 1))),
    C("numpy.repeat", lambda r: (f32(r, 2, 3), 2), kwargs={"axis": 1}),
    C("numpy.broadcast_to", lambda r: (f32(r, 1, 4), (3, 4))),
    C("numpy.flip", lambda r: (f32(r, 3, 4),), kwargs={"axis": 1}),
    C("numpy.roll", lambda r: (f32(r, 3, 4), 1), kwargs={"axis": 1}),
    C("numpy.pad", lambda r: (f32(r, 2, 3), ((1, 0), (2, 1)))),
    C("numpy.take", lambda r: (f32(r, 3, 5), np.array([4, 0, 2], "int32")), kwargs={"axis": 1}),
    C("numpy.take_along_axis", lambda r: (f32(r, 3, 4), i32(r, 0, 4, 3, 2)),
      kwargs={"axis": 1}),
    C("numpy.tril", lambda r: (f32(r, 4, 4),)),
    C("numpy.triu", lambda r: (f32(r, 4, 4),), kwargs={"k": 1}),
    C("numpy.diag", lambda r: (f32(r, 4),)),
    C("numpy.diagonal", lambda r: (f32(r, 4, 4),)),
    # numpy: reductions, sorting
    C("numpy.sum", lambda r: (f32(r, 3, 4),), kwargs={"axis": 1}),
    C("numpy.prod", lambda r: (pos(r, 3, 4),), kwargs={"axis": 0}),
    C("numpy.mean", lambda r: (f32(r, 3, 4),), kwargs={"axis": -1, "keepdims": True}),
    C("numpy.var", A34, kwargs={"axis": 0}),
    C("numpy.std", A34, kwargs={"axis": 1}),
    C("numpy.max", A34, kwargs={"axis": 1}),
    C("numpy.min", A34),
    C("numpy.any", lambda r: (f32(r, 3, 4) > 1,), kwargs={"axis": 1}),
    C("numpy.all", lambda r: (f32(r, 3, 4) > -1,), kwargs={"axis": 0}),
    C("numpy.argmax", A34, kwargs={"axis": 1}),
    C("numpy.argmin", A34, kwargs={"axis": 0}),
    C("numpy.argsort", lambda r: (f32(r, 3, 5),), kwargs={"axis": -1}),
    C("numpy.sort", lambda r: (f32(r, 3, 5),), kwargs={"axis": 0}),
    C("numpy.cumsum", A34, kwargs={"axis": 1}),
    C("numpy.cumprod", lambda r: (pos(r, 3, 4),), kwargs={"axis": 0}),
    C("numpy.count_nonzero", lambda r: (i32(r, 0, 2, 3, 4),), kwargs={"axis": 1}),
    C("numpy.median", lambda r: (f32(r, 3, 5),), kwargs={"axis": 1}),
    C("numpy.searchsorted", _sorted_values),
    # numpy: creation
    C("numpy.arange", lambda r: (2, 11, 3)),
    C("numpy.linspace", lambda r: (0.0, 1.0, 5), reference=lambda *a: np.linspace(*a)),
    C("numpy.eye", lambda r: (3, 4), kwargs={"k": 1}),
    C("numpy.full", lambda r: ((2, 3), 1.5)),
    C("numpy.zeros_like", A34),
    C("numpy.ones", lambda r: ((2, 3),)),
    # nn
    C("nn.relu", A34, lambda x: np.maximum(x, 0)),
    C("nn.relu6", lambda r: (f32(r, 3, 4) * 5,), lambda x: np.clip(x, 0, 6)),
    C("nn.sigmoid", A34, _sigmoid),
    C("nn.softplus", A34, lambda x: np.log1p(np.exp(x))),
    C("nn.softsign", A34, lambda x: x / (1 + np.abs(x))),
    C("nn.silu", A34, lambda x: x * _sigmoid(x)),
    C("nn.leaky_relu", A34, lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
      kwargs={"negative_slope": 0.1}),
    C("nn.elu", A34, lambda x: np.where(x > 0, x, np.expm1(x))),
    C("nn.selu", A34, lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(x))),
    C("nn.gelu", A34, lambda x, approximate: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
      kwargs={"approximate": False}, id="nn.gelu-exact"),
    C("nn.gelu", A34, lambda x: 0.5 * x * (1 + np.tanh(
        np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))), id="nn.gelu-tanh"),
    C("nn.hard_sigmoid", lambda r: (f32(r, 3, 4) * 4,), lambda x: np.clip(x + 3, 0, 6) / 6),
    C("nn.softmax", A34, lambda x: np.exp(_log_softmax(x))),
    C("nn.log_softmax", lambda r: (f32(r, 2, 3, 4),), lambda x, axis: _log_softmax(x, axis),
      kwargs={"axis": 1}),
    C("nn.one_hot", lambda r: (np.array([0, 3, 1], "int32"), 4),
      lambda x, n: np.eye(n, dtype="float32")[x]),
    C("nn.multi_hot", lambda r: (np.array([[0, 2], [1, 1]], "int32"), 4),
      lambda x, n: np.array([[1, 0, 1, 0], [0, 1, 0, 0]], "float32")),
    C("nn.conv", lambda r: (f32(r, 2, 6, 7, 3), f32(r, 3, 2, 3, 4)), conv_ref,
      kwargs={"strides": (2, 1)}, rtol=1e-4, atol=1e-4, id="nn.conv-2d-valid"),
    C("nn.conv", lambda r: (f32(r, 2, 9, 3), f32(r, 3, 3, 5)), conv_ref,
      kwargs={"strides": 2, "padding": "same"}, rtol=1e-4, atol=1e-4, id="nn.conv-1d-same"),
    C("nn.depthwise_conv", lambda r: (f32(r, 2, 8, 3), f32(r, 3, 3, 2)),
      lambda x, w: depthwise_ref(x, w), rtol=1e-4, atol=1e-4),
    C("nn.conv_transpose", lambda r: (f32(r, 2, 4, 3), f32(r, 3, 2, 3), 2),
      conv_transpose_ref, rtol=1e-4, atol=1e-4),
    C("nn.max_pool", lambda r: (f32(r, 2, 6, 5, 3), 2),
      lambda x, size: pool_ref(x, size, np.max)),
    C("nn.average_pool", lambda r: (f32(r, 2, 6, 4, 3), 2),
      lambda x, size: pool_ref(x, size, np.mean)),
    C("nn.moments", lambda r: (f32(r, 4, 3),), lambda x, axes: (x.mean(0), x.var(0)),
      kwargs={"axes": [0]}),
    C("nn.batch_normalization",
      lambda r: (f32(r, 4, 3), f32(r, 3), pos(r, 3), -1, f32(r, 3), pos(r, 3)),
      lambda x, m, v, axis, offset, scale: (x - m) / np.sqrt(v + 1e-3) * scale + offset),
    C("nn.normalize", A34, lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)),
    C("nn.categorical_crossentropy", lambda r: (probs(r, 4, 5), probs(r, 4, 5)),
      crossentropy_ref, rtol=1e-4),
    C("nn.sparse_categorical_crossentropy",
      lambda r: (np.array([0, 4, 2, 1], "int32"), f32(r, 4, 5)),
      lambda t, x, from_logits: -_log_softmax(x)[np.arange(4), t],
      kwargs={"from_logits": True}, rtol=1e-4),
    C("nn.binary_crossentropy",
      lambda r: (i32(r, 0, 2, 6).astype("float32"), r.uniform(0.1, 0.9, 6).astype("float32")),
      binary_crossentropy_ref, rtol=1e-4),
    # math
    C("math.logsumexp", A34, lambda x, axis: np.log(np.exp(x).sum(axis)), kwargs={"axis": 1}),
    C("math.top_k", lambda r: (f32(r, 3, 6), 2), top_k_ref),
    C("math.in_top_k", lambda r: (np.array([0, 1, 2], "int32"),
                                  np.array([[0.5, 0.4, 0.1], [0.6, 0.1, 0.3],
                                            [0.2, 0.3, 0.5]], "float32"), 2),
      lambda t, p, k: np.array([True, False, True])),
    C("math.segment_sum", lambda r: (f32(r, 6, 2), np.array([0, 0, 1, 1, 1, 3], "int32"), 4),
      lambda d, s, n: segment_ref(d, s, n, np.sum, 0)),
    C("math.segment_max", lambda r: (f32(r, 5, 2), np.array([0, 1, 1, 2, 2], "int32"), 3),
      lambda d, s, n: segment_ref(d, s, n, np.max, 0)),
    C("math.erf", A34, _erf),
    C("math.erfc", A34, lambda x: 1 - _erf(x)),
    C("math.rsqrt", POS, lambda x: 1 / np.sqrt(x)),
    C("math.fft", lambda r: ((f32(r, 2, 8), f32(r, 2, 8)),), lambda x: fft_ref(*x),
      rtol=1e-4, atol=1e-4),
    # linalg
    C("linalg.norm", A34),
    C("linalg.norm", A34, kwargs={"axis": 1, "ord": 1}, id="linalg.norm-l1-axis"),
    C("linalg.inv", lambda r: (spd(r, 4),), np.linalg.inv, rtol=1e-4, atol=1e-4),
    C("linalg.det", lambda r: (spd(r, 3),), np.linalg.det, rtol=1e-4),
    C("linalg.solve", lambda r: (spd(r, 4), f32(r, 4, 2)), np.linalg.solve, rtol=1e-4,
      atol=1e-4),
    C("linalg.cholesky", lambda r: (spd(r, 4),), np.linalg.cholesky, rtol=1e-4, atol=1e-4),
    C("linalg.qr", lambda r: (f32(r, 5, 3),), lambda a: a, call=reconstruct_qr, atol=1e-4),
    C("linalg.eigh", lambda r: (spd(r, 4),), lambda a: a, call=reconstruct_eigh,
      rtol=1e-4, atol=1e-3),
    C("linalg.svd", lambda r: (f32(r, 4, 3),), kwargs={"compute_uv": False}, rtol=1e-4, atol=1e-4),
    C("linalg.solve_triangular", lambda r: (np.tril(spd(r, 4)), f32(r, 4, 2)),
      lambda a, b, lower: np.linalg.solve(a, b), kwargs={"lower": True}, rtol=1e-4,
      atol=1e-4),
    # image
    C("image.resize", lambda r: (f32(r, 2, 3, 4, 1), (6, 8)),
      lambda x, size, interpolation: x.repeat(2, 1).repeat(2, 2),
      kwargs={"interpolation": "nearest"}, id="image.resize-nearest-up"),
    C("image.resize", lambda r: (f32(r, 2, 6, 4, 3), (3, 2)),
      lambda x, size: pool_ref(x, 2, np.mean), id="image.resize-bilinear-down"),
    C("image.rgb_to_grayscale", lambda r: (r.random((2, 3, 3, 3)).astype("float32"),),
      lambda x: (x @ np.array([0.2989, 0.587, 0.114], "float32"))[..., None], atol=1e-3),
    C("image.crop_images", lambda r: (f32(r, 2, 6, 5, 1), 1, 2),
      lambda x, top, left, target_height, target_width: x[:, 1:4, 2:4],
      kwargs={"target_height": 3, "target_width": 2}),
    # core
    C("core.cast", lambda r: (f32(r, 3, 4) * 3, "int32"), lambda x, d: x.astype(d)),
    C("core.stop_gradient", A34, lambda x: x),
    C("core.cond", lambda r: (True, lambda: 1.0, lambda: 2.0), lambda p, t, f: 1.0),
    C("core.fori_loop", lambda r: (0, 4, lambda i, v: v * 2, np.float32(1.5)),
      lambda lo, hi, body, v: np.float32(24.0)),
    C("core.slice", lambda r: (f32(r, 4, 5), (1, 2), (2, 3)),
      lambda x, start, shape: x[1:3, 2:5]),
    C("core.scatter", lambda r: (np.array([[0, 1], [2, 0]], "int32"),
                                 np.array([5.0, 7.0], "float32"), (3, 2)),
      lambda i, v, s: np.array([[0, 5], [0, 0], [7, 0]], "float32")),
]


def _to_numpy(value):
    if isinstance(value, (tuple, list)):
        return [_to_numpy(v) for v in value]
    return np.asarray(ops.convert_to_numpy(value))


def _op(path):
    namespace, name = path.split(".")
    return getattr(getattr(ops, namespace), name)


def test_the_table_is_broad():
    namespaces = {case.op.split(".")[0] for case in CASES}
    assert namespaces == {"numpy", "nn", "math", "linalg", "image", "core"}
    assert len(CASES) >= 80
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_op(case):
    args = case.inputs(np.random.default_rng(sum(map(ord, case.id))))
    if case.call is not None:
        got = case.call(*args, **case.kwargs)
    else:
        got = _to_numpy(_op(case.op)(*args, **case.kwargs))
    expected = case.reference(*args, **case.kwargs)
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, list) and len(got) == len(expected), case.op
        pairs = list(zip(got, expected))
    else:
        pairs = [(got, expected)]
    for g, e in pairs:
        e = np.asarray(e)
        g = np.asarray(g)
        assert g.shape == e.shape, f"{case.op}: shape {g.shape} != numpy's {e.shape}"
        if e.dtype == bool:
            assert g.dtype == bool, f"{case.op}: dtype {g.dtype}, expected bool"
            np.testing.assert_array_equal(g, e)
        else:
            np.testing.assert_allclose(g.astype("float64"), e.astype("float64"),
                                       rtol=case.rtol, atol=case.atol, err_msg=case.op)
