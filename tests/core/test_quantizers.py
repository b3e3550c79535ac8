"""``cornu.quantizers`` against ``keras.quantizers`` (Keras 3.15.1), on cornu's backend.

Keras runs in this process on the same framework (imported after cornu's backend); the
comparisons skip where Keras is not installed, the hand-written expectations always run.
Every function gets random inputs: values, dtypes and shapes must agree with Keras (the
fake-quant gradients too), int4 packing must agree byte for byte and round-trip, and the
configs must serialize as Keras's do and reject the arguments Keras rejects.
"""
import inspect
import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cornu
from cornu import ops
from cornu import quantizers as cq
from cornu.backend import get_backend


@pytest.fixture(scope="module")
def keras():
    """Keras 3, imported after cornu's backend (one framework per process)."""
    ops.convert_to_tensor(np.zeros(1, "float32"))
    return pytest.importorskip("keras")


@pytest.fixture(scope="module")
def kq(keras):
    return keras.quantizers


def np_(x):
    return np.asarray(ops.convert_to_numpy(x))


def keras_np(x, keras):
    if hasattr(x, "detach"):  # a torch tensor
        return x.detach().cpu().numpy()
    return np.asarray(keras.ops.convert_to_numpy(x))


def dtype_of(x):
    return ops.standardize_dtype(x.dtype)


def assert_same(mine, theirs, keras, exact=True):
    mine_np, theirs_np = np_(mine), keras_np(theirs, keras)
    assert mine_np.shape == theirs_np.shape
    assert str(mine_np.dtype) == str(theirs_np.dtype)
    if exact:
        np.testing.assert_array_equal(mine_np, theirs_np)
    else:
        np.testing.assert_allclose(mine_np, theirs_np, rtol=1e-6, atol=1e-6)


# -- the surface -----------------------------------------------------------------------------
def test_every_keras_name_is_there_with_keras_signature(kq):
    public = sorted(n for n in dir(kq) if not n.startswith("_"))
    assert public == sorted(cq.__all__)
    for name in public:
        theirs, mine = getattr(kq, name), getattr(cq, name)
        if inspect.isclass(theirs):
            theirs, mine = theirs.__init__, mine.__init__
        t_params = inspect.signature(theirs).parameters
        m_params = inspect.signature(mine).parameters
        assert [(p.name, p.kind, p.default) for p in t_params.values()] == \
            [(p.name, p.kind, p.default) for p in m_params.values()], name


def test_the_module_is_a_lazy_core_submodule():
    assert "quantizers" in dir(cornu) and "Quantizer" in dir(cornu)
    assert cornu.quantizers is cq and cornu.Quantizer is cq.Quantizer
    assert "quantizers" in cornu.__all__ and "Quantizer" in cornu.__all__


