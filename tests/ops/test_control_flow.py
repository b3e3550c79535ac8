"""Control flow ops (Keras semantics) eagerly and compiled, with gradients, against numpy."""
import numpy as np
import pytest

from cornu import ops


def to_np(x):
    if isinstance(x, (tuple, list)):
        return type(x)(to_np(e) for e in x)
    if isinstance(x, dict):
        return {k: to_np(v) for k, v in x.items()}
    return np.asarray(ops.convert_to_numpy(x))


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
    return tf.convert_to_tensor(tape.gradient(y, t)).numpy()  # gathers give IndexedSlices


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


# -- cond / switch ----------------------------------------------------------------------
def test_cond_eager_and_compiled(compiled, tensor_spec):
    def fn(x):
        return ops.cond(ops.sum(x) > 0, lambda: x * 2.0, lambda: -x)

    run = compiled(fn, input_signature=[tensor_spec((3,))])
    a = np.array([1.0, 2.0, -0.5], "float32")
    np.testing.assert_allclose(to_np(run(a)), a * 2)
    np.testing.assert_allclose(to_np(run(-a)), a)
    assert ops.cond(False, lambda: 1, lambda: 2) == 2


def test_switch_clips_the_index(compiled, tensor_spec):
    branches = [lambda x: x + 1.0, lambda x: x * 10.0, lambda x: -x]

    def fn(i, x):
        return ops.switch(i, branches, x)

    run = compiled(fn, input_signature=[tensor_spec((), "int32"), tensor_spec((2,))])
    x = np.array([1.0, 2.0], "float32")
    for index, expected in ((0, x + 1), (1, x * 10), (2, -x), (7, -x), (-3, x + 1)):
        np.testing.assert_allclose(to_np(run(np.int32(index), x)), expected)


# -- while_loop / fori_loop ----------------------------------------------------------------
def test_while_loop_structures_and_maximum_iterations(compiled):
    i, s = ops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), (0, 0))
    assert (int(to_np(i)), int(to_np(s))) == (5, 10)
    out = ops.while_loop(lambda i, s: i < 5, lambda i, s: [i + 1, s * 2.0], [0, 1.0])
    assert isinstance(out, list) and float(to_np(out[1])) == 32.0
    single = ops.while_loop(lambda x: ops.sum(x) < 100.0, lambda x: x * 3.0,
                            np.ones(2, "float32"))
    np.testing.assert_allclose(to_np(single), [81.0, 81.0])
    state = ops.while_loop(lambda d: d["i"] < 10, lambda d: {"i": d["i"] + 1, "v": d["v"] * 2.0},
                           {"i": 0, "v": 1.0}, maximum_iterations=3)
    assert int(to_np(state["i"])) == 3 and float(to_np(state["v"])) == 8.0

    def fn(x):
        x = ops.convert_to_tensor(x)
        return ops.while_loop(lambda k, y: k < 4, lambda k, y: (k + 1, y * x), (0, ops.ones_like(x)))[1]

    np.testing.assert_allclose(to_np(compiled(fn)(np.array([2.0, 3.0], "float32"))), [16.0, 81.0])


def test_fori_loop_value_compiled_and_gradient(compiled, backend_name, rng):
    def fn(x):
        x = ops.convert_to_tensor(x)
        return ops.fori_loop(0, 4, lambda i, v: v * x + ops.cast(i, x.dtype), ops.ones_like(x))

    x = rng.uniform(0.5, 1.5, (3,))
    expected = np.ones(3)
    for i in range(4):
        expected = expected * x + i
    np.testing.assert_allclose(to_np(fn(ops.convert_to_tensor(x))), expected, rtol=1e-10)
    np.testing.assert_allclose(to_np(compiled(fn)(ops.convert_to_tensor(x))), expected, rtol=1e-10)
    np.testing.assert_allclose(_gradient(backend_name, fn, x), _numeric_gradient(fn, x),
                               rtol=1e-6, atol=1e-8)
    # Tensor bounds work too (a graph loop on TensorFlow).
    n = ops.convert_to_tensor(np.int32(3))
    assert float(to_np(ops.fori_loop(0, n, lambda i, v: v + 1.0, 0.0))) == 3.0


# -- scan -------------------------------------------------------------------------------------
def _np_scan(f, init, xs, reverse=False):
    carry, ys = init, [None] * len(xs)
    for i in (range(len(xs) - 1, -1, -1) if reverse else range(len(xs))):
        carry, ys[i] = f(carry, xs[i])
    return carry, np.stack(ys)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_matches_a_python_loop(reverse, compiled, rng):
    xs = rng.standard_normal((5, 3))
    init = np.zeros(3)

    def body(c, x):
        return c * 0.5 + x, c + x * x

    carry, ys = ops.scan(body, ops.convert_to_tensor(init), ops.convert_to_tensor(xs),
                         reverse=reverse)
    ref_carry, ref_ys = _np_scan(body, init, xs, reverse)
    np.testing.assert_allclose(to_np(carry), ref_carry, rtol=1e-12)
    np.testing.assert_allclose(to_np(ys), ref_ys, rtol=1e-12)
    run = compiled(lambda i, x: ops.scan(body, i, x, reverse=reverse, unroll=2))
    carry, ys = run(ops.convert_to_tensor(init), ops.convert_to_tensor(xs))
    np.testing.assert_allclose(to_np(ys), ref_ys, rtol=1e-12)


