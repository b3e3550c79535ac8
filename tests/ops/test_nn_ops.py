"""``cornu.ops.nn`` against numpy references, on the active backend.

Convolution and pooling references are naive numpy loops over kernel offsets,
with TensorFlow's ``"same"`` padding (the extra pixel goes after).
"""
import itertools
import math

import numpy as np
import pytest

from cornu import ops


def to_np(x):
    if isinstance(x, (tuple, list)):
        return type(x)(to_np(e) for e in x)
    return np.asarray(ops.convert_to_numpy(x))


def dtype_name(x):
    return ops.standardize_dtype(x.dtype)


def assert_close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(to_np(actual), expected, rtol=rtol, atol=atol)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# -- activations ----------------------------------------------------------------------
ACTIVATIONS = [
    ("relu", lambda x: np.maximum(x, 0)),
    ("relu6", lambda x: np.clip(x, 0, 6)),
    ("sigmoid", _sigmoid),
    ("tanh", np.tanh),
    ("softplus", lambda x: np.log1p(np.exp(x))),
    ("softsign", lambda x: x / (1 + np.abs(x))),
    ("silu", lambda x: x * _sigmoid(x)),
    ("swish", lambda x: x * _sigmoid(x)),
    ("elu", lambda x: np.where(x > 0, x, np.expm1(x))),
    (
        "selu",
        lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    ),
    ("leaky_relu", lambda x: np.where(x > 0, x, 0.2 * x)),
    ("hard_sigmoid", lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    ("hard_silu", lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    ("log_sigmoid", lambda x: -np.log1p(np.exp(-x))),
    (
        "gelu",
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    ),
    ("celu", lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(x))),
    ("hard_tanh", lambda x: np.clip(x, -1, 1)),
    ("tanh_shrink", lambda x: x - np.tanh(x)),
    ("squareplus", lambda x: 0.5 * (x + np.sqrt(x * x + 4))),
    ("sparse_plus", lambda x: np.where(x <= -1, 0, np.where(x < 1, 0.25 * (x + 1) ** 2, x))),
    ("soft_shrink", lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0))),
    ("hard_shrink", lambda x: np.where(np.abs(x) > 0.5, x, 0)),
]


@pytest.mark.parametrize("name,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations(name, ref, rng):
    x = (rng.standard_normal((3, 7)) * 3).astype("float32")
    out = getattr(ops, name)(x)
    assert dtype_name(out) == "float32"
    assert_close(out, ref(x.astype("float64")), rtol=1e-5, atol=1e-5)


def test_activation_arguments(rng):
    x = (rng.standard_normal((10,)) * 3).astype("float32")
    assert_close(ops.leaky_relu(x, negative_slope=0.1), np.where(x > 0, x, 0.1 * x))
    assert_close(ops.elu(x, alpha=0.5), np.where(x > 0, x, 0.5 * np.expm1(x)), atol=1e-6)
    from math import erf

    exact = 0.5 * x * (1 + np.array([erf(v / np.sqrt(2)) for v in x]))
    assert_close(ops.gelu(x, approximate=False), exact, rtol=1e-5, atol=1e-5)
    y = rng.standard_normal((2, 6)).astype("float32")
    a, b = y[:, :3], y[:, 3:]
    assert_close(ops.glu(y), a * _sigmoid(b), atol=1e-6)
    assert_close(ops.relu(np.array([-1, 2], "int32")), [0.0, 2.0])


def _np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1, (1, 2), None])
def test_softmax_log_softmax(axis, rng):
    x = (rng.standard_normal((2, 3, 4)) * 4).astype("float32")
    expected = _np_softmax(x.astype("float64"), axis=axis)
    assert_close(ops.softmax(x, axis=axis), expected, atol=1e-6)
    assert_close(ops.log_softmax(x, axis=axis), np.log(expected), rtol=1e-5, atol=1e-5)


def test_softmax_stable_for_large_logits():
    x = np.array([[1000.0, 1000.0, -1000.0]], "float32")
    assert_close(ops.softmax(x), [[0.5, 0.5, 0.0]])
    assert_close(ops.log_softmax(x), [[-np.log(2), -np.log(2), -2000.0 - np.log(2)]], rtol=1e-5)


