"""``cornu.ops.linalg`` on PyTorch."""
import torch

from cornu.backends.torch._utils import promote, to_float


def norm(x, ord=None, axis=None, keepdims=False):
    x = to_float(x)
    if isinstance(axis, int):
        axis = (axis,)
    elif axis is not None:
        axis = tuple(int(a) for a in axis)
    if axis is None:
        if ord is None:
            out = torch.linalg.vector_norm(x, 2, dim=None, keepdim=keepdims)
            return out
        axis = tuple(range(x.ndim))
    if len(axis) == 1:
        if isinstance(ord, str):
            raise ValueError(f"norm: invalid ord {ord!r} for a vector norm")
        p = 2 if ord is None else ord
        return torch.linalg.vector_norm(x, p, dim=axis, keepdim=keepdims)
    if len(axis) == 2:
        p = "fro" if ord is None else ord
        return torch.linalg.matrix_norm(x, p, dim=axis, keepdim=keepdims)
    raise ValueError(f"norm: `axis` must have 1 or 2 entries, received {axis}")


def inv(x):
    return torch.linalg.inv(to_float(x))


def det(x):
    return torch.linalg.det(to_float(x))


def slogdet(x):
    sign, logabs = torch.linalg.slogdet(to_float(x))
    return sign, logabs


def solve(a, b):
    a, b = promote(to_float(a), to_float(b))
    return torch.linalg.solve(a, b)


def solve_triangular(a, b, lower=False):
    a, b = promote(to_float(a), to_float(b))
    vector = b.ndim == a.ndim - 1
    if vector:
        b = b.unsqueeze(-1)
    out = torch.linalg.solve_triangular(a, b, upper=not lower)
    return out.squeeze(-1) if vector else out


def cholesky(x, upper=False):
    return torch.linalg.cholesky(to_float(x), upper=upper)


def cholesky_inverse(x, upper=False):
    return torch.cholesky_inverse(to_float(x), upper=upper)


def eig(x):
    w, v = torch.linalg.eig(to_float(x))
    return w, v


def eigh(x):
    w, v = torch.linalg.eigh(to_float(x))
    return w, v


def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', received {mode!r}")
    q, r = torch.linalg.qr(to_float(x), mode=mode)
    return q, r


def svd(x, full_matrices=True, compute_uv=True):
    x = to_float(x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    u, s, vh = torch.linalg.svd(x, full_matrices=full_matrices)
    return u, s, vh


def lstsq(a, b, rcond=None):
    a, b = promote(to_float(a), to_float(b))
    vector = b.ndim == 1
    if vector:
        b = b.unsqueeze(-1)
    out = torch.linalg.pinv(a, rtol=rcond) @ b if rcond is not None else torch.linalg.pinv(a) @ b
    return out.squeeze(-1) if vector else out


def pinv(x, rcond=None):
    x = to_float(x)
    if rcond is None:
        return torch.linalg.pinv(x)
    return torch.linalg.pinv(x, rtol=rcond)


def matrix_rank(x, tol=None):
    x = to_float(x)
    return torch.linalg.matrix_rank(x, atol=tol).to(torch.int32)


def logdet(x):
    return torch.logdet(to_float(x))

