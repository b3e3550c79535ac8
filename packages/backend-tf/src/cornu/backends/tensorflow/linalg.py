"""``cornu.ops.linalg`` on TensorFlow (numpy semantics)."""
import numpy as np
import tensorflow as tf

from cornu.backends.tensorflow._utils import promote, to_float


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
    return tuple(tf.linalg.eig(to_float(x)))


def eigh(x):
    return tuple(tf.linalg.eigh(to_float(x)))


def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', received {mode!r}")
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