def test_keras_alias_maps_the_module():
    code = textwrap.dedent("""
        import cornu
        cornu.alias_keras()
        import keras
        from keras.quantizers import AbsMaxQuantizer, Int8QuantizationConfig
        from keras.src.quantizers.quantizers import compute_quantization_parameters
        assert keras.quantizers is cornu.quantizers and keras.Quantizer is cornu.Quantizer
        assert AbsMaxQuantizer is cornu.quantizers.AbsMaxQuantizer
        assert compute_quantization_parameters is cornu.quantizers.compute_quantization_parameters
        config = keras.quantizers.deserialize(keras.quantizers.serialize(Int8QuantizationConfig()))
        print(type(config.activation_quantizer).__name__)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "AbsMaxQuantizer"


# -- int8: abs-max quantization --------------------------------------------------------------
@pytest.mark.parametrize("to_numpy", [False, True])
@pytest.mark.parametrize("axis, value_range, dtype, in_dtype", [
    (-1, (-127, 127), "int8", "float32"),
    (0, (-127, 127), "int8", "float32"),
    ((0, 2), (-8, 7), "int8", "float32"),
    (1, (0, 255), "uint8", "float32"),
    (-1, (-127, 127), "int8", "float16"),
    (-1, (-127, 127), "int32", "float64"),
])
def test_abs_max_quantize_matches_keras(kq, keras, rng, to_numpy, axis, value_range, dtype,
                                        in_dtype):
    x = (rng.standard_normal((4, 5, 3)) * 3).astype(in_dtype)
    if in_dtype != "float16":  # (float16: 127 / epsilon overflows, in Keras too)
        x[0, 0] = 0.0  # an all-zero slice exists along some axes
    mine = cq.abs_max_quantize(ops.convert_to_tensor(x), axis, value_range, dtype,
                               to_numpy=to_numpy)
    theirs = kq.abs_max_quantize(keras.ops.convert_to_tensor(x), axis, value_range, dtype,
                                 to_numpy=to_numpy)
    assert dtype_of(mine[0]) == dtype and dtype_of(mine[1]) == in_dtype
    for m, t in zip(mine, theirs):
        # (float64: Keras on torch adds epsilon as a float32 number)
        assert_same(m, t, keras, exact=in_dtype != "float64")


def test_abs_max_quantize_by_hand():
    q, scale = cq.abs_max_quantize(np.array([[1.0, -2.0, 0.5]], "float32"), -1)
    np.testing.assert_allclose(np_(scale), [[127 / (2 + 1e-7)]], rtol=1e-6)
    np.testing.assert_array_equal(np_(q), [[64, -127, 32]])
    assert dtype_of(q) == "int8"


def test_abs_max_quantizer_matches_keras(kq, keras, rng):
    x = rng.standard_normal((6, 4)).astype("float32")
    for kwargs, call in [({}, {}), ({"axis": 0}, {}), ({"axis": [0]}, {"axis": -1}),
                         ({"value_range": (-8, 7)}, {"to_numpy": True})]:
        mine, theirs = cq.AbsMaxQuantizer(**kwargs), kq.AbsMaxQuantizer(**kwargs)
        assert mine.get_config() == theirs.get_config()
        for m, t in zip(mine(x, **call), theirs(x, **call)):
            assert_same(m, t, keras)
        again = cq.AbsMaxQuantizer.from_config(mine.get_config())
        assert again.get_config() == mine.get_config()
    assert cq.AbsMaxQuantizer(axis=1).axis == (1,) and cq.AbsMaxQuantizer().axis is None


@pytest.mark.parametrize("value_range", [(-129, 127), (-127, 128)])
def test_abs_max_quantizer_rejects_an_int8_range_it_cannot_hold(kq, value_range):
    with pytest.raises(ValueError, match="value_range"):
        cq.AbsMaxQuantizer(value_range=value_range)
    with pytest.raises(ValueError):
        kq.AbsMaxQuantizer(value_range=value_range)
    cq.AbsMaxQuantizer(value_range=(0, 255), output_dtype="uint8")  # only int8 is checked


def test_base_quantizer():
    q = cq.Quantizer()
    assert q.output_dtype == "int8"
    x = np.ones(3, "float32")
    assert q(x) is x
    with pytest.raises(NotImplementedError):
        q.get_config()


# -- int4: grouped quantization with a zero point --------------------------------------------
@pytest.mark.parametrize("to_numpy", [False, True])
@pytest.mark.parametrize("shape, block_size, value_range", [
    ((8, 5), 4, (-8, 7)), ((7, 3), 3, (-8, 7)), ((5, 4), 8, (-8, 7)),
    ((9, 2), 2, (-128, 127)), ((6, 6), 6, (-8, 7)),
])
def test_grouped_quantization_matches_keras(kq, keras, rng, to_numpy, shape, block_size,
                                            value_range):
    x = (rng.standard_normal(shape) + 0.3).astype("float32")
    mine = cq.abs_max_quantize_grouped_with_zero_point(
        ops.convert_to_tensor(x), block_size, value_range, to_numpy=to_numpy)
    theirs = kq.abs_max_quantize_grouped_with_zero_point(
        keras.ops.convert_to_tensor(x), block_size, value_range, to_numpy=to_numpy)
    groups = math.ceil(shape[0] / block_size)
    assert tuple(mine[0].shape) == shape
    assert tuple(mine[1].shape) == tuple(mine[2].shape) == (groups, shape[1])
    assert [dtype_of(t) for t in mine] == ["int8", "float32", "int8"]
    for m, t in zip(mine, theirs):
        assert_same(m, t, keras, exact=False)
    # Dequantized, the values come back within half a step, in the groups whose range
    # holds zero (elsewhere the zero point saturates, in Keras too).
    q, scale, zero = (np_(t).astype("float32") for t in mine)
    rows = np.arange(shape[0]) // block_size
    padded = np.full((groups * block_size, shape[1]), np.nan, "float32")
    padded[:shape[0]] = x
    blocks = padded.reshape(groups, block_size, shape[1])
    holds_zero = (np.nanmin(blocks, axis=1) <= 0) & (np.nanmax(blocks, axis=1) >= 0)
    back = (q - zero[rows]) * scale[rows]
    ok = np.abs(back - x) <= scale[rows] * 0.5 + 1e-5
    assert holds_zero.any() and np.all(ok[holds_zero[rows]])


def test_grouped_quantization_needs_a_2d_tensor():
    with pytest.raises(ValueError, match="2D"):
        cq.abs_max_quantize_grouped_with_zero_point(np.zeros((2, 3, 4), "float32"), 2)


@pytest.mark.parametrize("kwargs", [
    dict(bits=4), dict(bits=4, per_channel=True), dict(bits=4, per_channel=True, group_size=3),
    dict(bits=8, symmetric=True, per_channel=True), dict(bits=4, symmetric=True, signed=True),
    dict(bits=4, per_channel=True, group_size=4, signed=True, epsilon=1e-3),
    dict(bits=3, per_channel=True, group_size=2, symmetric=True),
])
def test_compute_quantization_parameters_matches_keras(keras, rng, kwargs):
    from keras.src.quantizers.quantizers import compute_quantization_parameters as theirs_fn

    x = rng.standard_normal((4, 10)).astype("float32")
    x[1] = 0.5  # a constant row: an empty range is widened
    mine = cq.compute_quantization_parameters(ops.convert_to_tensor(x), **kwargs)
    theirs = theirs_fn(keras.ops.convert_to_tensor(x), **kwargs)
    for m, t in zip(mine, theirs):
        assert_same(m, t, keras, exact=False)


def test_compute_quantization_parameters_rejects_bad_tensors():
    with pytest.raises(ValueError, match="rank"):
        cq.compute_quantization_parameters(ops.ones((3,)), bits=4)
    with pytest.raises(ValueError, match="empty"):
        cq.compute_quantization_parameters(ops.ones((0, 3)), bits=4)
    with pytest.raises(ValueError, match="None"):
        cq.compute_quantization_parameters(None, bits=4)


# -- int4 packing ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("shape, axis", [
    ((6,), 0), ((5,), -1), ((4, 3), 0), ((5, 3), 0), ((3, 5), 1), ((3, 4), -1),
    ((3, 5, 2), 1), ((2, 3, 7), 2), ((5, 2, 3), 0),
])
def test_pack_and_unpack_int4_match_keras_and_round_trip(kq, keras, rng, dtype, shape, axis):
    low, high = (-8, 8) if dtype == "int8" else (0, 16)
    x = rng.integers(low, high, shape).astype(dtype)
    packed, packed_shape, length = cq.pack_int4(ops.convert_to_tensor(x), axis=axis,
                                                dtype=dtype)
    k_packed, k_shape, k_length = kq.pack_int4(keras.ops.convert_to_tensor(x), axis=axis,
                                               dtype=dtype)
    assert_same(packed, k_packed, keras)
    assert packed_shape == k_shape and length == k_length == shape[axis]
    expected = list(shape)
    expected[axis] = (shape[axis] + 1) // 2
    assert packed_shape == tuple(expected) == tuple(packed.shape)
    unpacked = cq.unpack_int4(packed, length, axis=axis, dtype=dtype)
    assert_same(unpacked, kq.unpack_int4(k_packed, k_length, axis=axis, dtype=dtype), keras)
    np.testing.assert_array_equal(np_(unpacked), x)


def test_pack_int4_layout_by_hand():
    # Keras's documented example: low nibble first row, high nibble second row.
    x = np.array([[-3, 7], [2, -8], [1, 0]], "int8")
    packed, shape, length = cq.pack_int4(ops.convert_to_tensor(x), axis=0)
    np.testing.assert_array_equal(np_(packed), [[45, -121], [1, 0]])
    assert shape == (2, 2) and length == 3
    packed, shape, length = cq.pack_int4(ops.convert_to_tensor(x.T.copy()), axis=1)
    np.testing.assert_array_equal(np_(packed), [[45, 1], [-121, 0]])
    assert dtype_of(cq.unpack_int4(packed, length, axis=1)) == "int8"


def test_pack_and_unpack_reject_bad_dtypes(kq):
    x = ops.convert_to_tensor(np.zeros((2, 2), "int8"))
    with pytest.raises(ValueError, match="dtype"):
        cq.pack_int4(x, dtype="int16")
    with pytest.raises(TypeError, match="uint8"):
        cq.pack_int4(x, dtype="uint8")
    with pytest.raises(TypeError):
        kq.pack_int4(x, dtype="uint8")
    with pytest.raises(ValueError, match="dtype"):
        cq.unpack_int4(x, 2, dtype="int4")
    with pytest.raises(TypeError, match="int32"):
        cq.unpack_int4(ops.convert_to_tensor(np.zeros((2, 2), "int32")), 2)


# -- fake quantization -----------------------------------------------------------------------
FAKE_QUANT_CASES = [
    # (input shape, axis, per-channel size or None, num_bits, narrow_range)
    ((4, 5, 3), None, None, 8, False),
    ((6, 4), None, None, 4, True),
    ((4, 5, 3), -1, 3, 8, False),
    ((3, 4), 1, 4, 6, True),
    ((20,), None, None, 2, False),
]


def _ranges(rng, size):
    shape = () if size is None else (size,)
    low = -rng.uniform(0.2, 2.0, shape).astype("float32")
    high = rng.uniform(0.2, 2.0, shape).astype("float32")
    return low, high


def _grads(fn, arrays, upstream):
    """The value of ``fn(*tensors)`` and the gradient of ``sum(fn * upstream)`` w.r.t.
    each array, through cornu's backend."""
    variables = [cornu.Variable(a, trainable=True) for a in arrays]

    def target():
        out = fn(*[v.value for v in variables])
        return ops.sum(ops.multiply(out, ops.convert_to_tensor(upstream))), out

    out, grads = get_backend().trainer.value_and_grad(target, variables)
    return np_(out), [np_(g) for g in grads]


@pytest.mark.parametrize("shape, axis, size, num_bits, narrow", FAKE_QUANT_CASES)
def test_fake_quant_values_and_gradients_match_keras(kq, keras, rng, shape, axis, size,
                                                     num_bits, narrow):
    x = (rng.standard_normal(shape) * 1.5).astype("float32")
    low, high = _ranges(rng, size)
    upstream = rng.standard_normal(shape).astype("float32")
    kwargs = dict(num_bits=num_bits, narrow_range=narrow, axis=axis)

    mine, my_grads = _grads(
        lambda a, b, c: cq.fake_quant_with_min_max_vars(a, b, c, **kwargs),
        [x, low, high], upstream)
    if axis is not None and axis % len(shape) != len(shape) - 1:
        # Keras on torch takes per-channel ranges on the last axis only: the reference
        # is Keras on the inputs with the channel axis moved last.
        def theirs_fn(a, b, c):
            moved = keras.ops.swapaxes(a, axis, -1)
            out = kq.fake_quant_with_min_max_vars(moved, b, c, num_bits=num_bits,
                                                  narrow_range=narrow, axis=-1)
            return keras.ops.swapaxes(out, axis, -1)
    else:
        def theirs_fn(a, b, c):
            return kq.fake_quant_with_min_max_vars(a, b, c, **kwargs)
    theirs, their_grads = _grads(
        lambda *a: theirs_fn(*[keras.ops.add(t, 0.0) for t in a]), [x, low, high],
        upstream)

    assert mine.shape == shape and mine.dtype == np.float32
    np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-6)
    for m, t, a in zip(my_grads, their_grads, [x, low, high]):
        assert m.shape == a.shape
        np.testing.assert_allclose(m, t, rtol=1e-5, atol=1e-5)
    # Straight through inside the range, zero outside; the range gets what is clipped, so
    # the three gradients share out the upstream gradient.
    assert 0 < np.count_nonzero(my_grads[0]) < x.size  # some values are clipped
    np.testing.assert_allclose(my_grads[0].sum() + my_grads[1].sum() + my_grads[2].sum(),
                               upstream.sum(), rtol=1e-4, atol=1e-4)


