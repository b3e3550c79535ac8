"""``cornu.ops.linalg``: lu_factor, solve_triangular, eig, jvp and the rest of the Keras
linalg surface against numpy (scipy where installed), with gradients checked against
central differences, on the active backend."""
import inspect

import numpy as np
import pytest

import cornu
from cornu import ops
from cornu.ops import linalg


def to_np(x):
    return np.asarray(ops.convert_to_numpy(x))


def np_lu_factor(a):
    """LAPACK getrf (partial pivoting) in numpy: ``(lu, pivots)`` as scipy returns them."""
    lu = np.array(a, dtype="float64")
    n = lu.shape[-1]
    piv = np.zeros(n, dtype="int32")
    for k in range(n):
        p = k + int(np.argmax(np.abs(lu[k:, k])))
        piv[k] = p
        lu[[k, p]] = lu[[p, k]]
        lu[k + 1:, k] /= lu[k, k]
        lu[k + 1:, k + 1:] -= np.outer(lu[k + 1:, k], lu[k, k + 1:])
    return lu, piv


def well_conditioned(rng, *shape):
    a = rng.normal(size=shape)
    return a + 3 * np.eye(shape[-1])  # diagonally heavier: no near-singular draws


def gradient(backend_name, fn, x):
    """d sum(fn(x)) / dx by the backend's autodiff (x float64 numpy)."""
    if backend_name == "torch":
        import torch

        t = torch.tensor(x, requires_grad=True)
        (g,) = torch.autograd.grad(fn(t), t)
        return g.detach().numpy()
    import tensorflow as tf

    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        out = fn(t)
    return tape.gradient(out, t).numpy()