def test_scan_nested_structures_length_and_none(compiled):
    def body(c, x):
        total, count = c["total"], c["count"]
        return {"total": total + x[0] * x[1], "count": count + 1}, (total, x[1])

    xs = (np.arange(4, dtype="float32"), np.full((4,), 2.0, "float32"))
    carry, (totals, seconds) = ops.scan(body, {"total": 0.0, "count": 0}, xs)
    assert float(to_np(carry["total"])) == 12.0 and int(to_np(carry["count"])) == 4
    np.testing.assert_allclose(to_np(totals), [0.0, 0.0, 2.0, 6.0])
    np.testing.assert_allclose(to_np(seconds), [2.0] * 4)
    carry, ys = ops.scan(lambda c, _: (c * 2.0, None), ops.convert_to_tensor(1.0), length=5)
    assert float(to_np(carry)) == 32.0 and ys is None
    with pytest.raises(ValueError, match="length"):
        ops.scan(lambda c, x: (c, x), 0.0)
    with pytest.raises(ValueError, match="unroll"):
        ops.scan(lambda c, x: (c, x), 0.0, length=2, unroll=0)


def test_scan_gradient(backend_name, rng):
    w = ops.convert_to_tensor(rng.standard_normal((3,)))

    def fn(xs):
        def body(c, x):
            c = ops.tanh(c * w + x)
            return c, c * c

        carry, ys = ops.scan(body, ops.zeros_like(xs[0]), xs)
        return ops.sum(ys) + ops.sum(carry)

    xs = rng.standard_normal((4, 3))
    np.testing.assert_allclose(_gradient(backend_name, fn, xs), _numeric_gradient(fn, xs),
                               rtol=1e-6, atol=1e-8)


# -- associative_scan -------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 6, 7])
def test_associative_scan_sum_and_max(n, rng):
    x = rng.standard_normal((n, 3))
    np.testing.assert_allclose(to_np(ops.associative_scan(lambda a, b: a + b, x)),
                               np.cumsum(x, 0), rtol=1e-12)
    np.testing.assert_allclose(to_np(ops.associative_scan(ops.maximum, x, reverse=True)),
                               np.maximum.accumulate(x[::-1], 0)[::-1])
    np.testing.assert_allclose(to_np(ops.associative_scan(ops.multiply, x.T, axis=-1)),
                               np.cumprod(x.T, -1), rtol=1e-12)


def test_associative_scan_structures_and_compiled(compiled, rng):
    # A linear recurrence h_t = a_t * h_{t-1} + b_t as an associative scan over pairs.
    a = rng.uniform(0.5, 1.0, (9,))
    b = rng.standard_normal((9,))

    def combine(left, right):
        return left[0] * right[0], right[0] * left[1] + right[1]

    _, h = compiled(lambda a, b: ops.associative_scan(combine, (a, b)))(
        ops.convert_to_tensor(a), ops.convert_to_tensor(b))
    expected, state = [], 0.0
    for t in range(9):
        state = a[t] * state + b[t]
        expected.append(state)
    np.testing.assert_allclose(to_np(h), expected, rtol=1e-12)


# -- map / vectorized_map / stop_gradient ---------------------------------------------------
def test_map_and_vectorized_map(compiled, rng):
    x = rng.standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(to_np(ops.map(lambda r: ops.sum(r * r), x)), (x * x).sum(1),
                               rtol=1e-6)
    pairs = ops.map(lambda t: {"s": t[0] + t[1], "d": t[0] - t[1]}, (x, 2 * x))
    np.testing.assert_allclose(to_np(pairs["s"]), 3 * x, rtol=1e-6)
    out = compiled(lambda v: ops.vectorized_map(lambda r: ops.matmul(r, r), v))(
        ops.convert_to_tensor(x))
    np.testing.assert_allclose(to_np(out), (x * x).sum(1), rtol=1e-5)
    both = ops.vectorized_map(lambda e: e[0] * e[1], (x, x + 1))
    np.testing.assert_allclose(to_np(both), x * (x + 1), rtol=1e-6)


def test_stop_gradient(backend_name, rng):
    x = rng.standard_normal((3,))
    grad = _gradient(backend_name, lambda t: t * ops.stop_gradient(t), x)
    np.testing.assert_allclose(grad, x)