def test_fake_quant_trains_variables():
    """Variables as arguments (a layer's trainable range): the gradients reach them."""
    x = cornu.Variable(np.linspace(-3, 3, 12).astype("float32").reshape(3, 4))
    low, high = cornu.Variable(np.float32(-1.0)), cornu.Variable(np.float32(1.5))

    def target():
        out = cq.fake_quant_with_min_max_vars(x, low, high)
        return ops.sum(out), out

    _, grads = get_backend().trainer.value_and_grad(target, [x, low, high])
    d_x, d_low, d_high = (np_(g) for g in grads)
    values = np.linspace(-3, 3, 12).reshape(3, 4)
    np.testing.assert_array_equal(d_x, ((values > -1) & (values < 1.5)).astype("float32"))
    assert d_low == 4.0 and d_high == 3.0  # 4 values below the range, 3 above


def test_fake_quant_by_hand():
    x = np.array([-1.0, 0.4, 0.6, 1.0, 2.2, 2.9, 7.0], "float32")
    # 2 bits on [0, 3]: the levels 0, 1, 2, 3.
    out = np_(cq.fake_quant_with_min_max_vars(x, 0.0, 3.0, num_bits=2))
    np.testing.assert_allclose(out, [0, 0, 1, 1, 2, 3, 3], atol=1e-6)
    # narrow_range drops a level: 0, 1.5, 3.
    out = np_(cq.fake_quant_with_min_max_vars(x, 0.0, 3.0, num_bits=2, narrow_range=True))
    np.testing.assert_allclose(out, [0, 0, 0, 1.5, 1.5, 3, 3], atol=1e-6)
    # The range is nudged so that zero is a level: [-0.1, 2.9] becomes [0, 3].
    out = np_(cq.fake_quant_with_min_max_vars(np.array([0.0, -0.05, 3.0], "float32"),
                                              -0.1, 2.9, num_bits=2))
    np.testing.assert_allclose(out, [0, 0, 3], atol=1e-6)


