"""``cornu.ops.linalg`` on PyTorch."""
import torch
import torch.autograd.forward_ad as _forward_ad

from cornu import tree
from cornu.backends.torch._utils import promote, to_float, to_tensor
from cornu.ops.toolkit import linalg_args as _args


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
    """Eigenvalues and right eigenvectors of a square matrix (complex, as in Keras)."""
    w, v = torch.linalg.eig(to_float(x))
    return w, v


def lu_factor(x):
    """``(lu, pivots)``: LU factors with partial pivoting, as ``scipy.linalg.lu_factor``.

    ``lu`` holds ``U`` and the unit-diagonal ``L`` below it; ``pivots[i]`` (int32,
    0-based) is the row swapped with row ``i``.
    """
    lu, pivots = torch.linalg.lu_factor(to_float(x))
    return lu, pivots - 1  # LAPACK's pivots are 1-based


def eigh(x):
    w, v = torch.linalg.eigh(to_float(x))
    return w, v


def qr(x, mode="reduced"):
    _args.check_qr_mode(mode)
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



def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode derivative: ``(fun(*primals), J @ tangents[, aux])``.

    Runs ``fun`` once on dual tensors (``torch.autograd.forward_ad``), which is what
    ``torch.func.jvp`` does, without loading functorch (seconds on first use).
    ``fun`` returns ``(outputs, aux)`` when ``has_aux``; ``tangents`` have the
    structure and shapes of ``primals`` (see ``cornu.ops.toolkit.linalg_args.jvp_inputs``).
    """
    primals, flat, flat_tangents = _args.jvp_inputs(primals, tangents, to_tensor)
    for p, t in zip(flat, flat_tangents):
        if tuple(to_tensor(t).shape) != tuple(p.shape):
            raise ValueError(
                f"jvp: a tangent has shape {tuple(to_tensor(t).shape)} where its primal has "
                f"shape {tuple(p.shape)}"
            )
    with _forward_ad.dual_level():
        duals = [_forward_ad.make_dual(p, to_tensor(t, p.dtype))
                 for p, t in zip(flat, flat_tangents)]
        result = fun(*tree.pack_sequence_as(primals, duals))
        outputs, aux = result if has_aux else (result, None)
        flat_out, out_tangents = [], []
        for o in tree.flatten(outputs):
            primal, tangent = _forward_ad.unpack_dual(o)
            flat_out.append(primal)
            out_tangents.append(torch.zeros_like(primal) if tangent is None else tangent)
        if has_aux:
            aux = tree.map_structure(
                lambda a: _forward_ad.unpack_dual(a).primal if isinstance(a, torch.Tensor)
                else a, aux)
    outputs = tree.pack_sequence_as(outputs, flat_out)
    out_tangents = tree.pack_sequence_as(outputs, out_tangents)
    if has_aux:
        return outputs, out_tangents, aux
    return outputs, out_tangents
