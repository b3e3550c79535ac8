"""``cornu.ops`` numpy-like ops (and math/linalg) against numpy, on the active backend."""
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


@pytest.fixture
def a(rng):
    return rng.standard_normal((3, 4)).astype("float32")


@pytest.fixture
def b(rng):
    return rng.standard_normal((3, 4)).astype("float32")


# -- elementwise ------------------------------------------------------------------
BINARY = [
    ("add", np.add),
    ("subtract", np.subtract),
    ("multiply", np.multiply),
    ("divide", np.divide),
    ("true_divide", np.true_divide),
    ("maximum", np.maximum),
    ("minimum", np.minimum),
    ("arctan2", np.arctan2),
    ("hypot", np.hypot),
    ("logaddexp", np.logaddexp),
]


@pytest.mark.parametrize("name,ref", BINARY, ids=[n for n, _ in BINARY])
def test_binary_broadcasting(name, ref, a, rng):
    row = rng.standard_normal((4,)).astype("float32")
    out = getattr(ops, name)(a, row)
    assert tuple(out.shape) == (3, 4)
    assert dtype_name(out) == "float32"
    assert_close(out, ref(a, row), rtol=1e-5, atol=1e-5)


def test_power_mod_floor_divide(rng):
    x = rng.uniform(0.5, 3.0, (3, 4)).astype("float32")
    y = rng.uniform(0.5, 2.0, (3, 4)).astype("float32")
    assert_close(ops.power(x, y), np.power(x, y), rtol=1e-5)
    assert_close(ops.power(x, 2), x**2)
    xi = np.array([-7, -3, 0, 5, 9], "int32")
    yi = np.array([2, 3, 4, -3, 4], "int32")
    assert_close(ops.mod(xi, yi), np.mod(xi, yi))
    assert_close(ops.floor_divide(xi, yi), np.floor_divide(xi, yi))
    xf = np.array([-7.5, -3.0, 0.5, 5.25], "float32")
    assert_close(ops.mod(xf, 2.0), np.mod(xf, 2.0))
    assert_close(ops.power(np.array([2, 3], "int32"), 3), [8, 27])
    assert dtype_name(ops.power(np.array([2, 3], "int32"), 3)) == "int32"


UNARY = [
    ("negative", np.negative, None),
    ("abs", np.abs, None),
    ("absolute", np.abs, None),
    ("square", np.square, None),
    ("sqrt", np.sqrt, "pos"),
    ("exp", np.exp, None),
    ("expm1", np.expm1, None),
    ("log", np.log, "pos"),
    ("log1p", np.log1p, "pos"),
    ("log2", np.log2, "pos"),
    ("log10", np.log10, "pos"),
    ("sign", np.sign, None),
    ("floor", np.floor, None),
    ("ceil", np.ceil, None),
    ("trunc", np.trunc, None),
    ("tanh", np.tanh, None),
    ("sin", np.sin, None),
    ("cos", np.cos, None),
    ("tan", np.tan, None),
    ("arctan", np.arctan, None),
    ("sinh", np.sinh, None),
    ("cosh", np.cosh, None),
    ("arcsinh", np.arcsinh, None),
    ("reciprocal", np.reciprocal, "pos"),
    ("cbrt", np.cbrt, None),
    ("exp2", np.exp2, None),
    ("rad2deg", np.rad2deg, None),
    ("deg2rad", np.deg2rad, None),
    ("sinc", np.sinc, None),
]


@pytest.mark.parametrize("name,ref,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, ref, domain, rng):
    x = rng.standard_normal((2, 5)).astype("float32") * 2
    if domain == "pos":
        x = np.abs(x) + 0.1
    out = getattr(ops, name)(x)
    assert dtype_name(out) == "float32"
    assert_close(out, ref(x), rtol=1e-5, atol=1e-5)


def test_unary_int_inputs_become_float():
    x = np.array([1, 4, 9], "int32")
    out = ops.sqrt(x)
    assert dtype_name(out) == "float32"
    assert_close(out, [1.0, 2.0, 3.0])
    assert dtype_name(ops.exp(x)) == "float32"
    assert dtype_name(ops.floor(x)) == "float32"
    assert dtype_name(ops.abs(x)) == "int32"
    assert dtype_name(ops.square(x)) == "int32"
    assert dtype_name(ops.negative(x)) == "int32"


def test_round_half_to_even_and_decimals():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.2345], "float32")
    assert_close(ops.round(x), np.round(x))
    assert_close(ops.round(x, 2), np.round(x, 2), atol=1e-6)


def test_clip(a):
    assert_close(ops.clip(a, -0.5, 0.5), np.clip(a, -0.5, 0.5))
    xi = np.array([-3, 0, 3], "int32")
    out = ops.clip(xi, -1, 1)
    assert dtype_name(out) == "int32"
    assert_close(out, [-1, 0, 1])
    assert dtype_name(ops.clip(np.array([True, False]), 0, 1)) == "int32"


