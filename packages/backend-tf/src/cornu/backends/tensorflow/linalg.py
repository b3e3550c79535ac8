"""``cornu.ops.linalg`` on TensorFlow (numpy semantics)."""
import numpy as np
import tensorflow as tf

from cornu import tree
from cornu.backends.tensorflow._utils import promote, to_float, to_tensor
from cornu.ops.toolkit import linalg_args as _args


def _vector_norm(x, ord, axis, keepdims):
    a = tf.abs(x)
    if ord is None or ord == 2:
        return tf.sqrt(tf.reduce_sum(tf.square(a), axis=axis, keepdims=keepdims))
    if ord == float("inf"):
        return tf.reduce_max(a, axis=axis, keepdims=keepdims)
    if ord == -float("inf"):
        return tf.reduce_min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return tf.reduce_sum(tf.cast(tf.not_equal(a, 0), a.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return tf.reduce_sum(a, axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid ord {ord!r} for a vector norm")
    p = tf.cast(ord, a.dtype)
    return tf.pow(tf.reduce_sum(tf.pow(a, p), axis=axis, keepdims=keepdims), 1.0 / p)


def _singular_values(x, axes):
    r = x.shape.rank
    perm = [d for d in range(r) if d not in axes] + list(axes)
    return tf.linalg.svd(tf.transpose(x, perm), compute_uv=False)


def _matrix_norm(x, ord, axes, keepdims):
    r = x.shape.rank
    a0, a1 = (a % r for a in axes)
    a = tf.abs(x)
    if ord is None or ord == "fro":
        out = tf.sqrt(tf.reduce_sum(tf.square(a), axis=[a0, a1], keepdims=keepdims))
        return out
    if ord in (1, -1, float("inf"), -float("inf")):
        sum_axis, red_axis = (a0, a1) if ord in (1, -1) else (a1, a0)
        sums = tf.reduce_sum(a, axis=sum_axis, keepdims=True)
        fn = tf.reduce_max if ord in (1, float("inf")) else tf.reduce_min
        out = fn(sums, axis=red_axis, keepdims=True)
        return out if keepdims else tf.squeeze(out, [a0, a1])
    if ord in ("nuc", 2, -2):
        s = _singular_values(x, (a0, a1))
        if ord == "nuc":
            out = tf.reduce_sum(s, axis=-1)
        elif ord == 2:
            out = tf.reduce_max(s, axis=-1)
        else:
            out = tf.reduce_min(s, axis=-1)
        if keepdims:
            out = tf.expand_dims(tf.expand_dims(out, min(a0, a1)), max(a0, a1))
        return out
    raise ValueError(f"norm: invalid ord {ord!r} for a matrix norm")


def norm(x, ord=None, axis=None, keepdims=False):
    x = to_float(x)
    r = x.shape.rank
    if axis is None:
        if ord is None:
            out = tf.sqrt(tf.reduce_sum(tf.square(tf.abs(x))))
            return tf.reshape(out, [1] * r) if keepdims else out
        axis = tuple(range(r))
    elif isinstance(axis, int):
        axis = (axis,)
    axis = tuple(int(a) % r for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, list(axis), keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(f"norm: `axis` must have 1 or 2 entries, received {axis}")


def inv(x):
    return tf.linalg.inv(to_float(x))


def det(x):
    return tf.linalg.det(to_float(x))


def slogdet(x):
    return tuple(tf.linalg.slogdet(to_float(x)))


def logdet(x):
    sign, logabs = tf.linalg.slogdet(to_float(x))
    return tf.where(sign > 0, logabs, tf.where(sign < 0, tf.constant(float("nan"), logabs.dtype), tf.constant(-float("inf"), logabs.dtype)))


def solve(a, b):
    a, b = promote(to_float(a), to_float(b))
    vector = b.shape.rank == a.shape.rank - 1
    if vector:
        b = tf.expand_dims(b, -1)
    out = tf.linalg.solve(a, b)
    return tf.squeeze(out, -1) if vector else out


def solve_triangular(a, b, lower=False):
    a, b = promote(to_float(a), to_float(b))
    vector = b.shape.rank == a.shape.rank - 1
    if vector:
        b = tf.expand_dims(b, -1)
    out = tf.linalg.triangular_solve(a, b, lower=lower)
    return tf.squeeze(out, -1) if vector else out


def cholesky(x, upper=False):
    out = tf.linalg.cholesky(to_float(x))
    return tf.linalg.adjoint(out) if upper else out


def cholesky_inverse(x, upper=False):
    x = to_float(x)
    lower = tf.linalg.adjoint(x) if upper else x
    eye = tf.eye(tf.shape(x)[-1], batch_shape=tf.shape(x)[:-2], dtype=x.dtype)
    return tf.linalg.cholesky_solve(lower, eye)


def eig(x):
    """Eigenvalues and right eigenvectors of a square matrix (complex, as in Keras)."""
    return tuple(tf.linalg.eig(to_float(x)))


def lu_factor(x):
    """``(lu, pivots)``: LU factors with partial pivoting, as ``scipy.linalg.lu_factor``.

    ``lu`` holds ``U`` and the unit-diagonal ``L`` below it; ``pivots[i]`` (int32,
    0-based) is the row swapped with row ``i``.  ``tf.linalg.lu`` returns the row
    permutation instead; the swaps are recovered from it one row at a time.
    """
    lu, perm = _lu(to_float(x))
    n = lu.shape[-1]
    if n is None:
        raise ValueError("lu_factor: the matrix size must be known statically on TensorFlow")
    return lu, _permutation_to_pivots(perm, n)


@tf.custom_gradient
def _lu(a):
    """``tf.linalg.lu`` with a gradient (TensorFlow registers none for it).

    With ``a[perm] = L U``, the gradient of a square full-rank factorization is
    ``a_grad[perm] = L^-T (tril(L^T L_grad, -1) + triu(U_grad U^T)) U^-T``
    (the formula PyTorch's ``lu_factor`` backward uses).
    """
    lu, perm = tf.linalg.lu(a)

    def grad(lu_grad, perm_grad=None):
        n = tf.shape(lu)[-1]
        eye = tf.eye(n, batch_shape=tf.shape(lu)[:-2], dtype=lu.dtype)
        lower = tf.linalg.band_part(lu, -1, 0) - tf.linalg.band_part(lu, 0, 0) + eye
        upper = tf.linalg.band_part(lu, 0, -1)
        l_grad = tf.linalg.band_part(lu_grad, -1, 0) - tf.linalg.band_part(lu_grad, 0, 0)
        u_grad = tf.linalg.band_part(lu_grad, 0, -1)
        phi = (tf.linalg.band_part(tf.linalg.matmul(lower, l_grad, adjoint_a=True), -1, 0)
               - tf.linalg.band_part(tf.linalg.matmul(lower, l_grad, adjoint_a=True), 0, 0)
               + tf.linalg.band_part(tf.linalg.matmul(u_grad, upper, adjoint_b=True), 0, -1))
        left = tf.linalg.triangular_solve(lower, phi, lower=True, adjoint=True)  # L^-T phi
        # (L^-T phi) U^-T = (U^-1 (L^-T phi)^T)^T
        permuted = tf.linalg.adjoint(tf.linalg.triangular_solve(
            upper, tf.linalg.adjoint(left), lower=False))
        inverse = tf.math.invert_permutation(perm) if perm.shape.rank == 1 else tf.map_fn(
            tf.math.invert_permutation, tf.reshape(perm, [-1, n]))
        batch_dims = perm.shape.rank - 1
        if batch_dims > 0:
            inverse = tf.reshape(inverse, tf.shape(perm))
        return tf.gather(permuted, inverse, axis=-2, batch_dims=batch_dims)

    return (lu, perm), grad


def _permutation_to_pivots(perm, n):
    """LAPACK row swaps that turn ``range(n)`` into ``perm`` (batched over leading axes)."""
    perm = tf.cast(perm, tf.int32)
    rows = tf.broadcast_to(tf.range(n, dtype=tf.int32), tf.shape(perm))
    index = tf.range(n, dtype=tf.int32)
    pivots = []
    for i in range(n):
        # Where the row that belongs at position i sits now, then swap it into place.
        target = perm[..., i:i + 1]
        piv = tf.argmax(tf.cast(tf.equal(rows, target), tf.int32), axis=-1,
                        output_type=tf.int32)[..., None]
        pivots.append(piv)
        row_i = rows[..., i:i + 1]
        row_p = tf.gather(rows, piv, axis=-1, batch_dims=perm.shape.rank - 1)
        rows = tf.where(index == i, row_p, tf.where(index == piv, row_i, rows))
    return tf.concat(pivots, axis=-1)


def eigh(x):
    return tuple(tf.linalg.eigh(to_float(x)))


def qr(x, mode="reduced"):
    _args.check_qr_mode(mode)
    q, r = tf.linalg.qr(to_float(x), full_matrices=mode == "complete")
    return q, r


def svd(x, full_matrices=True, compute_uv=True):
    x = to_float(x)
    if not compute_uv:
        return tf.linalg.svd(x, compute_uv=False)
    s, u, v = tf.linalg.svd(x, full_matrices=full_matrices)
    return u, s, tf.linalg.adjoint(v)


def pinv(x, rcond=None):
    x = to_float(x)
    return tf.linalg.pinv(x, rcond=rcond)


def lstsq(a, b, rcond=None):
    a, b = promote(to_float(a), to_float(b))
    vector = b.shape.rank == 1
    if vector:
        b = tf.expand_dims(b, -1)
    out = tf.matmul(pinv(a, rcond), b)
    return tf.squeeze(out, -1) if vector else out


def matrix_rank(x, tol=None):
    x = to_float(x)
    s = tf.linalg.svd(x, compute_uv=False)
    if tol is None:
        eps = float(np.finfo(x.dtype.as_numpy_dtype).eps)
        m, n = tf.shape(x)[-2], tf.shape(x)[-1]
        tol = tf.reduce_max(s, axis=-1, keepdims=True) * tf.cast(tf.maximum(m, n), x.dtype) * eps
    return tf.reduce_sum(tf.cast(s > tol, tf.int32), axis=-1)


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode derivative: ``(fun(*primals), J @ tangents[, aux])``.

    Uses ``tf.autodiff.ForwardAccumulator``.  ``fun`` returns ``(outputs, aux)``
    when ``has_aux``; ``tangents`` have the structure and shapes of ``primals``
    (see ``cornu.ops.toolkit.linalg_args.jvp_inputs``).
    """
    primals, flat, flat_tangents = _args.jvp_inputs(primals, tangents, to_tensor)
    flat_tangents = [to_tensor(t, p.dtype) for t, p in zip(flat_tangents, flat)]
    with tf.autodiff.ForwardAccumulator(flat, flat_tangents) as acc:
        if has_aux:
            outputs, aux = fun(*primals)
        else:
            outputs = fun(*primals)
        flat_out = tree.flatten(outputs)
        out_tangents = [acc.jvp(o, unconnected_gradients=tf.UnconnectedGradients.ZERO)
                        for o in flat_out]
    out_tangents = tree.pack_sequence_as(outputs, out_tangents)
    if has_aux:
        return outputs, out_tangents, aux
    return outputs, out_tangents