def test_fake_quant_keeps_the_input_dtype(rng):
    x = rng.standard_normal((3, 4)).astype("float16")
    out = cq.fake_quant_with_min_max_vars(ops.convert_to_tensor(x), -1.0, 1.0)
    assert dtype_of(out) == "float16" and tuple(out.shape) == (3, 4)


def test_fake_quant_on_symbolic_inputs_builds_a_graph(rng):
    inputs = cornu.Input((4,))
    outputs = cq.fake_quant_with_min_max_vars(inputs, -1.0, 1.0, num_bits=4)
    assert isinstance(outputs, cornu.KerasTensor)
    assert tuple(outputs.shape) == (None, 4) and outputs.dtype == "float32"
    fn = cornu.Function(inputs, outputs)
    x = rng.standard_normal((2, 4)).astype("float32")
    np.testing.assert_allclose(
        np_(fn(x)), np_(cq.fake_quant_with_min_max_vars(x, -1.0, 1.0, num_bits=4)))


def test_fake_quant_rejects_an_axis_out_of_range():
    with pytest.raises(ValueError, match="axis"):
        cq.fake_quant_with_min_max_vars(np.zeros((2, 3), "float32"), [-1.0] * 3, [1.0] * 3,
                                        axis=2)


# -- float8 ----------------------------------------------------------------------------------
def test_compute_float8_scale_matches_keras(kq, keras):
    amax = np.array([3.0, 0.0, np.inf, np.nan, 1e-3, 448.0], "float32")
    scale = np.array([2.0, 0.5, 4.0, 1.0, 1.0, 0.25], "float32")
    for dtype_max, margin in [(448.0, 0), (57344.0, 2)]:
        mine = cq.compute_float8_scale(ops.convert_to_tensor(amax), ops.convert_to_tensor(scale),
                                       dtype_max, margin)
        theirs = kq.compute_float8_scale(keras.ops.convert_to_tensor(amax),
                                         keras.ops.convert_to_tensor(scale), dtype_max, margin)
        assert_same(mine, theirs, keras, exact=False)
    # Keeps the old scale where amax is 0, inf or nan.
    np.testing.assert_allclose(np_(mine)[1:4], scale[1:4])