def test_dtype_promotion():
    i32 = np.array([1, 2, 3], "int32")
    f32 = np.array([1.0, 2.0, 3.0], "float32")
    f64 = np.array([1.0, 2.0, 3.0], "float64")
    assert dtype_name(ops.add(i32, 1)) == "int32"
    assert dtype_name(ops.add(i32, 1.5)) == "float32"
    assert dtype_name(ops.add(f32, 1.5)) == "float32"
    assert dtype_name(ops.add(f32, i32)) == "float32"
    assert dtype_name(ops.add(f32, f64)) == "float64"
    assert dtype_name(ops.multiply(i32, np.array([2], "int64"))) == "int64"
    assert dtype_name(ops.divide(i32, i32)) == "float32"
    assert dtype_name(ops.add(np.array([1], "uint8"), np.array([1], "int8"))) == "int16"
    assert dtype_name(ops.add(np.array([True]), np.array([True]))) == "bool"
    assert dtype_name(ops.add(np.array([True]), 1)) == "int32"
    assert_close(ops.add(i32, 1.5), [2.5, 3.5, 4.5])
    assert dtype_name(ops.add([1.0, 2.0], 1)) == "float32"
    assert dtype_name(ops.add([1, 2], 1)) == "int32"


# -- comparison and logic --------------------------------------------------------------
COMPARE = [
    ("equal", np.equal),
    ("not_equal", np.not_equal),
    ("greater", np.greater),
    ("greater_equal", np.greater_equal),
    ("less", np.less),
    ("less_equal", np.less_equal),
]


@pytest.mark.parametrize("name,ref", COMPARE, ids=[n for n, _ in COMPARE])
def test_comparisons(name, ref):
    x = np.array([[1, 2, 3], [4, 5, 6]], "float32")
    y = np.array([3, 2, 1], "int32")
    out = getattr(ops, name)(x, y)
    assert dtype_name(out) == "bool"
    np.testing.assert_array_equal(to_np(out), ref(x, y))
    np.testing.assert_array_equal(to_np(getattr(ops, name)(x, 2)), ref(x, 2))


def test_logical():
    x = np.array([True, True, False, False])
    y = np.array([True, False, True, False])
    np.testing.assert_array_equal(to_np(ops.logical_and(x, y)), x & y)
    np.testing.assert_array_equal(to_np(ops.logical_or(x, y)), x | y)
    np.testing.assert_array_equal(to_np(ops.logical_xor(x, y)), x ^ y)
    np.testing.assert_array_equal(to_np(ops.logical_not(x)), ~x)
    np.testing.assert_array_equal(
        to_np(ops.logical_and(np.array([0.0, 2.0]), np.array([1, 1], "int32"))), [False, True]
    )


def test_nan_inf_handling():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -2.0], "float32")
    np.testing.assert_array_equal(to_np(ops.isnan(x)), np.isnan(x))
    np.testing.assert_array_equal(to_np(ops.isinf(x)), np.isinf(x))
    np.testing.assert_array_equal(to_np(ops.isfinite(x)), np.isfinite(x))
    assert_close(ops.nan_to_num(x), np.nan_to_num(x))
    assert_close(
        ops.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
        np.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
    )
    np.testing.assert_array_equal(to_np(ops.isfinite(np.array([1, 2], "int32"))), [True, True])
    np.testing.assert_array_equal(to_np(ops.isnan(np.array([1, 2], "int32"))), [False, False])


def test_where(a, b):
    cond = a > 0
    assert_close(ops.where(cond, a, b), np.where(cond, a, b))
    assert_close(ops.where(cond, a, 0.0), np.where(cond, a, 0.0))
    out = ops.where(np.array([[0, 1], [1, 0]]))
    rows, cols = to_np(out)
    np.testing.assert_array_equal(rows, [0, 1])
    np.testing.assert_array_equal(cols, [1, 0])