def test_sparsemax():
    x = np.array([[1.0, 0.5, -1.0], [0.1, 0.1, 0.1]], "float32")
    out = to_np(ops.sparsemax(x))
    np.testing.assert_allclose(out.sum(axis=-1), [1.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(out, [[0.75, 0.25, 0.0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-6)


# -- convolution references ----------------------------------------------------------------
def _same_pads(sizes, kernel, strides, dilation):
    pads = []
    for n, k, s, d in zip(sizes, kernel, strides, dilation):
        k_eff = (k - 1) * d + 1
        out = -(-n // s)
        total = max((out - 1) * s + k_eff - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def np_conv(x, w, strides, padding, dilation):
    """Channels-last N-D convolution; ``w`` is (*k, in/groups, out)."""
    n = x.ndim - 2
    k = w.shape[:n]
    if padding == "same":
        x = np.pad(x, [(0, 0)] + _same_pads(x.shape[1:-1], k, strides, dilation) + [(0, 0)])
    out_sizes = [
        (x.shape[1 + i] - ((k[i] - 1) * dilation[i] + 1)) // strides[i] + 1 for i in range(n)
    ]
    cin_g, cout = w.shape[-2], w.shape[-1]
    groups = x.shape[-1] // cin_g
    cout_g = cout // groups
    out = np.zeros((x.shape[0], *out_sizes, cout), "float64")
    for offs in itertools.product(*[range(kk) for kk in k]):
        sl = tuple(
            slice(offs[i] * dilation[i], offs[i] * dilation[i] + (out_sizes[i] - 1) * strides[i] + 1, strides[i])
            for i in range(n)
        )
        patch = x[(slice(None),) + sl + (slice(None),)]
        for g in range(groups):
            out[..., g * cout_g:(g + 1) * cout_g] += (
                patch[..., g * cin_g:(g + 1) * cin_g] @ w[offs][:, g * cout_g:(g + 1) * cout_g]
            )
    return out


def _cf(x):
    return np.moveaxis(x, -1, 1)


def _cl(x):
    return np.moveaxis(x, 1, -1)


CONV_CASES = [
    # (spatial, kernel, strides, padding, dilation, groups)
    ((9,), (3,), 1, "valid", 1, 1),
    ((9,), (3,), 2, "same", 1, 1),
    ((10,), (4,), 3, "same", 1, 2),
    ((9,), (3,), 1, "same", 2, 1),
    ((11,), (3,), 2, "valid", 2, 1),
    ((7, 8), (3, 3), 1, "valid", 1, 1),
    ((7, 8), (3, 2), 2, "same", 1, 1),
    ((8, 8), (2, 2), 2, "same", 1, 1),
    ((7, 8), (3, 3), (1, 2), "same", 1, 2),
    ((9, 9), (3, 3), 1, "same", (2, 1), 1),
    ((10, 9), (3, 3), 2, "same", 2, 1),
    ((5, 6, 5), (3, 2, 3), 1, "valid", 1, 1),
    ((5, 6, 5), (3, 3, 2), 2, "same", 1, 1),
    ((6, 6, 6), (2, 2, 2), 1, "same", 2, 2),
    # one input channel per group (ConvNeXt's depthwise Conv2D(groups=channels))
    ((9,), (3,), 2, "same", 1, 4),
    ((7, 8), (3, 3), 1, "same", 1, 4),
    ((9, 9), (3, 3), 2, "valid", 1, 4),
    ((9, 9), (3, 3), 1, "same", 2, 4),
]


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("spatial,kernel,strides,padding,dilation,groups", CONV_CASES)
def test_conv(spatial, kernel, strides, padding, dilation, groups, data_format, rng):
    n = len(spatial)
    cin, cout = 4, 6 if 6 % groups == 0 else 8
    x = rng.standard_normal((2, *spatial, cin)).astype("float32")
    w = rng.standard_normal((*kernel, cin // groups, cout)).astype("float32")
    expected = np_conv(x, w, _tuple(strides, n), padding, _tuple(dilation, n))
    inputs = x if data_format == "channels_last" else _cf(x)
    out = ops.conv(inputs, w, strides=strides, padding=padding, data_format=data_format,
                   dilation_rate=dilation)
    out = to_np(out)
    if data_format == "channels_first":
        out = _cl(out)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


DEPTHWISE_CASES = [
    ((9,), (3,), 1, "valid", 1),
    ((9,), (3,), 2, "same", 1),
    ((10,), (3,), 2, "same", 2),
    ((7, 8), (3, 3), 1, "same", 1),
    ((7, 8), (3, 2), 2, "valid", 1),
    ((9, 9), (3, 3), 1, "same", 2),
    ((10, 9), (3, 3), 2, "same", 2),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("spatial,kernel,strides,padding,dilation", DEPTHWISE_CASES)
def test_depthwise_conv(spatial, kernel, strides, padding, dilation, data_format, rng):
    n = len(spatial)
    cin, mult = 3, 2
    x = rng.standard_normal((2, *spatial, cin)).astype("float32")
    w = rng.standard_normal((*kernel, cin, mult)).astype("float32")
    # A depthwise conv is a grouped conv with one group per input channel and
    # output channel c * mult + m.
    w_grouped = w.reshape(*kernel, 1, cin * mult)
    expected = np_conv(x, w_grouped, _tuple(strides, n), padding, _tuple(dilation, n))
    inputs = x if data_format == "channels_last" else _cf(x)
    out = to_np(ops.depthwise_conv(inputs, w, strides, padding, data_format, dilation))
    if data_format == "channels_first":
        out = _cl(out)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_separable_conv(rng):
    x = rng.standard_normal((2, 7, 7, 3)).astype("float32")
    dw = rng.standard_normal((3, 3, 3, 2)).astype("float32")
    pw = rng.standard_normal((1, 1, 6, 5)).astype("float32")
    depth = np_conv(x, dw.reshape(3, 3, 1, 6), (2, 2), "same", (1, 1))
    expected = np_conv(depth, pw, (1, 1), "valid", (1, 1))
    out = ops.separable_conv(x, dw, pw, strides=2, padding="same")
    assert_close(out, expected, rtol=1e-4, atol=1e-4)


CONV_T_CASES = [
    ((5,), (3,), 1, "valid", 1),
    ((5,), (3,), 2, "valid", 1),
    ((5,), (2,), 3, "valid", 1),
    ((5,), (3,), 2, "same", 1),
    ((6,), (4,), 2, "same", 1),
    ((5,), (3,), 1, "same", 2),
    ((4, 5), (3, 3), 2, "same", 1),
    ((4, 5), (2, 3), (2, 1), "valid", 1),
    ((4, 4), (3, 3), 1, "valid", 2),
    ((3, 4, 3), (2, 3, 2), 2, "same", 1),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("spatial,kernel,strides,padding,dilation", CONV_T_CASES)
def test_conv_transpose_is_adjoint_of_conv(spatial, kernel, strides, padding, dilation, data_format, rng):
    """<conv(y, W), x> == <y, conv_transpose(x, W)> (TF's definition)."""
    n = len(spatial)
    c_small, c_big = 3, 2  # conv_transpose maps c_small -> c_big channels
    s, d = _tuple(strides, n), _tuple(dilation, n)
    x = rng.standard_normal((2, *spatial, c_small)).astype("float32")
    w = rng.standard_normal((*kernel, c_big, c_small)).astype("float32")
    inputs = x if data_format == "channels_last" else _cf(x)
    out = to_np(ops.conv_transpose(inputs, w, strides, padding, data_format=data_format, dilation_rate=dilation))
    if data_format == "channels_first":
        out = _cl(out)
    # Keras' documented output length
    for i in range(n):
        k_eff = (kernel[i] - 1) * d[i] + 1
        expected_len = spatial[i] * s[i] if padding == "same" else (spatial[i] - 1) * s[i] + max(k_eff, s[i])
        assert out.shape[1 + i] == expected_len
    y = rng.standard_normal(out.shape)
    lhs = np.sum(np_conv(y, w.astype("float64"), s, padding, d) * x)
    rhs = np.sum(y * out)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4)


def np_conv_transpose_full(x, w, strides, dilation):
    """Natural (uncropped) transposed conv, channels_last; w is (*k, out, in)."""
    n = x.ndim - 2
    k = w.shape[:n]
    sizes = [(x.shape[1 + i] - 1) * strides[i] + (k[i] - 1) * dilation[i] + 1 for i in range(n)]
    out = np.zeros((x.shape[0], *sizes, w.shape[-2]))
    for offs in itertools.product(*[range(kk) for kk in k]):
        sl = tuple(
            slice(offs[i] * dilation[i], offs[i] * dilation[i] + (x.shape[1 + i] - 1) * strides[i] + 1, strides[i])
            for i in range(n)
        )
        out[(slice(None),) + sl + (slice(None),)] += x @ w[offs].T
    return out


@pytest.mark.parametrize("padding,output_padding", [("valid", 0), ("valid", 1), ("same", 1), ("same", 0)])
def test_conv_transpose_output_padding(padding, output_padding, rng):
    x = rng.standard_normal((1, 4, 3)).astype("float32")
    w = rng.standard_normal((3, 2, 3)).astype("float32")
    out = to_np(ops.conv_transpose(x, w, strides=2, padding=padding, output_padding=output_padding))
    full = np_conv_transpose_full(x, w, (2,), (1,))  # length (4-1)*2+3 = 9
    if padding == "valid":
        expected_len = (4 - 1) * 2 + 3 + output_padding
        left = 0
    else:
        expected_len = (4 - 1) * 2 + 3 % 2 + output_padding
        # TF: the output window is the one whose forward "same" conv gives the input
        left = max((4 - 1) * 2 + 3 - expected_len, 0) // 2
    assert out.shape[1] == expected_len
    ref = np.zeros((1, expected_len, 2))
    avail = full[:, left:left + expected_len]
    ref[:, :avail.shape[1]] = avail
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


# -- pooling ---------------------------------------------------------------------------------
def np_pool(x, pool, strides, padding, kind):
    n = x.ndim - 2
    if padding == "same":
        pads = _same_pads(x.shape[1:-1], pool, strides, (1,) * n)
    else:
        pads = [(0, 0)] * n
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x.astype("float64"), [(0, 0)] + pads + [(0, 0)], constant_values=fill)
    mask = np.pad(np.ones(x.shape[1:-1]), pads)
    out_sizes = [(xp.shape[1 + i] - pool[i]) // strides[i] + 1 for i in range(n)]
    acc = np.full((x.shape[0], *out_sizes, x.shape[-1]), -np.inf if kind == "max" else 0.0)
    count = np.zeros(out_sizes)
    for offs in itertools.product(*[range(p) for p in pool]):
        sl = tuple(
            slice(offs[i], offs[i] + (out_sizes[i] - 1) * strides[i] + 1, strides[i]) for i in range(n)
        )
        patch = xp[(slice(None),) + sl + (slice(None),)]
        if kind == "max":
            acc = np.maximum(acc, patch)
        else:
            acc = acc + patch
            count = count + mask[sl]
    if kind == "max":
        return acc
    return acc / count[None, ..., None]


POOL_CASES = [
    ((8,), 2, None, "valid"),
    ((9,), 3, 2, "same"),
    ((10,), 3, 2, "same"),
    ((6, 7), 2, None, "valid"),
    ((6, 7), 2, None, "same"),
    ((7, 7), 3, 2, "same"),
    ((8, 8), 3, 2, "same"),
    ((6, 7), (2, 3), (1, 2), "valid"),
    ((5, 6, 4), 2, None, "same"),
    ((6, 6, 6), 3, 2, "same"),
]


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("spatial,pool,strides,padding", POOL_CASES)
def test_pooling(spatial, pool, strides, padding, data_format, kind, rng):
    n = len(spatial)
    x = rng.standard_normal((2, *spatial, 3)).astype("float32")
    p = _tuple(pool, n)
    s = p if strides is None else _tuple(strides, n)
    expected = np_pool(x, p, s, padding, "max" if kind == "max" else "avg")
    inputs = x if data_format == "channels_last" else _cf(x)
    fn = ops.max_pool if kind == "max" else ops.average_pool
    out = to_np(fn(inputs, pool, strides=strides, padding=padding, data_format=data_format))
    if data_format == "channels_first":
        out = _cl(out)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_adaptive_pooling(rng):
    x = rng.standard_normal((2, 6, 6, 3)).astype("float32")
    out = to_np(ops.adaptive_average_pool(x, (3, 2)))
    expected = x.reshape(2, 3, 2, 2, 3, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    out = to_np(ops.adaptive_max_pool(x, 2))
    np.testing.assert_allclose(out, x.reshape(2, 2, 3, 2, 3, 3).max(axis=(2, 4)))


# -- one-hot -----------------------------------------------------------------------------------
def test_one_hot():
    x = np.array([[0, 2], [1, 3]], "int32")
    out = ops.one_hot(x, 4)
    assert dtype_name(out) == "float32"
    assert_close(out, np.eye(4)[x])
    assert_close(ops.one_hot(x, 4, axis=0), np.moveaxis(np.eye(4)[x], -1, 0))
    assert_close(ops.one_hot(x, 4, axis=1), np.moveaxis(np.eye(4)[x], -1, 1))
    assert dtype_name(ops.one_hot(x, 4, dtype="int32")) == "int32"
    # out-of-range and negative labels give all-zero rows (TF semantics)
    assert_close(ops.one_hot(np.array([-1, 5, 1]), 3), [[0, 0, 0], [0, 0, 0], [0, 1, 0]])
    assert_close(
        ops.multi_hot(np.array([[0, 2], [1, 1]]), 3), [[1, 0, 1], [0, 1, 0]]
    )


# -- losses --------------------------------------------------------------------------------------
EPS = 1e-7


def np_cce(target, output, from_logits, axis=-1):
    if from_logits:
        logp = np.log(_np_softmax(output, axis=axis))
    else:
        p = output / output.sum(axis=axis, keepdims=True)
        logp = np.log(np.clip(p, EPS, 1 - EPS))
    return -np.sum(target * logp, axis=axis)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("axis", [-1, 1])
def test_categorical_crossentropy(from_logits, axis, rng):
    logits = (rng.standard_normal((4, 5, 3)) * 3).astype("float64")
    labels = rng.integers(0, logits.shape[axis], size=(4, 3) if axis == 1 else (4, 5))
    target = np.moveaxis(np.eye(logits.shape[axis])[labels], -1, axis)
    output = logits if from_logits else _np_softmax(logits, axis=axis)
    out = ops.categorical_crossentropy(target.astype("float32"), output.astype("float32"), from_logits=from_logits, axis=axis)
    assert_close(out, np_cce(target, output, from_logits, axis), rtol=1e-4, atol=1e-5)
    # sparse version with the same labels
    out = ops.sparse_categorical_crossentropy(labels, output.astype("float32"), from_logits=from_logits, axis=axis)
    assert_close(out, np_cce(target, output, from_logits, axis), rtol=1e-4, atol=1e-5)


def test_crossentropy_clips_probabilities():
    target = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
    output = np.array([[1.0, 0.0], [0.5, 0.5]], "float32")
    out = to_np(ops.categorical_crossentropy(target, output))
    np.testing.assert_allclose(out, [-np.log(EPS), -np.log(0.5)], rtol=1e-3)
    out = to_np(ops.sparse_categorical_crossentropy(np.array([1, 0]), output))
    np.testing.assert_allclose(out, [-np.log(EPS), -np.log(0.5)], rtol=1e-3)
    out = to_np(ops.binary_crossentropy(np.array([1.0, 0.0], "float32"), np.array([0.0, 1.0], "float32")))
    # float32: 1 - clip(1.0) = 1 - float32(1 - 1e-7)
    upper = float(np.float32(1.0) - np.float32(1.0 - EPS))
    np.testing.assert_allclose(out, [-np.log(EPS), -np.log(upper)], rtol=1e-3)


def test_sparse_categorical_crossentropy_target_shapes(rng):
    logits = rng.standard_normal((4, 3)).astype("float32")
    labels = np.array([0, 2, 1, 2])
    expected = -np.log(_np_softmax(logits.astype("float64")))[np.arange(4), labels]
    assert_close(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True), expected, rtol=1e-5)
    assert_close(ops.sparse_categorical_crossentropy(labels[:, None], logits, from_logits=True), expected, rtol=1e-5)
    assert_close(ops.sparse_categorical_crossentropy(labels.astype("float32"), logits, from_logits=True), expected, rtol=1e-5)


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_crossentropy(from_logits, rng):
    logits = (rng.standard_normal((4, 3)) * 3).astype("float64")
    target = rng.integers(0, 2, (4, 3)).astype("float64")
    target[0, 0] = 0.3  # soft label
    if from_logits:
        p = _sigmoid(logits)
        expected = -(target * np.log(p) + (1 - target) * np.log(1 - p))
        out = ops.binary_crossentropy(target.astype("float32"), logits.astype("float32"), from_logits=True)
    else:
        p = np.clip(_sigmoid(logits), EPS, 1 - EPS)
        expected = -(target * np.log(p) + (1 - target) * np.log(1 - p))
        out = ops.binary_crossentropy(target.astype("float32"), _sigmoid(logits).astype("float32"))
    assert tuple(out.shape) == (4, 3)
    assert_close(out, expected, rtol=1e-4, atol=1e-5)


def test_crossentropy_shape_errors():
    with pytest.raises(ValueError):
        ops.categorical_crossentropy(np.ones((2, 3), "float32"), np.ones((2, 4), "float32"))
    with pytest.raises(ValueError):
        ops.binary_crossentropy(np.ones((2, 3), "float32"), np.ones((3, 2), "float32"))
    with pytest.raises(ValueError):
        ops.sparse_categorical_crossentropy(np.ones((2, 3), "int32"), np.ones((2, 4), "float32"))


# -- normalization ----------------------------------------------------------------------------------
def test_moments(rng):
    x = rng.standard_normal((4, 5, 3)).astype("float32")
    mean, var = ops.moments(x, axes=[0, 1])
    assert_close(mean, x.mean(axis=(0, 1)), atol=1e-6)
    assert_close(var, x.var(axis=(0, 1)), rtol=1e-5, atol=1e-6)
    mean, var = ops.moments(x, axes=[1], keepdims=True)
    assert tuple(mean.shape) == (4, 1, 3)
    assert_close(var, x.var(axis=1, keepdims=True), rtol=1e-5, atol=1e-6)
    mean, var = ops.moments(x.astype("float16"), axes=[0, 1])
    assert dtype_name(mean) == "float16"
    assert_close(mean, x.mean(axis=(0, 1)), atol=1e-2)


@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_normalization(axis, rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    c = x.shape[axis]
    mean = rng.standard_normal(c).astype("float32")
    var = rng.uniform(0.5, 2.0, c).astype("float32")
    offset = rng.standard_normal(c).astype("float32")
    scale = rng.standard_normal(c).astype("float32")
    shape = [1, 1, 1]
    shape[axis] = c

    def r(v):
        return v.reshape(shape)

    expected = (x - r(mean)) / np.sqrt(r(var) + 1e-3) * r(scale) + r(offset)
    out = ops.batch_normalization(x, mean, var, axis=axis, offset=offset, scale=scale)
    assert_close(out, expected, rtol=1e-5, atol=1e-5)
    expected = (x - r(mean)) / np.sqrt(r(var) + 0.1)
    out = ops.batch_normalization(x, mean, var, axis=axis, epsilon=0.1)
    assert_close(out, expected, rtol=1e-5, atol=1e-5)


# -- misc ----------------------------------------------------------------------------------------
def test_dot_product_attention(rng):
    b, t, s, h, d = 2, 4, 5, 2, 3
    q = rng.standard_normal((b, t, h, d)).astype("float32")
    k = rng.standard_normal((b, s, h, d)).astype("float32")
    v = rng.standard_normal((b, s, h, d)).astype("float32")
    logits = np.einsum("bthd,bshd->bhts", q, k) / math.sqrt(d)
    expected = np.einsum("bhts,bshd->bthd", _np_softmax(logits), v)
    assert_close(ops.dot_product_attention(q, k, v), expected, rtol=1e-5, atol=1e-5)
    mask = np.tril(np.ones((t, s), bool))
    masked = np.where(mask, logits, -1e30)
    expected = np.einsum("bhts,bshd->bthd", _np_softmax(masked), v)
    assert_close(ops.dot_product_attention(q, k, v, mask=mask[None, None]), expected, rtol=1e-5, atol=1e-5)


def test_depth_to_space_roundtrip(rng):
    x = rng.standard_normal((1, 2, 3, 8)).astype("float32")
    y = ops.depth_to_space(x, 2)
    assert tuple(y.shape) == (1, 4, 6, 2)
    # TF ordering: output (2i+a, 2j+b, c) = input (i, j, (a*2+b)*2 + c)
    np.testing.assert_allclose(to_np(y)[0, 1, 2, 1], x[0, 0, 1, (1 * 2 + 0) * 2 + 1])
    assert_close(ops.space_to_depth(y, 2), x)
    cf = ops.depth_to_space(_cf(x), 2, data_format="channels_first")
    assert_close(cf, _cf(to_np(y)))


def test_nn_ops_in_compiled_step(compiled, tensor_spec, rng):
    """A small conv net forward + loss, traced once and called with two batch sizes."""
    w1 = rng.standard_normal((3, 3, 1, 4)).astype("float32") * 0.3
    w2 = rng.standard_normal((16, 3)).astype("float32") * 0.3

    def step(x, y):
        h = ops.relu(ops.conv(x, w1, strides=1, padding="same"))
        h = ops.max_pool(h, 2, padding="same")
        h = ops.average_pool(h, 2, strides=2, padding="valid")
        h = ops.reshape(h, (-1, 16))
        logits = ops.matmul(h, w2)
        loss = ops.mean(ops.sparse_categorical_crossentropy(y, logits, from_logits=True))
        return loss, ops.one_hot(ops.argmax(logits, axis=-1), 3)

    fn = compiled(step, input_signature=[tensor_spec((None, 8, 8, 1)), tensor_spec((None,), "int32")])
    for batch in (4, 3):
        x = rng.standard_normal((batch, 8, 8, 1)).astype("float32")
        y = rng.integers(0, 3, (batch,)).astype("int32")
        h = np.maximum(np_conv(x, w1, (1, 1), "same", (1, 1)), 0)
        h = np_pool(h, (2, 2), (2, 2), "same", "max")
        h = np_pool(h, (2, 2), (2, 2), "valid", "avg").reshape(-1, 16)
        logits = h @ w2
        expected = np.mean(-np.log(_np_softmax(logits))[np.arange(batch), y])
        loss, pred = fn(x, y)
        assert_close(loss, expected, rtol=1e-4, atol=1e-5)
        assert_close(pred, np.eye(3)[np.argmax(logits, -1)])


# -- gradients ----------------------------------------------------------------------------------
def _gradient(backend_name, fn, x):
    """d sum(fn(x)) / dx with the framework's autodiff."""
    if backend_name == "torch":
        import torch

        t = torch.tensor(x, requires_grad=True)
        ops.sum(fn(t)).backward()
        return t.grad.numpy()
    import tensorflow as tf

    t = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = ops.sum(fn(t))
    return tape.gradient(y, t).numpy()


def _numeric_gradient(fn, x, eps=1e-6):
    g = np.zeros_like(x)
    flat = x.reshape(-1)
    for i in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[i] += eps
        down[i] -= eps
        f_up = float(np.sum(to_np(fn(up.reshape(x.shape)))))
        f_down = float(np.sum(to_np(fn(down.reshape(x.shape)))))
        g.reshape(-1)[i] = (f_up - f_down) / (2 * eps)
    return g


GRADIENT_CASES = {
    "conv_same_strided": lambda w: lambda x: ops.conv(x, w["k"], strides=2, padding="same"),
    "depthwise": lambda w: lambda x: ops.depthwise_conv(x, w["dk"], padding="same"),
    "conv_transpose": lambda w: lambda x: ops.conv_transpose(x, w["tk"], strides=2, padding="same"),
    "max_pool_same": lambda w: lambda x: ops.max_pool(x, 2, 2, "same"),
    "average_pool_same": lambda w: lambda x: ops.average_pool(x, 3, 2, "same"),
    "softmax_ce": lambda w: lambda x: ops.categorical_crossentropy(
        w["t"], ops.reshape(x, (2, -1)), from_logits=True
    ),
    "sparse_ce_probs": lambda w: lambda x: ops.sparse_categorical_crossentropy(
        np.array([1, 3]), ops.softmax(ops.reshape(x, (2, -1)))
    ),
    "bce_logits": lambda w: lambda x: ops.binary_crossentropy(w["b"], x, from_logits=True),
    "batch_norm": lambda w: lambda x: ops.multiply(
        ops.batch_normalization(x, *ops.moments(x, axes=[0, 1, 2]), axis=-1, scale=w["s"]),
        w["b"],
    ),
    "gelu_silu": lambda w: lambda x: ops.gelu(x) * ops.silu(x),
    "norm_logsumexp": lambda w: lambda x: ops.norm(x, axis=-1) + ops.logsumexp(x, axis=-1),
}


@pytest.mark.parametrize("case", list(GRADIENT_CASES))
def test_gradients_match_finite_differences(case, backend_name, rng):
    x = rng.standard_normal((2, 4, 4, 2))
    weights = {
        "k": rng.standard_normal((3, 3, 2, 3)),
        "dk": rng.standard_normal((3, 3, 2, 2)),
        "tk": rng.standard_normal((3, 3, 3, 2)),
        "t": np.eye(32)[[1, 7]],
        "b": rng.uniform(0, 1, (2, 4, 4, 2)),
        "s": rng.standard_normal((2,)),
    }
    fn = GRADIENT_CASES[case](weights)
    analytic = _gradient(backend_name, fn, x)
    numeric = _numeric_gradient(fn, x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("axis", [-1, 1, (1, 2)])
def test_layer_and_rms_normalization(axis, rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    axes = (axis,) if isinstance(axis, int) else axis
    shape = [1, 1, 1]
    for a in axes:
        shape[a] = x.shape[a]
    gamma = rng.standard_normal([x.shape[a] for a in axes]).astype("float32")
    beta = rng.standard_normal([x.shape[a] for a in axes]).astype("float32")
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma.reshape(shape) + beta.reshape(shape)
    out = ops.layer_normalization(x, gamma, beta, axis=axis, epsilon=1e-3)
    assert_close(out, expected, rtol=1e-5, atol=1e-5)
    assert_close(ops.layer_normalization(x, axis=axis), (x - mean) / np.sqrt(var + 1e-7), rtol=1e-4, atol=1e-4)
    rms = x / np.sqrt(np.mean(x * x, axis=axes, keepdims=True) + 1e-6) * gamma.reshape(shape)
    assert_close(ops.rms_normalization(x, gamma, axis=axis, epsilon=1e-6), rms, rtol=1e-5, atol=1e-5)
    out = ops.layer_normalization(x.astype("float16"), axis=axis)
    assert dtype_name(out) == "float16"


def test_normalize(rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    assert_close(ops.normalize(x), x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5)
    assert_close(
        ops.normalize(x, axis=0, order=1), x / np.abs(x).sum(axis=0, keepdims=True), rtol=1e-5
    )
    assert_close(ops.normalize(np.zeros((2, 3), "float32")), np.zeros((2, 3)))


@pytest.mark.parametrize("label_dtype", ["uint8", "int8", "int16", "int64", "float32"])
def test_integer_label_dtypes(label_dtype, rng):
    """Labels often arrive as uint8 (image datasets) or floats."""
    logits = rng.standard_normal((4, 3)).astype("float32")
    labels = np.array([0, 2, 1, 2]).astype(label_dtype)
    expected = -np.log(_np_softmax(logits.astype("float64")))[np.arange(4), labels.astype(int)]
    assert_close(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True), expected, rtol=1e-5)
    probs = _np_softmax(logits).astype("float32")
    assert_close(ops.sparse_categorical_crossentropy(labels, probs), expected, rtol=1e-4)
    assert_close(ops.one_hot(labels, 3), np.eye(3)[labels.astype(int)])
    if label_dtype != "float32":
        assert_close(ops.take(logits, labels, axis=1), logits[:, labels.astype(int)])
        assert_close(
            ops.take_along_axis(logits, labels[:, None], axis=1),
            logits[np.arange(4), labels.astype(int)][:, None],
        )
        ranks = np.argsort(-logits, axis=1)
        np.testing.assert_array_equal(
            to_np(ops.in_top_k(labels, logits, 1)), ranks[:, 0] == labels.astype(int)
        )
        assert_close(
            ops.segment_sum(logits, labels, num_segments=3),
            np.stack([logits[labels.astype(int) == i].sum(0) for i in range(3)]),
            atol=1e-6,
        )


# -- ctc_loss ---------------------------------------------------------------------------
def _np_ctc(labels, logits, label_length, logit_length, blank):
    """The CTC negative log-likelihood by the forward recursion, in float64."""
    x = logits.astype("float64")[:logit_length]
    logp = x - x.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    extended = [blank]
    for label in labels[:label_length]:
        extended += [int(label), blank]
    alpha = np.full(len(extended), -np.inf)
    alpha[0] = logp[0, blank]
    if len(extended) > 1:
        alpha[1] = logp[0, extended[1]]
    for t in range(1, len(logp)):
        prev = alpha.copy()
        for s, label in enumerate(extended):
            total = prev[s]
            if s >= 1:
                total = np.logaddexp(total, prev[s - 1])
            if s >= 2 and label != blank and label != extended[s - 2]:
                total = np.logaddexp(total, prev[s - 2])
            alpha[s] = total + logp[t, label]
    return -(alpha[-1] if len(extended) == 1 else np.logaddexp(alpha[-1], alpha[-2]))


@pytest.mark.parametrize("mask_index", [0, 4])
def test_ctc_loss_against_the_forward_recursion(mask_index, rng, compiled):
    batch, steps, classes = 4, 9, 5
    labels = rng.integers(0, classes - 1, size=(batch, 4)) + (1 if mask_index == 0 else 0)
    labels[1, 1] = labels[1, 0]  # a repeated label
    label_length = np.array([4, 3, 1, 0], "int32")
    logit_length = np.array([9, 7, 9, 5], "int32")
    logits = rng.normal(size=(batch, steps, classes)).astype("float32")
    want = [_np_ctc(labels[b], logits[b], label_length[b], logit_length[b], mask_index)
            for b in range(batch)]
    out = ops.ctc_loss(labels, logits, label_length, logit_length, mask_index=mask_index)
    assert dtype_name(out) == "float32" and tuple(out.shape) == (batch,)
    assert_close(out, want, rtol=1e-5, atol=1e-5)
    step = compiled(lambda a, b, c, d: ops.ctc_loss(a, b, c, d, mask_index=mask_index))
    assert_close(step(ops.convert_to_tensor(labels), ops.convert_to_tensor(logits),
                      ops.convert_to_tensor(label_length), ops.convert_to_tensor(logit_length)),
                 want, rtol=1e-5, atol=1e-5)


def test_ctc_loss_dtypes_and_infeasible_labels(rng):
    labels = np.array([[1, 2, 1], [3, 3, 3]])
    logits = rng.normal(size=(2, 4, 4))
    out = ops.ctc_loss(labels, logits.astype("float64"), np.array([3, 3]), np.array([4, 4]))
    assert dtype_name(out) == "float64"
    assert_close(out[0], _np_ctc(labels[0], logits[0], 3, 4, 0), rtol=1e-5)
    # "3 3 3" needs blanks between the repeats: 5 steps, only 4 given -> impossible:
    # inf on torch, a huge finite value from tf.nn.ctc_loss (as with Keras 3 on each)
    assert to_np(out)[1] > 100
    half = ops.ctc_loss(labels[:1], ops.cast(logits[:1], "float16"), np.array([3]),
                        np.array([4]))
    assert dtype_name(half) == "float32"
    with pytest.raises(ValueError, match="ctc_loss"):
        ops.ctc_loss(labels[0], logits, np.array([3]), np.array([4]))


def test_ctc_loss_gradient(rng, backend_name):
    """d loss / d logits = softmax - the label posteriors: it sums to 0 over classes."""
    labels = np.array([[1, 2, 2, 0], [3, 1, 0, 0]])
    logits = rng.normal(size=(2, 8, 4)).astype("float32")
    lengths = (np.array([3, 2], "int32"), np.array([8, 6], "int32"))
    if backend_name == "torch":
        import torch

        x = torch.tensor(logits, requires_grad=True)
        ops.sum(ops.ctc_loss(labels, x, *lengths)).backward()
        grad = x.grad.numpy()
    else:
        import tensorflow as tf

        x = tf.Variable(logits)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(ops.ctc_loss(labels, x, *lengths))
        grad = tape.gradient(loss, x).numpy()
    np.testing.assert_allclose(grad.sum(-1), 0.0, atol=1e-5)
    assert np.abs(grad[0]).sum() > 0.1
    np.testing.assert_allclose(grad[1, 6:], 0.0, atol=1e-7)  # past the output length