def test_compute_float8_amax_history_matches_keras(kq, keras, rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    history = rng.uniform(0, 1, 8).astype("float32")
    mine = cq.compute_float8_amax_history(ops.convert_to_tensor(x),
                                          ops.convert_to_tensor(history))
    theirs = kq.compute_float8_amax_history(keras.ops.convert_to_tensor(x),
                                            keras.ops.convert_to_tensor(history))
    assert_same(mine, theirs, keras)
    np.testing.assert_allclose(np_(mine), np.r_[np.abs(x).max(), history[2:], history[0]])


def _float8_inputs(rng):
    values = np.concatenate([
        rng.standard_normal(400) * 50, rng.standard_normal(200) * 1e-2,
        rng.standard_normal(200) * 1e-4, rng.uniform(-1e5, 1e5, 100),
        # exact ties and binade edges: 1 + 1/16 (e4m3 tie), 1 + 1/8 (e5m2 tie), 2**-6 ...
        [0.0, -0.0, 1.0625, 1.1875, 1.125, 1.375, 2.0 ** -6, 2.0 ** -9, 3 * 2.0 ** -10,
         2.0 ** -14, 2.0 ** -16, 3 * 2.0 ** -17, 448.0, 464.0, 57344.0, 61440.0, -1e9],
    ])
    return values.astype("float32")


@pytest.mark.parametrize("quantized_dtype", ["float8_e4m3fn", "float8_e5m2", "float16",
                                             "bfloat16"])
@pytest.mark.parametrize("compute_dtype, scale", [("float32", 1.0), ("float32", 0.37),
                                                  ("float16", 2.0)])
def test_quantize_and_dequantize_matches_keras(kq, keras, rng, quantized_dtype,
                                               compute_dtype, scale):
    x = _float8_inputs(rng)
    if compute_dtype == "float16":
        x = np.clip(x, -6e4, 6e4).astype("float16")
    mine = cq.quantize_and_dequantize(ops.convert_to_tensor(x), scale, quantized_dtype,
                                      compute_dtype)
    theirs = kq.quantize_and_dequantize(keras.ops.convert_to_tensor(x), scale,
                                        quantized_dtype, compute_dtype)
    assert dtype_of(mine) == compute_dtype
    assert_same(mine, theirs, keras)


@pytest.mark.parametrize("quantized_dtype", ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
                                             "float8_e5m2fnuz", "float8_e4m3b11fnuz"])