# -- reductions ---------------------------------------------------------------------------
REDUCE = [
    ("sum", np.sum),
    ("mean", np.mean),
    ("max", np.max),
    ("min", np.min),
    ("prod", np.prod),
    ("std", np.std),
    ("var", np.var),
]


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name,ref", REDUCE, ids=[n for n, _ in REDUCE])
def test_reductions(name, ref, axis, keepdims, rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    out = getattr(ops, name)(x, axis=axis, keepdims=keepdims)
    expected = ref(x, axis=axis, keepdims=keepdims)
    assert tuple(out.shape) == expected.shape
    assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_reduction_dtypes():
    b = np.array([[True, False], [True, True]])
    i = np.array([[1, 2], [3, 4]], "int32")
    assert dtype_name(ops.sum(b)) == "int32"
    assert int(to_np(ops.sum(b))) == 3
    assert dtype_name(ops.sum(i)) == "int32"
    assert dtype_name(ops.sum(np.array([1, 2], "int8"))) == "int32"
    assert dtype_name(ops.mean(i)) == "float32"
    assert_close(ops.mean(i, axis=0), [2.0, 3.0])
    assert dtype_name(ops.var(i)) == "float32"
    assert dtype_name(ops.max(i)) == "int32"
    assert bool(to_np(ops.max(b))) is True
    assert bool(to_np(ops.min(b))) is False
    assert_close(ops.max(i, axis=1, initial=3), [3, 4])
    assert dtype_name(ops.mean(np.ones(3, "float16"))) == "float16"


def test_any_all_count_nonzero(rng):
    x = rng.integers(0, 2, (3, 4)).astype("int32")
    for axis in (None, 0, 1, (0, 1)):
        np.testing.assert_array_equal(to_np(ops.any(x, axis=axis)), np.any(x, axis=axis))
        np.testing.assert_array_equal(to_np(ops.all(x, axis=axis)), np.all(x, axis=axis))
        assert_close(ops.count_nonzero(x, axis=axis), np.count_nonzero(x, axis=axis))
    assert dtype_name(ops.count_nonzero(x)) == "int32"
    assert tuple(ops.any(x, axis=1, keepdims=True).shape) == (3, 1)


@pytest.mark.parametrize("name,ref", [("argmax", np.argmax), ("argmin", np.argmin)])
def test_argmax_argmin(name, ref, rng):
    x = rng.standard_normal((3, 4, 5)).astype("float32")
    fn = getattr(ops, name)
    for axis in (None, 0, 1, -1):
        out = fn(x, axis=axis)
        assert dtype_name(out) == "int32"
        np.testing.assert_array_equal(to_np(out), ref(x, axis=axis))
        kd = fn(x, axis=axis, keepdims=True)
        np.testing.assert_array_equal(to_np(kd), ref(x, axis=axis, keepdims=True))


def test_cumsum_cumprod(rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    assert_close(ops.cumsum(x), np.cumsum(x), rtol=1e-5, atol=1e-5)
    assert_close(ops.cumsum(x, axis=1), np.cumsum(x, axis=1), rtol=1e-5, atol=1e-5)
    assert_close(ops.cumprod(x, axis=0), np.cumprod(x, axis=0), rtol=1e-5, atol=1e-5)
    out = ops.cumsum(np.array([True, True, False]))
    assert dtype_name(out) == "int32"
    assert_close(out, [1, 2, 2])


def test_average(rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    w = rng.uniform(0.1, 1.0, (4,)).astype("float32")
    assert_close(ops.average(x), np.average(x))
    assert_close(ops.average(x, axis=1, weights=w), np.average(x, axis=1, weights=w), rtol=1e-5)
    w2 = rng.uniform(0.1, 1.0, (3, 4)).astype("float32")
    assert_close(ops.average(x, axis=0, weights=w2), np.average(x, axis=0, weights=w2), rtol=1e-5)


def test_median_quantile(rng):
    x = rng.standard_normal((4, 7)).astype("float32")
    assert_close(ops.median(x), np.median(x))
    assert_close(ops.median(x, axis=1), np.median(x, axis=1))
    assert_close(ops.quantile(x, 0.3, axis=0), np.quantile(x, 0.3, axis=0), atol=1e-5)
    q = np.array([0.1, 0.9], "float32")
    assert_close(ops.quantile(x, q, axis=1), np.quantile(x, q, axis=1), atol=1e-5)
    assert_close(
        ops.quantile(x, 0.5, axis=1, keepdims=True), np.quantile(x, 0.5, axis=1, keepdims=True)
    )
    assert_close(ops.percentile(x, 25.0), np.percentile(x, 25.0), atol=1e-5)


# -- shape manipulation -------------------------------------------------------------------
def test_reshape_transpose_expand_squeeze(rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    assert_close(ops.reshape(x, (4, -1)), x.reshape(4, -1))
    assert_close(ops.reshape(x, -1), x.reshape(-1))
    assert_close(ops.transpose(x), x.T)
    assert_close(ops.transpose(x, (1, 0, 2)), x.transpose(1, 0, 2))
    assert tuple(ops.expand_dims(x, 0).shape) == (1, 2, 3, 4)
    assert tuple(ops.expand_dims(x, -1).shape) == (2, 3, 4, 1)
    assert tuple(ops.expand_dims(x, (0, 2)).shape) == (1, 2, 1, 3, 4)
    y = x.reshape(1, 2, 1, 3, 4, 1)
    assert tuple(ops.squeeze(y).shape) == (2, 3, 4)
    assert tuple(ops.squeeze(y, axis=0).shape) == (2, 1, 3, 4, 1)
    assert tuple(ops.squeeze(y, axis=(2, -1)).shape) == (1, 2, 3, 4)
    assert_close(ops.moveaxis(x, 0, -1), np.moveaxis(x, 0, -1))
    assert_close(ops.swapaxes(x, 0, 2), np.swapaxes(x, 0, 2))


def test_concatenate_stack_split(rng):
    x = rng.standard_normal((2, 3)).astype("float32")
    y = rng.standard_normal((2, 3)).astype("float32")
    assert_close(ops.concatenate([x, y]), np.concatenate([x, y]))
    assert_close(ops.concatenate([x, y], axis=1), np.concatenate([x, y], axis=1))
    assert_close(ops.concatenate([x, y], axis=None), np.concatenate([x, y], axis=None))
    out = ops.concatenate([x, np.ones((2, 1), "int32")], axis=1)
    assert dtype_name(out) == "float32"
    assert_close(ops.stack([x, y]), np.stack([x, y]))
    assert_close(ops.stack([x, y], axis=-1), np.stack([x, y], axis=-1))
    z = np.arange(12, dtype="float32").reshape(2, 6)
    parts = ops.split(z, 3, axis=1)
    assert len(parts) == 3
    for p, e in zip(parts, np.split(z, 3, axis=1)):
        assert_close(p, e)
    parts = ops.split(z, [1, 4], axis=1)
    for p, e in zip(parts, np.split(z, [1, 4], axis=1)):
        assert_close(p, e)
    for p, e in zip(ops.array_split(z, 4, axis=1), np.array_split(z, 4, axis=1)):
        assert_close(p, e)


def test_tile_repeat_broadcast_flip(rng):
    x = rng.standard_normal((2, 3)).astype("float32")
    assert_close(ops.tile(x, 2), np.tile(x, 2))
    assert_close(ops.tile(x, (2, 1)), np.tile(x, (2, 1)))
    assert_close(ops.tile(x, (2, 1, 2)), np.tile(x, (2, 1, 2)))
    assert_close(ops.repeat(x, 2), np.repeat(x, 2))
    assert_close(ops.repeat(x, 3, axis=1), np.repeat(x, 3, axis=1))
    assert_close(ops.repeat(x, [1, 2], axis=0), np.repeat(x, [1, 2], axis=0))
    assert_close(ops.broadcast_to(x[0], (4, 3)), np.broadcast_to(x[0], (4, 3)))
    assert_close(ops.flip(x), np.flip(x))
    assert_close(ops.flip(x, axis=1), np.flip(x, axis=1))
    assert_close(ops.roll(x, 1), np.roll(x, 1))
    assert_close(ops.roll(x, -1, axis=1), np.roll(x, -1, axis=1))


@pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric", "edge", "wrap"])
def test_pad(mode, rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    widths = ((1, 2), (2, 1))
    assert_close(ops.pad(x, widths, mode=mode), np.pad(x, widths, mode=mode))
    assert_close(ops.pad(x, 1, mode=mode), np.pad(x, 1, mode=mode))
    if mode == "constant":
        assert_close(
            ops.pad(x, widths, constant_values=3.0), np.pad(x, widths, constant_values=3.0)
        )


@pytest.mark.parametrize("mode", ["maximum", "minimum", "mean", "median", "linear_ramp",
                                  "empty"])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_pad_statistic_modes_match_numpy(mode, dtype, rng):
    x = (rng.standard_normal((3, 4, 2)) * 5).astype(dtype)
    for widths in [((1, 2), (2, 1), (0, 1)), ((0, 3), (0, 0), (0, 0))]:
        got = to_np(ops.pad(x, widths, mode=mode))
        expected = np.pad(x, widths, mode=mode)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        if mode == "empty":  # numpy leaves the padding undefined: compare the interior
            inner = tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))
            np.testing.assert_array_equal(got[inner], x)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="constant_values"):
        ops.pad(x, 1, mode=mode, constant_values=1)


def test_take_and_take_along_axis(rng):
    x = rng.standard_normal((3, 5)).astype("float32")
    idx = np.array([[0, -1], [2, 4]])
    assert_close(ops.take(x, idx), np.take(x, idx))
    assert_close(ops.take(x, idx, axis=1), np.take(x, idx, axis=1))
    assert_close(ops.take(x, np.array([2, 0], "int32"), axis=0), np.take(x, [2, 0], axis=0))
    order = np.argsort(x, axis=1)
    assert_close(ops.take_along_axis(x, order, axis=1), np.take_along_axis(x, order, axis=1))
    i0 = np.array([[2, 0, 1, 1, 0]])
    assert_close(ops.take_along_axis(x, i0, axis=0), np.take_along_axis(x, i0, axis=0))
    flat = np.array([3, 0, 14])
    assert_close(ops.take_along_axis(x, flat, axis=None), np.take_along_axis(x, flat, axis=None))


def test_sort_argsort(rng):
    x = rng.standard_normal((3, 5)).astype("float32")
    assert_close(ops.sort(x), np.sort(x))
    assert_close(ops.sort(x, axis=0), np.sort(x, axis=0))
    np.testing.assert_array_equal(to_np(ops.argsort(x)), np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(
        to_np(ops.argsort(x, axis=0)), np.argsort(x, axis=0, kind="stable")
    )


def test_diag_tri(rng):
    m = rng.standard_normal((4, 4)).astype("float32")
    v = rng.standard_normal((3,)).astype("float32")
    assert_close(ops.diag(v), np.diag(v))
    assert_close(ops.diag(v, k=1), np.diag(v, k=1))
    assert_close(ops.diag(m), np.diag(m))
    assert_close(ops.diag(m, k=-1), np.diag(m, k=-1))
    assert_close(ops.diagonal(m, offset=1), np.diagonal(m, offset=1))
    assert_close(ops.trace(m), np.trace(m), atol=1e-5)
    for k in (-1, 0, 2):
        assert_close(ops.tril(m, k), np.tril(m, k))
        assert_close(ops.triu(m, k), np.triu(m, k))
        assert_close(ops.tri(3, 4, k), np.tri(3, 4, k))


def test_meshgrid_linspace():
    x = np.array([1.0, 2.0, 3.0], "float32")
    y = np.array([4.0, 5.0], "float32")
    for indexing in ("xy", "ij"):
        for got, exp in zip(ops.meshgrid(x, y, indexing=indexing), np.meshgrid(x, y, indexing=indexing)):
            assert_close(got, exp)
    assert_close(ops.linspace(0.0, 1.0, 5), np.linspace(0.0, 1.0, 5), atol=1e-6)
    assert_close(
        ops.linspace(0.0, 1.0, 4, endpoint=False), np.linspace(0.0, 1.0, 4, endpoint=False)
    )
    start, stop = np.array([0.0, 1.0]), np.array([1.0, 3.0])
    assert_close(ops.linspace(start, stop, 3), np.linspace(start, stop, 3))
    assert_close(ops.linspace(start, stop, 3, axis=1), np.linspace(start, stop, 3, axis=1))


# -- creation -------------------------------------------------------------------------------
def test_creation():
    assert dtype_name(ops.zeros((2, 3))) == "float32"
    assert_close(ops.zeros((2, 3)), np.zeros((2, 3)))
    assert_close(ops.ones(4, dtype="int32"), np.ones(4))
    assert dtype_name(ops.ones(4, dtype="int32")) == "int32"
    assert_close(ops.full((2, 2), 7.0), np.full((2, 2), 7.0))
    assert dtype_name(ops.full((2, 2), 7.0)) == "float32"
    assert dtype_name(ops.full((2, 2), 7)) == "int32"
    x = np.ones((2, 3), "int32")
    assert dtype_name(ops.zeros_like(x)) == "int32"
    assert dtype_name(ops.ones_like(x, dtype="float32")) == "float32"
    assert_close(ops.full_like(x, 3), np.full_like(x, 3))
    assert dtype_name(ops.full_like(x, 3)) == "int32"
    assert_close(ops.eye(3), np.eye(3))
    assert_close(ops.eye(3, 4, k=1), np.eye(3, 4, k=1))
    assert_close(ops.eye(4, 3, k=-2), np.eye(4, 3, k=-2))
    assert_close(ops.identity(2), np.identity(2))


def test_arange():
    out = ops.arange(5)
    assert dtype_name(out) == "int32"
    assert_close(out, np.arange(5))
    assert_close(ops.arange(2, 10, 3), np.arange(2, 10, 3))
    out = ops.arange(0.0, 1.0, 0.25)
    assert dtype_name(out) == "float32"
    assert_close(out, np.arange(0.0, 1.0, 0.25))
    assert dtype_name(ops.arange(3, dtype="float32")) == "float32"
    assert_close(ops.arange(5, 0, -2), np.arange(5, 0, -2))


# -- products -----------------------------------------------------------------------------
def test_matmul(rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    y = rng.standard_normal((2, 4, 5)).astype("float32")
    v = rng.standard_normal((4,)).astype("float32")
    assert_close(ops.matmul(x, y), x @ y, rtol=1e-5, atol=1e-5)
    assert_close(ops.matmul(x[0], y[0]), x[0] @ y[0], rtol=1e-5, atol=1e-5)
    assert_close(ops.matmul(x, v), x @ v, rtol=1e-5, atol=1e-5)
    assert_close(ops.matmul(v, y), v @ y, rtol=1e-5, atol=1e-5)
    assert_close(ops.matmul(v, v), v @ v, rtol=1e-5)
    assert_close(ops.matmul(x, y[0]), x @ y[0], rtol=1e-5, atol=1e-5)
    xi = np.arange(6, dtype="int32").reshape(2, 3)
    out = ops.matmul(xi, xi.T)
    assert dtype_name(out) == "int32"
    assert_close(out, xi @ xi.T)


def test_dot_tensordot_einsum(rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    y = rng.standard_normal((5, 4, 6)).astype("float32")
    m = rng.standard_normal((4, 6)).astype("float32")
    v = rng.standard_normal((4,)).astype("float32")
    assert_close(ops.dot(x, y), np.dot(x, y), rtol=1e-4, atol=1e-5)
    assert_close(ops.dot(x, v), np.dot(x, v), rtol=1e-5, atol=1e-5)
    assert_close(ops.dot(v, m), np.dot(v, m), rtol=1e-5, atol=1e-5)
    assert_close(ops.dot(v, v), np.dot(v, v), rtol=1e-5)
    assert_close(ops.dot(2.0, v), 2.0 * v)
    assert_close(ops.tensordot(x, m, axes=1), np.tensordot(x, m, axes=1), rtol=1e-5, atol=1e-5)
    assert_close(
        ops.tensordot(x, y, axes=([2], [1])), np.tensordot(x, y, axes=([2], [1])), rtol=1e-4, atol=1e-5
    )
    assert_close(
        ops.tensordot(x, x, axes=([1, 2], [1, 2])), np.tensordot(x, x, axes=([1, 2], [1, 2])), rtol=1e-4
    )
    assert_close(
        ops.einsum("bij,jk->bik", x, m), np.einsum("bij,jk->bik", x, m), rtol=1e-5, atol=1e-5
    )
    assert_close(ops.einsum("ij->", m), np.einsum("ij->", m), rtol=1e-5, atol=1e-5)
    assert_close(ops.outer(v, v), np.outer(v, v))
    assert_close(ops.inner(v, v), np.inner(v, v), rtol=1e-5)
    assert_close(ops.vdot(m, m), np.vdot(m, m), rtol=1e-5)


def test_cross_kron():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "float32")
    b = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -1.0]], "float32")
    assert_close(ops.cross(a, b), np.cross(a, b))
    z = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    assert_close(ops.cross(a[:, :2], b[:, :2]), z)
    assert_close(ops.kron(a, b), np.kron(a, b))


# -- misc numpy -----------------------------------------------------------------------------
def test_misc_numpy(rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    assert_close(ops.diff(x), np.diff(x))
    assert_close(ops.diff(x, n=2, axis=0), np.diff(x, n=2, axis=0))
    np.testing.assert_array_equal(
        to_np(ops.isclose(x, x + 1e-7)), np.isclose(x, x + 1e-7)
    )
    bins = np.array([-1.0, 0.0, 1.0], "float32")
    np.testing.assert_array_equal(to_np(ops.digitize(x, bins)), np.digitize(x, bins))
    s = np.array([1.0, 2.0, 3.0, 5.0], "float32")
    v = np.array([0.0, 2.0, 4.0, 6.0], "float32")
    for side in ("left", "right"):
        np.testing.assert_array_equal(
            to_np(ops.searchsorted(s, v, side=side)), np.searchsorted(s, v, side=side)
        )
    counts = np.array([0, 1, 1, 3, 2, 1], "int32")
    np.testing.assert_array_equal(to_np(ops.bincount(counts)), np.bincount(counts))
    np.testing.assert_array_equal(
        to_np(ops.bincount(counts, minlength=6)), np.bincount(counts, minlength=6)
    )
    assert_close(ops.ptp(x, axis=1), np.ptp(x, axis=1))
    np.testing.assert_array_equal(
        to_np(ops.isin(np.array([1, 2, 3, 4]), np.array([2, 4]))), [False, True, False, True]
    )
    np.testing.assert_array_equal(to_np(ops.signbit(np.array([-0.0, 0.0, -1.0], "float32"))), [True, False, True])


def test_nan_reductions():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0]], "float32")
    assert_close(ops.nansum(x, axis=1), np.nansum(x, axis=1))
    assert_close(ops.nanmean(x, axis=1), np.nanmean(x, axis=1))
    assert_close(ops.nanmax(x, axis=1), np.nanmax(x, axis=1))
    assert_close(ops.nanmin(x), np.nanmin(x))
    assert_close(ops.nanvar(x, axis=1), np.nanvar(x, axis=1))
    assert_close(ops.nanmedian(x, axis=1), np.nanmedian(x, axis=1))


