"""``cornu.ops.linalg`` on NumPy (``numpy.linalg``)."""
import numpy as np
from cornu.backends.numpy._utils import exported
from cornu.backends.numpy._utils import float_array as _f


def norm(x, ord=None, axis=None, keepdims=False):
    return np.linalg.norm(_f(x), ord=ord, axis=axis, keepdims=keepdims)


def inv(x):
    return np.linalg.inv(_f(x))


def det(x):
    return np.linalg.det(_f(x))


def slogdet(x):
    return tuple(np.linalg.slogdet(_f(x)))


def solve(a, b):
    return np.linalg.solve(_f(a), _f(b))


def cholesky(x, upper=False):
    lower = np.linalg.cholesky(_f(x))
    return np.swapaxes(lower, -1, -2).conj() if upper else lower


def eigh(x):
    return tuple(np.linalg.eigh(_f(x)))


def qr(x, mode="reduced"):
    return tuple(np.linalg.qr(_f(x), mode=mode))


def svd(x, full_matrices=True, compute_uv=True):
    out = np.linalg.svd(_f(x), full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


def pinv(x, rcond=None):
    return np.linalg.pinv(_f(x)) if rcond is None else np.linalg.pinv(_f(x), rcond=rcond)


exported(globals())