def test_float8_rounding_matches_ml_dtypes(rng, quantized_dtype):
    """Every float8 format cornu rounds to, against ml_dtypes's casts (Keras's reference
    types), on values of every magnitude from the subnormals to past the maximum."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    np_dtype = getattr(ml_dtypes, quantized_dtype)
    x = (rng.standard_normal(50000) * np.exp(rng.uniform(-25, 12, 50000))).astype("float32")
    limit = float(ml_dtypes.finfo(np_dtype).max)
    expected = np.clip(x, -limit, limit).astype(np_dtype).astype("float32")
    out = np_(cq.quantize_and_dequantize(ops.convert_to_tensor(x), 1.0, quantized_dtype,
                                         "float32"))
    np.testing.assert_array_equal(out, expected)


def test_quantize_and_dequantize_by_hand():
    x = np.array([1.0625, 1.1875, 0.3, 1000.0, -1000.0, 2.0 ** -10], "float32")
    out = np_(cq.quantize_and_dequantize(x, 1.0, "float8_e4m3fn", "float32"))
    # Ties to even on 3 mantissa bits; saturates at 448; 2**-10 is half the smallest
    # subnormal step (2**-9): a tie, to even (zero).
    np.testing.assert_array_equal(out, [1.0, 1.25, 0.3125, 448.0, -448.0, 0.0])


def test_quantize_and_dequantize_gradient_is_straight_through(rng):
    x = (rng.standard_normal(16) * 300).astype("float32")
    upstream = rng.standard_normal(16).astype("float32")
    _, (grad,) = _grads(lambda a: cq.quantize_and_dequantize(a, 1.0, "float8_e4m3fn",
                                                             "float32"), [x], upstream)
    np.testing.assert_allclose(grad, np.where(np.abs(x) <= 448, upstream, 0.0), atol=1e-6)


def test_quantize_and_dequantize_rejects_a_non_float_dtype():
    with pytest.raises(ValueError, match="quantized_dtype"):
        cq.quantize_and_dequantize(np.ones(2, "float32"), 1.0, "int8", "float32")


# -- configs ---------------------------------------------------------------------------------
def _config_cases(q):
    return [
        lambda: q.Int8QuantizationConfig(),
        lambda: q.Int8QuantizationConfig(weight_quantizer=q.AbsMaxQuantizer(axis=0),
                                         activation_quantizer=None),
        lambda: q.Int4QuantizationConfig(),
        lambda: q.Int4QuantizationConfig(block_size=None,
                                         weight_quantizer=q.AbsMaxQuantizer(value_range=(-8, 7))),
        lambda: q.Int4QuantizationConfig(block_size=-1),
        lambda: q.Float8QuantizationConfig(),
        lambda: q.GPTQConfig(None, None),
        lambda: q.GPTQConfig([1, 2], None, weight_bits=8, num_samples=3, per_channel=False,
                             sequence_length=16, hessian_damping=0.5, group_size=-1,
                             symmetric=True, activation_order=True),
        lambda: q.AWQConfig(None, None),
        lambda: q.AWQConfig("data", None, num_samples=2, sequence_length=8, group_size=-1,
                            num_grid_points=5),
    ]


def _json(obj):
    return json.loads(json.dumps(obj))


@pytest.mark.parametrize("index", range(10))
def test_configs_serialize_as_keras_and_round_trip(kq, index):
    mine, theirs = _config_cases(cq)[index](), _config_cases(kq)[index]()
    assert mine.mode == theirs.mode
    assert _json(mine.get_config()) == _json(theirs.get_config())
    assert _json(cq.serialize(mine)) == _json(kq.serialize(theirs))
    # Keras's record (through JSON, as in a saved file) rebuilds the same config.
    rebuilt = cq.deserialize(_json(kq.serialize(theirs)))
    assert type(rebuilt) is type(mine)
    assert _json(rebuilt.get_config()) == _json(mine.get_config())
    again = type(mine).from_config(mine.get_config())
    assert _json(again.get_config()) == _json(mine.get_config())
    if hasattr(theirs, "dtype_policy_string"):
        assert mine.dtype_policy_string() == theirs.dtype_policy_string()


def test_config_defaults_and_helpers():
    config = cq.Int8QuantizationConfig()
    assert isinstance(config.activation_quantizer, cq.AbsMaxQuantizer)
    assert config.weight_quantizer is None
    assert cq.Int4QuantizationConfig().activation_quantizer is None
    assert cq.Int4QuantizationConfig().block_size == 128
    assert cq.Int4QuantizationConfig.from_config(
        {"weight_quantizer": None, "activation_quantizer": None}).block_size is None
    default = object()
    QC = cq.QuantizationConfig
    assert QC.weight_quantizer_or_default(None, default) is default
    assert QC.weight_quantizer_or_default(config, default) is default
    assert QC.activation_quantizer_or_default(config, default) is config.activation_quantizer
    assert QC.activation_quantizer_or_default(cq.Int4QuantizationConfig(), default) is None
    with pytest.raises(NotImplementedError):
        QC().mode  # noqa: B018


BAD_CONFIGS = [
    (lambda q: q.Int8QuantizationConfig(
        weight_quantizer=q.AbsMaxQuantizer(value_range=(0, 255), output_dtype="uint8")),
     "output_dtype"),
    (lambda q: q.Int4QuantizationConfig(block_size=0), "block_size"),
    (lambda q: q.Int4QuantizationConfig(block_size=-3), "block_size"),
    (lambda q: q.Int4QuantizationConfig(weight_quantizer=q.AbsMaxQuantizer(value_range=(-8, 7))),
     "custom quantizers"),
    (lambda q: q.Int4QuantizationConfig(block_size=None, weight_quantizer=q.AbsMaxQuantizer()),
     "value_range"),
    (lambda q: q.Int4QuantizationConfig(
        block_size=-1, weight_quantizer=q.AbsMaxQuantizer(value_range=(-8, 7),
                                                          output_dtype="uint8")),
     "output_dtype"),
    (lambda q: q.GPTQConfig(None, None, weight_bits=5), "weight_bits"),
    (lambda q: q.GPTQConfig(None, None, num_samples=0), "num_samples"),
    (lambda q: q.GPTQConfig(None, None, sequence_length=-1), "sequence_length"),
    (lambda q: q.GPTQConfig(None, None, hessian_damping=1.5), "hessian_damping"),
    (lambda q: q.GPTQConfig(None, None, hessian_damping=-0.1), "hessian_damping"),
    (lambda q: q.GPTQConfig(None, None, group_size=0), "group_size"),
    (lambda q: q.GPTQConfig(None, None, group_size=-2), "group_size"),
    (lambda q: q.AWQConfig(None, None, weight_bits=8), "4-bit"),
    (lambda q: q.AWQConfig(None, None, num_samples=-1), "num_samples"),
    (lambda q: q.AWQConfig(None, None, sequence_length=0), "sequence_length"),
    (lambda q: q.AWQConfig(None, None, group_size=0), "group_size"),
    (lambda q: q.AWQConfig(None, None, num_grid_points=0), "num_grid_points"),
]


@pytest.mark.parametrize("index", range(len(BAD_CONFIGS)))
def test_configs_reject_what_keras_rejects(kq, index):
    make, words = BAD_CONFIGS[index]
    with pytest.raises(ValueError):
        make(kq)
    with pytest.raises(ValueError, match=words):
        make(cq)


def test_gptq_and_awq_configs_take_keyword_arguments_only():
    with pytest.raises(TypeError):
        cq.GPTQConfig(None, None, 4)
    with pytest.raises(TypeError):
        cq.AWQConfig(None)


def test_validate_and_resolve_config():
    from cornu.quantizers.quantization_config import validate_and_resolve_config as resolve

    assert isinstance(resolve("int8", None), cq.Int8QuantizationConfig)
    assert isinstance(resolve(None, "int4"), cq.Int4QuantizationConfig)
    assert isinstance(resolve("float8", None), cq.Float8QuantizationConfig)
    gptq = cq.GPTQConfig(None, None)
    assert resolve(None, gptq) is gptq and resolve("gptq", gptq) is gptq
    for mode, config, words in [("gptq", None, "GPTQConfig"), ("awq", None, "AWQConfig"),
                                ("int2", None, "Invalid quantization mode"),
                                (None, None, "either `mode` or `config`"),
                                ("int8", {"mode": "int8"}, "QuantizationConfig"),
                                ("int4", cq.Int8QuantizationConfig(), "Contradictory")]:
        with pytest.raises(ValueError, match=words):
            resolve(mode, config)


# -- get / serialize / deserialize -----------------------------------------------------------
def test_get_serialize_deserialize(kq):
    assert cq.get(None) is None
    q = cq.AbsMaxQuantizer(axis=1)
    assert cq.get(q) is q
    config = cq.Int8QuantizationConfig()
    assert cq.get(config) is config
    for name in ("AbsMaxQuantizer", "abs_max_quantizer"):
        got = cq.get(name, value_range=(-8, 7))
        assert isinstance(got, cq.AbsMaxQuantizer) and got.value_range == (-8, 7)
    assert isinstance(cq.get("Int8QuantizationConfig"), cq.Int8QuantizationConfig)
    assert isinstance(cq.get(cq.Float8QuantizationConfig), cq.Float8QuantizationConfig)
    record = kq.serialize(kq.AbsMaxQuantizer(axis=1, value_range=(-8, 7)))
    got = cq.get(_json(record))
    assert isinstance(got, cq.AbsMaxQuantizer) and got.axis == (1,)
    assert _json(cq.serialize(q)) == _json(kq.serialize(kq.AbsMaxQuantizer(axis=1)))
    assert cq.deserialize("AbsMaxQuantizer") is cq.AbsMaxQuantizer
    with pytest.raises(ValueError, match="Could not interpret quantizer identifier"):
        cq.get("NoSuchQuantizer")
    with pytest.raises(ValueError, match="Could not interpret quantizer identifier"):
        cq.get(42)


def test_quantizers_are_registry_components():
    from cornu.plugins import registry

    for cls in cq.ALL_QUANTIZERS:
        assert registry.get("quantizer", cls.__name__) is cls
        assert registry.owner("quantizer", cls.__name__) == "cornu-core"
    # A user quantizer registered as a custom object resolves from its record.
    @cornu.saving.register_keras_serializable(package="QuantTest")
    class Halver(cq.Quantizer):
        def __call__(self, x):
            return ops.multiply(x, 0.5)

        def get_config(self):
            return {"output_dtype": self.output_dtype}

    config = cq.Int8QuantizationConfig(weight_quantizer=Halver())
    rebuilt = cq.deserialize(_json(cq.serialize(config)))
    assert isinstance(rebuilt.weight_quantizer, Halver)