# -- math and linalg ------------------------------------------------------------------------
def test_logsumexp(rng):
    x = rng.standard_normal((3, 4)).astype("float32") * 10
    ref = lambda v, axis=None, keepdims=False: np.log(np.sum(np.exp(v.astype("float64")), axis=axis, keepdims=keepdims))
    assert_close(ops.logsumexp(x), ref(x), rtol=1e-5)
    assert_close(ops.logsumexp(x, axis=1), ref(x, axis=1), rtol=1e-5)
    assert_close(ops.logsumexp(x, axis=0, keepdims=True), ref(x, axis=0, keepdims=True), rtol=1e-5)
    big = np.array([1000.0, 1000.0], "float32")
    assert_close(ops.logsumexp(big), 1000.0 + np.log(2.0), rtol=1e-6)


def test_top_k_and_in_top_k(rng):
    x = rng.standard_normal((3, 6)).astype("float32")
    values, indices = ops.top_k(x, 2)
    exp_idx = np.argsort(-x, axis=-1)[:, :2]
    np.testing.assert_array_equal(to_np(indices), exp_idx)
    assert_close(values, np.take_along_axis(x, exp_idx, axis=-1))
    assert dtype_name(indices) == "int32"
    targets = exp_idx[:, 1]
    np.testing.assert_array_equal(to_np(ops.in_top_k(targets, x, 2)), [True, True, True])
    np.testing.assert_array_equal(to_np(ops.in_top_k(targets, x, 1)), [False, False, False])