def numeric_gradient(fn, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        g[idx] = (float(to_np(fn(x + d))) - float(to_np(fn(x - d)))) / (2 * eps)
    return g


def assert_gradient(backend_name, fn, x, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(gradient(backend_name, fn, x), numeric_gradient(fn, x),
                               rtol=rtol, atol=atol)


def weighted_sum(rng, shape):
    w = ops.convert_to_tensor(rng.normal(size=shape))
    return lambda y: ops.sum(ops.multiply(y, w))


# -- lu_factor -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (3, 5, 5)])
def test_lu_factor_matches_lapack(rng, shape):
    a = rng.normal(size=shape).astype("float32")
    lu, piv = linalg.lu_factor(a)
    assert ops.standardize_dtype(lu.dtype) == "float32"
    assert ops.standardize_dtype(piv.dtype) == "int32"
    lu, piv = to_np(lu), to_np(piv)
    assert lu.shape == shape and piv.shape == shape[:-1]
    for k, mat in enumerate(a.reshape(-1, *shape[-2:])):
        want_lu, want_piv = np_lu_factor(mat)
        np.testing.assert_allclose(lu.reshape(-1, *shape[-2:])[k], want_lu, rtol=1e-4,
                                   atol=1e-5)
        np.testing.assert_array_equal(piv.reshape(-1, shape[-1])[k], want_piv)
        # Rebuild: apply the row swaps to a, then it equals L @ U.
        swapped = mat.astype("float64").copy()
        for i, p in enumerate(want_piv):
            swapped[[i, p]] = swapped[[p, i]]
        got = lu.reshape(-1, *shape[-2:])[k]
        lower = np.tril(got, -1) + np.eye(shape[-1])
        np.testing.assert_allclose(lower @ np.triu(got), swapped, rtol=1e-4, atol=1e-5)


def test_lu_factor_matches_scipy(rng):
    scipy_linalg = pytest.importorskip("scipy.linalg")
    a = rng.normal(size=(6, 6))
    lu, piv = linalg.lu_factor(a)
    want_lu, want_piv = scipy_linalg.lu_factor(a)
    np.testing.assert_allclose(to_np(lu), want_lu, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(to_np(piv), want_piv)


def test_lu_factor_gradient(rng, backend_name):
    a = rng.normal(size=(2, 4, 4))
    loss = weighted_sum(rng, (2, 4, 4))
    assert_gradient(backend_name, lambda x: loss(linalg.lu_factor(x)[0]), a)


# -- solve_triangular ------------------------------------------------------------------------
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("b_shape", [(4,), (4, 3), (2, 4, 3)])
def test_solve_triangular(rng, lower, b_shape):
    a = well_conditioned(rng, 2, 4, 4) if len(b_shape) == 3 else well_conditioned(rng, 4, 4)
    tri = np.tril(a) if lower else np.triu(a)
    # The other triangle is ignored, as in Keras (and scipy).
    junk = tri + (np.triu(a, 1) if lower else np.tril(a, -1)) * 7
    b = rng.normal(size=b_shape)
    got = linalg.solve_triangular(junk.astype("float32"), b.astype("float32"), lower=lower)
    np.testing.assert_allclose(to_np(got), np.linalg.solve(tri, b[..., None])[..., 0]
                               if len(b_shape) == 1 else np.linalg.solve(tri, b),
                               rtol=1e-4, atol=1e-5)
    assert ops.standardize_dtype(got.dtype) == "float32"


def test_solve_triangular_gradients(rng, backend_name):
    a = np.tril(well_conditioned(rng, 3, 3))
    b = rng.normal(size=(3, 2))
    loss = weighted_sum(rng, (3, 2))
    mask = ops.convert_to_tensor(np.tril(np.ones((3, 3))))
    assert_gradient(backend_name, lambda x: loss(linalg.solve_triangular(
        ops.multiply(mask, x), b, lower=True)), a)
    assert_gradient(backend_name, lambda x: loss(linalg.solve_triangular(a, x, lower=True)), b)


# -- eig -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype,complex_dtype", [("float32", "complex64"),
                                                 ("float64", "complex128")])
def test_eig_returns_complex_eigenpairs(rng, dtype, complex_dtype):
    a = np.array([[0.0, -2.0, 0.5], [2.0, 0.0, 1.0], [0.0, 0.3, 1.5]], dtype)  # a complex pair
    w, v = linalg.eig(a)
    assert ops.standardize_dtype(w.dtype) == complex_dtype
    assert ops.standardize_dtype(v.dtype) == complex_dtype
    w, v = to_np(w), to_np(v)
    want = np.linalg.eigvals(a.astype("float64"))
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(np.sort_complex(w), np.sort_complex(want), rtol=tol, atol=tol)
    np.testing.assert_allclose(a @ v, v * w[None, :], rtol=tol, atol=tol)  # A V = V diag(w)
    np.testing.assert_allclose(np.linalg.norm(v, axis=0), 1.0, rtol=tol)


def test_eig_batched_and_sum_of_eigenvalues_gradient(rng, backend_name):
    a = rng.normal(size=(3, 4, 4))
    w, _ = linalg.eig(a)
    np.testing.assert_allclose(to_np(w).sum(-1).real, np.trace(a, axis1=-2, axis2=-1),
                               rtol=1e-10)
    # sum(eigenvalues) = trace(A), so its gradient is the identity.
    g = gradient(backend_name, lambda x: ops.real(ops.sum(linalg.eig(x)[0])), a[0])
    np.testing.assert_allclose(g, np.eye(4), atol=1e-8)


# -- jvp -----------------------------------------------------------------------------------
def test_jvp_matches_the_analytic_derivative():
    x = np.array([0.1, 0.5, 2.0], "float32")
    y = np.array([1.0, -2.0, 3.0], "float32")
    dx = np.array([1.0, 0.0, 2.0], "float32")
    dy = np.array([0.5, 1.0, 0.0], "float32")
    out, tangent = linalg.jvp(lambda a, b: ops.add(ops.multiply(ops.sin(a), b), ops.square(a)),
                              (x, y), (dx, dy))
    np.testing.assert_allclose(to_np(out), np.sin(x) * y + x ** 2, rtol=1e-6)
    np.testing.assert_allclose(to_np(tangent),
                               (np.cos(x) * y + 2 * x) * dx + np.sin(x) * dy, rtol=1e-5)


def test_jvp_structures_aux_and_tangent_dtype():
    x = np.arange(4.0, dtype="float32").reshape(2, 2)

    def fn(a):
        # (a + a, not 2 * a: torch's forward-mode rule for a product with a Python
        # number compiles a TorchScript decomposition, seconds on first use.)
        return {"double": ops.add(a, a), "mm": ops.matmul(a, a)}, ops.sum(a)

    tangent = np.eye(2)  # float64: cast to the primal's float32
    out, tangents, aux = linalg.jvp(fn, [x], [tangent], has_aux=True)
    assert sorted(out) == sorted(tangents) == ["double", "mm"]
    np.testing.assert_allclose(to_np(tangents["double"]), 2 * np.eye(2))
    np.testing.assert_allclose(to_np(tangents["mm"]), np.eye(2) @ x + x @ np.eye(2))
    assert ops.standardize_dtype(tangents["mm"].dtype) == "float32"
    assert float(to_np(aux)) == 6.0
    with pytest.raises(TypeError, match="primals"):
        linalg.jvp(ops.square, x, x)


def test_jvp_agrees_with_finite_differences(rng):
    a = rng.normal(size=(3, 3))
    x = rng.normal(size=(3,))
    dx = rng.normal(size=(3,))

    def fn(v):
        return ops.tanh(ops.matmul(ops.convert_to_tensor(a), v))

    _, tangent = linalg.jvp(fn, (x,), (dx,))
    eps = 1e-6
    numeric = (to_np(fn(x + eps * dx)) - to_np(fn(x - eps * dx))) / (2 * eps)
    np.testing.assert_allclose(to_np(tangent), numeric, rtol=1e-6, atol=1e-8)


# -- the rest of the surface against numpy ---------------------------------------------------
def test_decompositions_against_numpy(rng):
    a = rng.normal(size=(5, 3))
    spd = a.T @ a + np.eye(3)
    q, r = linalg.qr(a)
    assert to_np(q).shape == (5, 3) and to_np(r).shape == (3, 3)
    np.testing.assert_allclose(to_np(q) @ to_np(r), a, rtol=1e-10, atol=1e-12)
    q, r = linalg.qr(a, mode="complete")
    assert to_np(q).shape == (5, 5) and to_np(r).shape == (5, 3)
    np.testing.assert_allclose(to_np(q) @ to_np(r), a, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="mode"):
        linalg.qr(a, mode="raw")
    u, s, vh = linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(to_np(u) @ np.diag(to_np(s)) @ to_np(vh), a, atol=1e-12)
    u, s, vh = linalg.svd(a)
    assert to_np(u).shape == (5, 5) and to_np(vh).shape == (3, 3)
    np.testing.assert_allclose(to_np(linalg.cholesky(spd, upper=True)),
                               np.linalg.cholesky(spd).T, rtol=1e-10)
    np.testing.assert_allclose(to_np(linalg.cholesky_inverse(np.linalg.cholesky(spd))),
                               np.linalg.inv(spd), rtol=1e-10)
    np.testing.assert_allclose(
        to_np(linalg.cholesky_inverse(np.linalg.cholesky(spd).T, upper=True)),
        np.linalg.inv(spd), rtol=1e-10)
    w, v = linalg.eigh(spd)
    np.testing.assert_allclose(to_np(w), np.linalg.eigh(spd)[0], rtol=1e-10)
    np.testing.assert_allclose(spd @ to_np(v), to_np(v) * to_np(w), atol=1e-10)


def test_least_squares_pinv_and_rank_against_numpy(rng):
    a = rng.normal(size=(6, 3))
    b = rng.normal(size=(6, 2))
    np.testing.assert_allclose(to_np(linalg.lstsq(a, b)), np.linalg.lstsq(a, b, rcond=None)[0],
                               rtol=1e-9)
    np.testing.assert_allclose(to_np(linalg.lstsq(a, b[:, 0])),
                               np.linalg.lstsq(a, b[:, 0], rcond=None)[0], rtol=1e-9)
    low_rank = a @ np.diag([1.0, 1.0, 1e-9]) @ rng.normal(size=(3, 3))
    np.testing.assert_allclose(to_np(linalg.pinv(low_rank, rcond=1e-6)),
                               np.linalg.pinv(low_rank, rcond=1e-6), rtol=1e-6, atol=1e-8)
    assert int(to_np(linalg.matrix_rank(low_rank))) == np.linalg.matrix_rank(low_rank) == 3
    assert int(to_np(linalg.matrix_rank(low_rank, tol=1e-6))) == np.linalg.matrix_rank(
        low_rank, tol=1e-6) == 2
    assert ops.standardize_dtype(linalg.matrix_rank(a).dtype) == "int32"


@pytest.mark.parametrize("ord,axis", [(None, None), ("fro", (0, 1)), ("nuc", (0, 1)),
                                      (1, (0, 1)), (-2, (0, 1)), (3, 1), (0, 0),
                                      (-np.inf, 1)])
def test_norm_against_numpy(rng, ord, axis):
    x = rng.normal(size=(4, 5))
    np.testing.assert_allclose(to_np(linalg.norm(x, ord=ord, axis=axis, keepdims=True)),
                               np.linalg.norm(x, ord=ord, axis=axis, keepdims=True), rtol=1e-10)


# -- gradients of the differentiable ops -----------------------------------------------------
GRADIENT_CASES = {
    "det": lambda x: linalg.det(x),
    "inv": lambda x: ops.sum(ops.square(linalg.inv(x))),
    "solve": lambda x: ops.sum(linalg.solve(x, ops.convert_to_tensor(np.arange(3.0)))),
    "cholesky": lambda x: ops.sum(linalg.cholesky(ops.matmul(x, ops.transpose(x)))),
    "norm_fro": lambda x: linalg.norm(x),
    "norm_2": lambda x: linalg.norm(x, ord=2, axis=(0, 1)),
    "eigh": lambda x: ops.sum(ops.square(linalg.eigh(ops.add(x, ops.transpose(x)))[0])),
    "svd": lambda x: ops.sum(linalg.svd(x, compute_uv=False)),
    "qr": lambda x: ops.sum(ops.square(linalg.qr(x)[1])),
    "lstsq": lambda x: ops.sum(linalg.lstsq(x, ops.convert_to_tensor(np.ones((3, 2))))),
    "pinv": lambda x: ops.sum(linalg.pinv(x)),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(rng, backend_name, name):
    x = well_conditioned(rng, 3, 3)
    assert_gradient(backend_name, GRADIENT_CASES[name], x, rtol=1e-5, atol=1e-6)


# -- symbolic use and the Keras surface ------------------------------------------------------
def test_symbolic_shapes_and_dtypes():
    # (lu_factor is left out: tracing it on torch meta tensors compiles a TorchScript
    # decomposition, seconds on first use; the op itself is tested eagerly above.)
    x = cornu.KerasTensor((None, 4, 4))
    w, v = linalg.eig(x)
    assert (w.shape, w.dtype, v.shape, v.dtype) == (
        (None, 4), "complex64", (None, 4, 4), "complex64")
    assert linalg.solve_triangular(x, cornu.KerasTensor((None, 4)), lower=True).shape == (
        None, 4)


def test_names_and_signatures_match_keras():
    keras = pytest.importorskip("keras")
    names = [n for n in dir(keras.ops.linalg) if not n.startswith("_")]
    missing = [n for n in names if not hasattr(linalg, n)]
    assert missing == []
    for name in names:
        ours = inspect.signature(getattr(linalg, name))
        assert str(ours) == str(inspect.signature(getattr(keras.ops.linalg, name))), name