def test_segment_ops():
    data = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], "float32")
    ids = np.array([0, 0, 2, 1], "int32")
    assert_close(ops.segment_sum(data, ids, num_segments=3), [[4, 6], [7, 8], [5, 6]])
    assert_close(ops.segment_max(data, ids, num_segments=3), [[3, 4], [7, 8], [5, 6]])
    assert_close(ops.segment_sum(data, ids), [[4, 6], [7, 8], [5, 6]])


def test_erf_rsqrt():
    from math import erf

    x = np.array([-1.5, -0.2, 0.0, 0.7, 2.0], "float32")
    assert_close(ops.erf(x), np.array([erf(v) for v in x]), atol=1e-6)
    assert_close(ops.erfinv(ops.erf(x)), x, atol=1e-4)
    assert_close(ops.rsqrt(np.array([4.0, 0.25], "float32")), [0.5, 2.0])


@pytest.mark.parametrize(
    "ord,axis",
    [
        (None, None), (None, 1), (None, (0, 1)), (1, 0), (2, -1), (np.inf, 1), (-np.inf, 1),
        (0, 1), (3, 1), ("fro", (0, 1)), ("nuc", (0, 1)), (1, (0, 1)), (-1, (0, 1)),
        (np.inf, (0, 1)), (-np.inf, (0, 1)), (2, (0, 1)), (-2, (0, 1)),
    ],
)
def test_norm(ord, axis, rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    expected = np.linalg.norm(x, ord=ord, axis=axis)
    assert_close(ops.norm(x, ord=ord, axis=axis), expected, rtol=1e-5, atol=1e-5)
    kd = ops.norm(x, ord=ord, axis=axis, keepdims=True)
    assert tuple(kd.shape) == np.linalg.norm(x, ord=ord, axis=axis, keepdims=True).shape


def test_norm_vector_default():
    v = np.array([3, 4], "int32")
    out = ops.norm(v)
    assert dtype_name(out) == "float32"
    assert_close(out, 5.0)


def test_linalg(rng):
    a = rng.standard_normal((3, 3)).astype("float32")
    spd = (a @ a.T + 3 * np.eye(3)).astype("float32")
    b = rng.standard_normal((3, 2)).astype("float32")
    assert_close(ops.inv(spd), np.linalg.inv(spd), rtol=1e-4, atol=1e-5)
    assert_close(ops.det(a), np.linalg.det(a), rtol=1e-4, atol=1e-5)
    assert_close(ops.solve(spd, b), np.linalg.solve(spd, b), rtol=1e-4, atol=1e-5)
    assert_close(ops.solve(spd, b[:, 0]), np.linalg.solve(spd, b[:, 0]), rtol=1e-4, atol=1e-5)
    assert_close(ops.cholesky(spd), np.linalg.cholesky(spd), rtol=1e-4, atol=1e-5)
    q, r = to_np(ops.qr(a))
    np.testing.assert_allclose(q @ r, a, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-5)
    u, s, vh = to_np(ops.svd(a))
    np.testing.assert_allclose((u * s) @ vh, a, rtol=1e-4, atol=1e-5)
    assert_close(ops.svd(a, compute_uv=False), np.linalg.svd(a, compute_uv=False), rtol=1e-4)
    w, v = to_np(ops.eigh(spd))
    np.testing.assert_allclose(w, np.linalg.eigh(spd)[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(spd @ v, v * w, rtol=1e-3, atol=1e-4)
    lower = np.tril(spd)
    assert_close(
        ops.solve_triangular(lower, b, lower=True), np.linalg.solve(lower, b), rtol=1e-4, atol=1e-5
    )
    assert_close(ops.pinv(b), np.linalg.pinv(b), rtol=1e-4, atol=1e-5)
    assert int(to_np(ops.matrix_rank(b @ b.T))) == 2


# -- image ----------------------------------------------------------------------------------
def _np_resize_bilinear(img, out_h, out_w):
    """Half-pixel-centre bilinear resize (TF2 ``tf.image.resize`` semantics), NHWC."""
    n, h, w, c = img.shape

    def coords(out, inp):
        src = (np.arange(out) + 0.5) * (inp / out) - 0.5
        src = np.clip(src, 0, inp - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, inp - 1)
        return lo, hi, src - lo

    y0, y1, wy = coords(out_h, h)
    x0, x1, wx = coords(out_w, w)
    top = img[:, y0][:, :, x0] * (1 - wx)[None, None, :, None] + img[:, y0][:, :, x1] * wx[None, None, :, None]
    bot = img[:, y1][:, :, x0] * (1 - wx)[None, None, :, None] + img[:, y1][:, :, x1] * wx[None, None, :, None]
    return top * (1 - wy)[None, :, None, None] + bot * wy[None, :, None, None]


def _np_resize_nearest(img, out_h, out_w):
    n, h, w, c = img.shape
    ys = np.minimum(np.floor((np.arange(out_h) + 0.5) * h / out_h).astype(int), h - 1)
    xs = np.minimum(np.floor((np.arange(out_w) + 0.5) * w / out_w).astype(int), w - 1)
    return img[:, ys][:, :, xs]


@pytest.mark.parametrize("size", [(8, 6), (3, 2), (5, 7)])
def test_resize(size, rng):
    img = rng.uniform(0, 1, (2, 4, 5, 3)).astype("float32")
    out = ops.image.resize(img, size)
    assert tuple(out.shape) == (2, *size, 3)
    assert_close(out, _np_resize_bilinear(img, *size), atol=1e-5)
    out = ops.image.resize(img, size, interpolation="nearest")
    assert_close(out, _np_resize_nearest(img, *size))
    cf = ops.image.resize(img.transpose(0, 3, 1, 2), size, data_format="channels_first")
    assert_close(cf, _np_resize_bilinear(img, *size).transpose(0, 3, 1, 2), atol=1e-5)
    single = ops.image.resize(img[0], size)
    assert tuple(single.shape) == (*size, 3)


def test_resize_crop_to_aspect_ratio(rng):
    img = rng.uniform(0, 1, (1, 4, 8, 1)).astype("float32")
    out = ops.image.resize(img, (2, 2), crop_to_aspect_ratio=True)
    assert_close(out, _np_resize_bilinear(img[:, :, 2:6], 2, 2), atol=1e-5)


# -- variables and tracing --------------------------------------------------------------------
def test_ops_accept_variables():
    import cornu

    v = cornu.Variable(np.array([1.0, -2.0, 3.0], "float32"), name="v")
    assert_close(ops.add(v, 1.0), [2.0, -1.0, 4.0])
    assert_close(ops.matmul(v, v), 14.0)
    assert_close(ops.abs(v), [1.0, 2.0, 3.0])
    assert_close(ops.concatenate([v, v]), [1.0, -2.0, 3.0, 1.0, -2.0, 3.0])


def _compiled_reference(x):
    y = x.reshape(-1, 6)
    y = np.concatenate([y, np.zeros_like(y)], axis=-1)
    y = np.pad(y, ((0, 0), (1, 1)), mode="reflect")
    return (
        np.sort(y, axis=-1)[:, 2:5].sum() + y.mean(axis=0).sum()
        + np.linalg.norm(y, axis=-1).max()
    )


def test_ops_in_compiled_function_with_unknown_batch(compiled, tensor_spec, rng):
    def step(x):
        y = ops.reshape(x, (-1, 6))
        y = ops.concatenate([y, ops.zeros_like(y)], axis=-1)
        y = ops.pad(y, ((0, 0), (1, 1)), mode="reflect")
        m = ops.mean(y, axis=0)
        t = ops.take_along_axis(y, ops.argsort(y, axis=-1), axis=-1)
        z = ops.split(t, [2, 5], axis=1)[1]
        return ops.sum(z) + ops.sum(m) + ops.max(ops.norm(y, axis=-1))

    fn = compiled(step, input_signature=[tensor_spec((None, 2, 3), "float32")])
    x = rng.standard_normal((4, 2, 3)).astype("float32")
    assert_close(fn(x), _compiled_reference(x), rtol=1e-5, atol=1e-5)
    assert_close(fn(x[:3]), _compiled_reference(x[:3]), rtol=1e-5, atol=1e-5)


def test_unique():
    x = np.array([[3, 1, 2], [1, 3, 3]], "int32")
    np.testing.assert_array_equal(to_np(ops.unique(x)), [1, 2, 3])
    values, index, inverse, counts = to_np(
        ops.unique(x, return_index=True, return_inverse=True, return_counts=True)
    )
    e_values, e_index, e_inverse, e_counts = np.unique(
        x, return_index=True, return_inverse=True, return_counts=True
    )
    np.testing.assert_array_equal(values, e_values)
    np.testing.assert_array_equal(index, e_index)
    np.testing.assert_array_equal(inverse.reshape(-1), e_inverse.reshape(-1))
    np.testing.assert_array_equal(counts, e_counts)
    values, counts = to_np(ops.unique(x, return_counts=True, size=5, fill_value=-1))
    np.testing.assert_array_equal(values, [1, 2, 3, -1, -1])
    np.testing.assert_array_equal(counts, [2, 1, 3, 0, 0])
    np.testing.assert_array_equal(to_np(ops.unique(x, size=2)), [1, 2])


@pytest.mark.parametrize("shape, axis", [((6, 3), 0), ((3, 6), 1), ((5, 2, 2), 0),
                                         ((2, 7, 2), 1), ((4, 3), -1), ((8,), 0)])
def test_unique_along_an_axis_matches_numpy(shape, axis, rng):
    x = rng.integers(0, 2, shape).astype("int32")
    got = ops.unique(x, return_index=True, return_inverse=True, return_counts=True,
                     axis=axis)
    expected = np.unique(x, return_index=True, return_inverse=True, return_counts=True,
                         axis=axis)
    for ours, theirs in zip(got, expected):
        np.testing.assert_array_equal(to_np(ours), theirs)
    np.testing.assert_array_equal(to_np(ops.unique(x > 0, axis=axis)),
                                  np.unique(x > 0, axis=axis))
    with pytest.raises(ValueError, match="axis"):
        ops.unique(x, axis=len(shape))


def test_get_item_and_complex_views(rng):
    x = rng.standard_normal((3, 4, 2)).astype("float32")
    assert_close(ops.get_item(x, (slice(1, None), 0)), x[1:, 0])
    z = ops.view_as_complex(x)
    np.testing.assert_allclose(to_np(z), x[..., 0] + 1j * x[..., 1], rtol=1e-6)
    assert_close(ops.view_as_real(z), x)
    p = ops.polar(np.array([1.0, 2.0], "float32"), np.array([0.0, np.pi / 2], "float32"))
    np.testing.assert_allclose(to_np(p), [1.0, 2j], atol=1e-6)
