"""``cornu.ops.numpy`` on PyTorch: the numpy-like ops of ``keras.ops``."""
import builtins

import numpy as np
import torch

from cornu.backends.torch._utils import (
    canonical_axis,
    dtype_of,
    floatx,
    get_device,
    promote,
    result_type,
    to_float,
    to_tensor,
    to_torch_dtype,
)
from cornu.dtypes import is_float_dtype, kind
from cornu.ops import toolkit as _toolkit
from cornu.variables import Variable

# Bound once: the fast paths below skip the attribute lookups on ``torch``.
_Tensor = torch.Tensor
_add, _multiply, _matmul = torch.add, torch.multiply, torch.matmul

_tensor = to_tensor
_WIDE_FLOATS = (torch.float32, torch.float64)
_WEAK_REAL = (int, float)  # exact types: bool is kept out (it promotes differently)


def _float_compute(x):
    """Tensor ``x`` for a float op: ints/bools go to floatx (int64 too)."""
    return to_float(x)


def _shape_tuple(shape):
    if isinstance(shape, int):
        return (shape,)
    if isinstance(shape, torch.Tensor):
        return tuple(int(s) for s in shape.tolist())
    return tuple(int(s) for s in shape)


# -- arithmetic ---------------------------------------------------------------
def add(x1, x2):
    # Two plain tensors of one dtype (a model's common case): no promotion to work out.
    if type(x1) is _Tensor and type(x2) is _Tensor and x1.dtype == x2.dtype:
        return _add(x1, x2)
    x1, x2 = promote(x1, x2)
    return torch.add(x1, x2)


def subtract(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.dtype == torch.bool:
        return torch.logical_xor(x1, x2)
    return torch.subtract(x1, x2)


def multiply(x1, x2):
    if type(x1) is _Tensor:
        if type(x2) is _Tensor and x1.dtype == x2.dtype:
            return _multiply(x1, x2)
        if type(x2) in _WEAK_REAL and x1.dtype in _WIDE_FLOATS:
            return _multiply(x1, x2)  # a weak scalar keeps the float dtype (no tensor made)
    elif type(x2) is _Tensor and type(x1) in _WEAK_REAL and x2.dtype in _WIDE_FLOATS:
        return _multiply(x2, x1)
    x1, x2 = promote(x1, x2)
    return torch.multiply(x1, x2)


def divide(x1, x2):
    dtype = result_type(_raw(x1), _raw(x2), 1.0)
    x1, x2 = promote(x1, x2, dtype=dtype)
    return torch.true_divide(x1, x2)


def true_divide(x1, x2):
    return divide(x1, x2)


def divide_no_nan(x1, x2):
    dtype = result_type(_raw(x1), _raw(x2), 1.0)
    x1, x2 = promote(x1, x2, dtype=dtype)
    safe = torch.where(x2 == 0, torch.ones_like(x2), x2)
    return torch.where(x2 == 0, torch.zeros_like(x1 * x2), x1 / safe)


def floor_divide(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.dtype == torch.bool:
        x1, x2 = x1.to(torch.int32), x2.to(torch.int32)
    return torch.floor_divide(x1, x2)


def mod(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.dtype == torch.bool:
        x1, x2 = x1.to(torch.int32), x2.to(torch.int32)
    return torch.remainder(x1, x2)


def fmod(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.dtype == torch.bool:
        x1, x2 = x1.to(torch.int32), x2.to(torch.int32)
    return torch.fmod(x1, x2)


def power(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.pow(x1, x2)


def negative(x):
    return torch.negative(_tensor(x))


def abs(x):
    x = _tensor(x)
    if x.dtype == torch.bool:
        return x
    return torch.abs(x)


absolute = abs


def fabs(x):
    return torch.abs(_float_compute(x))


def square(x):
    x = _tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return torch.square(x)


def sqrt(x):
    return torch.sqrt(_float_compute(x))


def rsqrt(x):
    return torch.rsqrt(_float_compute(x))


def cbrt(x):
    x = _float_compute(x)
    return torch.sign(x) * torch.pow(torch.abs(x), 1.0 / 3.0)


def reciprocal(x):
    return torch.reciprocal(_float_compute(x))


def exp(x):
    return torch.exp(_float_compute(x))


def exp2(x):
    return torch.exp2(_float_compute(x))


def expm1(x):
    return torch.expm1(_float_compute(x))


def log(x):
    return torch.log(_float_compute(x))


def log1p(x):
    return torch.log1p(_float_compute(x))


def log2(x):
    return torch.log2(_float_compute(x))


def log10(x):
    return torch.log10(_float_compute(x))


def logaddexp(x1, x2):
    x1, x2 = promote(x1, x2, dtype=result_type(_raw(x1), _raw(x2), 1.0))
    return torch.logaddexp(x1, x2)


def logaddexp2(x1, x2):
    x1, x2 = promote(x1, x2, dtype=result_type(_raw(x1), _raw(x2), 1.0))
    return torch.logaddexp2(x1, x2)


def _make_float_unary(fn):
    def op(x):
        return fn(_float_compute(x))

    op.__name__ = fn.__name__
    return op


sin = _make_float_unary(torch.sin)
cos = _make_float_unary(torch.cos)
tan = _make_float_unary(torch.tan)
arcsin = _make_float_unary(torch.arcsin)
arccos = _make_float_unary(torch.arccos)
arctan = _make_float_unary(torch.arctan)
sinh = _make_float_unary(torch.sinh)
cosh = _make_float_unary(torch.cosh)
tanh = _make_float_unary(torch.tanh)
arcsinh = _make_float_unary(torch.arcsinh)
arccosh = _make_float_unary(torch.arccosh)
arctanh = _make_float_unary(torch.arctanh)
deg2rad = _make_float_unary(torch.deg2rad)
rad2deg = _make_float_unary(torch.rad2deg)
sinc = _make_float_unary(torch.sinc)
i0 = _make_float_unary(torch.special.i0)


def arctan2(x1, x2):
    x1, x2 = promote(x1, x2, dtype=result_type(_raw(x1), _raw(x2), 1.0))
    return torch.arctan2(x1, x2)


def hypot(x1, x2):
    x1, x2 = promote(x1, x2, dtype=result_type(_raw(x1), _raw(x2), 1.0))
    return torch.hypot(x1, x2)


def maximum(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.maximum(x1, x2)


def minimum(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.minimum(x1, x2)


def fmax(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.fmax(x1, x2)


def fmin(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.fmin(x1, x2)


def clip(x, x_min, x_max):
    x = _tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    if isinstance(x_min, (int, float)) and isinstance(x_max, (int, float)):
        if not x.is_floating_point() and (isinstance(x_min, float) or isinstance(x_max, float)):
            x = x.to(to_torch_dtype(floatx()))
        return torch.clamp(x, x_min, x_max)
    x, lo, hi = promote(x, x_min, x_max)
    return torch.clamp(x, lo, hi)


def sign(x):
    x = _tensor(x)
    if x.dtype == torch.bool:
        return x
    return torch.sign(x)


def signbit(x):
    x = _tensor(x)
    if x.dtype == torch.bool:
        return torch.zeros_like(x)
    return torch.signbit(x)


def _rounding(fn):
    def op(x):
        x = _tensor(x)
        if not x.is_floating_point():
            x = x.to(to_torch_dtype(floatx()))
        return fn(x)

    op.__name__ = fn.__name__
    return op


floor = _rounding(torch.floor)
ceil = _rounding(torch.ceil)


def trunc(x):
    x = _tensor(x)
    if not x.is_floating_point():
        return x
    return torch.trunc(x)


def round(x, decimals=0):
    x = _tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    if not x.is_floating_point():
        if decimals >= 0:
            return x
        f = 10 ** (-decimals)
        return (torch.round(x.double() / f) * f).to(x.dtype)
    if decimals == 0:
        return torch.round(x)
    return torch.round(x, decimals=decimals)


def heaviside(x1, x2):
    dtype = result_type(_raw(x1), _raw(x2))
    if kind(dtype) < 3:
        dtype = floatx()
    x1, x2 = promote(x1, x2, dtype=dtype)
    return torch.heaviside(x1, x2)


def nextafter(x1, x2):
    dtype = result_type(_raw(x1), _raw(x2), 1.0)
    x1, x2 = promote(x1, x2, dtype=dtype)
    return torch.nextafter(x1, x2)


def ldexp(x1, x2):
    x1 = _float_compute(x1)
    x2 = _tensor(x2)
    return torch.ldexp(x1, x2.to(x1.dtype) if x2.is_floating_point() else x2)


def gcd(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.gcd(x1, x2)


def lcm(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.lcm(x1, x2)


def conjugate(x):
    return torch.conj(_tensor(x))


conj = conjugate


def real(x):
    x = _tensor(x)
    return torch.real(x) if x.is_complex() else x


def imag(x):
    x = _tensor(x)
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


def angle(x):
    x = _tensor(x)
    if not x.is_complex():
        x = _float_compute(x)
    return torch.angle(x)


def _raw(x):
    """The object used for dtype inference (tensor, python scalar or numpy)."""
    if isinstance(x, (torch.Tensor, bool, int, float, np.ndarray, np.generic)):
        return x
    return _tensor(x)


# -- comparison and logic -----------------------------------------------------
def _compare(fn):
    def op(x1, x2):
        x1, x2 = promote(x1, x2)
        return fn(x1, x2)

    op.__name__ = fn.__name__
    return op


equal = _compare(torch.eq)
not_equal = _compare(torch.ne)
greater = _compare(torch.gt)
greater_equal = _compare(torch.ge)
less = _compare(torch.lt)
less_equal = _compare(torch.le)


def _bool(x):
    x = _tensor(x)
    return x if x.dtype == torch.bool else x != 0


def logical_and(x1, x2):
    return torch.logical_and(_bool(x1), _bool(x2))


def logical_or(x1, x2):
    return torch.logical_or(_bool(x1), _bool(x2))


def logical_xor(x1, x2):
    return torch.logical_xor(_bool(x1), _bool(x2))


def logical_not(x):
    return torch.logical_not(_bool(x))


def isnan(x):
    x = _tensor(x)
    if not (x.is_floating_point() or x.is_complex()):
        return torch.zeros(x.shape, dtype=torch.bool, device=x.device)
    return torch.isnan(x)


def isinf(x):
    x = _tensor(x)
    if not (x.is_floating_point() or x.is_complex()):
        return torch.zeros(x.shape, dtype=torch.bool, device=x.device)
    return torch.isinf(x)


def isneginf(x):
    x = _tensor(x)
    if not x.is_floating_point():
        return torch.zeros(x.shape, dtype=torch.bool, device=x.device)
    return torch.isneginf(x)


def isposinf(x):
    x = _tensor(x)
    if not x.is_floating_point():
        return torch.zeros(x.shape, dtype=torch.bool, device=x.device)
    return torch.isposinf(x)


def isfinite(x):
    x = _tensor(x)
    if not (x.is_floating_point() or x.is_complex()):
        return torch.ones(x.shape, dtype=torch.bool, device=x.device)
    return torch.isfinite(x)


def isreal(x):
    x = _tensor(x)
    if x.is_complex():
        return torch.imag(x) == 0
    return torch.ones(x.shape, dtype=torch.bool, device=x.device)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    x1, x2 = promote(x1, x2)
    return torch.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return torch.all(isclose(x1, x2, rtol, atol, equal_nan))


def isin(x1, x2, assume_unique=False, invert=False):
    x1, x2 = promote(x1, x2)
    return torch.isin(x1, x2, assume_unique=assume_unique, invert=invert)


def where(condition, x1=None, x2=None):
    condition = _bool(condition)
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where: `x1` and `x2` must both be given or both be None")
    x1, x2 = promote(x1, x2)
    return torch.where(condition, x1, x2)


def nonzero(x):
    return tuple(i.to(torch.int32) for i in torch.nonzero(_tensor(x), as_tuple=True))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    x = _tensor(x)
    if not x.is_floating_point():
        return x
    return torch.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


# -- bitwise ------------------------------------------------------------------
def bitwise_and(x, y):
    x, y = promote(x, y)
    return torch.bitwise_and(x, y)


def bitwise_or(x, y):
    x, y = promote(x, y)
    return torch.bitwise_or(x, y)


def bitwise_xor(x, y):
    x, y = promote(x, y)
    return torch.bitwise_xor(x, y)


def bitwise_invert(x):
    return torch.bitwise_not(_tensor(x))


bitwise_not = bitwise_invert


def bitwise_left_shift(x, y):
    x, y = promote(x, y)
    return torch.bitwise_left_shift(x, y)


left_shift = bitwise_left_shift


def bitwise_right_shift(x, y):
    x, y = promote(x, y)
    return torch.bitwise_right_shift(x, y)


right_shift = bitwise_right_shift


# -- linear algebra -------------------------------------------------------------
def _mm_args(x1, x2, int8_to_int32):
    """(x1, x2, result dtype): the Keras result dtype and inputs in a computable type."""
    x1, x2 = _tensor(x1), _tensor(x2)
    dtype = result_type(x1, x2)
    if int8_to_int32 and x1.dtype == torch.int8 and x2.dtype == torch.int8:
        dtype = "int32"
    out = to_torch_dtype(dtype)
    if out.is_floating_point or out.is_complex:
        compute = out
    elif x1.device.type != "cpu":
        compute = torch.float64  # no integer matmul kernels on accelerators
    elif out in (torch.bool, torch.int8, torch.uint8, torch.int16):
        compute = torch.int32
    else:
        compute = out
    return x1.to(compute), x2.to(compute), out


def _mm_out(y, dtype):
    if dtype == torch.bool:
        return y != 0
    return y if y.dtype == dtype else y.to(dtype)


def matmul(x1, x2):
    if type(x1) is _Tensor and type(x2) is _Tensor and x1.dtype == x2.dtype \
            and x1.is_floating_point():
        return _matmul(x1, x2)
    if isinstance(x2, Variable):  # a layer's kernel: the common case
        x2 = x2.value
    if (
        isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor)
        and x1.dtype == x2.dtype and x1.is_floating_point()
    ):
        return torch.matmul(x1, x2)
    x1, x2, dtype = _mm_args(x1, x2, int8_to_int32=True)
    return _mm_out(torch.matmul(x1, x2), dtype)


def dot(x1, x2):
    x1, x2, dtype = _mm_args(x1, x2, int8_to_int32=False)
    if x1.ndim == 0 or x2.ndim == 0:
        y = torch.multiply(x1, x2)
    elif x2.ndim == 1 or x1.ndim == 1:
        y = torch.matmul(x1, x2)
    else:
        y = torch.tensordot(x1, x2, dims=([-1], [-2]))
    return _mm_out(y, dtype)


def vdot(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.vdot(x1.reshape(-1), x2.reshape(-1))


def inner(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return torch.multiply(x1, x2)
    return torch.inner(x1, x2)


def outer(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.outer(x1.reshape(-1), x2.reshape(-1))


def tensordot(x1, x2, axes=2):
    x1, x2 = promote(x1, x2)
    if isinstance(axes, (list, tuple)):
        a, b = axes
        a = [a] if isinstance(a, int) else list(a)
        b = [b] if isinstance(b, int) else list(b)
        axes = (a, b)
    return torch.tensordot(x1, x2, dims=axes)


def einsum(subscripts, *operands, **kwargs):
    operands = promote(*operands)
    dtype = operands[0].dtype if operands else None
    if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
        # As Keras: bool and int8 operands give int32 (int8 products would overflow).
        widened = torch.int32 if dtype in (torch.bool, torch.int8) else dtype
        if dtype == torch.bool or operands[0].device.type != "cpu":
            out = torch.einsum(subscripts, *[o.double() for o in operands])
            return out.to(widened)
        if widened is not dtype:
            return torch.einsum(subscripts, *[o.to(widened) for o in operands])
    return torch.einsum(subscripts, *operands)


def kron(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.kron(x1, x2)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    x1, x2 = promote(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    x1 = torch.moveaxis(x1, axisa, -1)
    x2 = torch.moveaxis(x2, axisb, -1)
    both_2d = x1.shape[-1] == 2 and x2.shape[-1] == 2
    if x1.shape[-1] == 2:
        x1 = torch.nn.functional.pad(x1, (0, 1))
    if x2.shape[-1] == 2:
        x2 = torch.nn.functional.pad(x2, (0, 1))
    x1, x2 = torch.broadcast_tensors(x1, x2)
    out = torch.linalg.cross(x1, x2, dim=-1)
    if both_2d:
        return out[..., 2]
    return torch.moveaxis(out, -1, axisc)


def trace(x, offset=0, axis1=0, axis2=1):
    x = _tensor(x)
    dtype = dtype_of(x)
    if dtype == "bool" or dtype in ("int8", "int16", "uint8"):
        x = x.to(torch.int32)
    return torch.sum(torch.diagonal(x, offset=offset, dim1=axis1, dim2=axis2), dim=-1).to(
        x.dtype
    )


# -- shape manipulation ---------------------------------------------------------
def reshape(x, newshape):
    x = _tensor(x)
    if isinstance(newshape, int):
        newshape = (newshape,)
    return torch.reshape(x, tuple(int(s) for s in newshape))


def ravel(x):
    return torch.ravel(_tensor(x))


def transpose(x, axes=None):
    x = _tensor(x)
    if axes is None:
        return x.permute(*reversed(range(x.ndim)))
    return x.permute(*[int(a) for a in axes])


def matrix_transpose(x):
    return torch.transpose(_tensor(x), -1, -2)


def swapaxes(x, axis1, axis2):
    return torch.swapaxes(_tensor(x), axis1, axis2)


def moveaxis(x, source, destination):
    return torch.moveaxis(_tensor(x), source, destination)


def expand_dims(x, axis):
    x = _tensor(x)
    if isinstance(axis, int):
        return torch.unsqueeze(x, axis)
    out_ndim = x.ndim + len(axis)
    axes = sorted(a % out_ndim for a in axis)
    for a in axes:
        x = torch.unsqueeze(x, a)
    return x


def squeeze(x, axis=None):
    x = _tensor(x)
    if axis is None:
        return torch.squeeze(x)
    axes = canonical_axis(axis, x.ndim)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"squeeze: cannot squeeze axis {a} of size {x.shape[a]} (shape {tuple(x.shape)})"
            )
    return torch.squeeze(x, dim=axes)


def concatenate(xs, axis=0):
    xs = promote(*xs)
    if axis is None:
        return torch.cat([x.reshape(-1) for x in xs], dim=0)
    return torch.cat(xs, dim=axis)


def append(x1, x2, axis=None):
    x1, x2 = promote(x1, x2)
    if axis is None:
        return torch.cat([x1.reshape(-1), x2.reshape(-1)])
    return torch.cat([x1, x2], dim=axis)


def stack(x, axis=0):
    return torch.stack(promote(*x), dim=axis)


def hstack(xs):
    return torch.hstack(promote(*xs))


def vstack(xs):
    return torch.vstack(promote(*xs))


def dstack(xs):
    return torch.dstack(promote(*xs))


def split(x, indices_or_sections, axis=0):
    x = _tensor(x)
    dim = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if dim % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of size {dim} does not divide into "
                f"{indices_or_sections} equal sections"
            )
        return list(torch.split(x, dim // indices_or_sections, dim=axis))
    idx = [int(i) for i in indices_or_sections]
    sizes = []
    prev = 0
    for i in idx + [dim]:
        i = builtins.min(builtins.max(i if i >= 0 else i + dim, prev), dim)
        sizes.append(i - prev)
        prev = i
    return list(torch.split(x, sizes, dim=axis))


def array_split(x, indices_or_sections, axis=0):
    x = _tensor(x)
    if isinstance(indices_or_sections, int):
        return list(torch.tensor_split(x, indices_or_sections, dim=axis))
    return split(x, indices_or_sections, axis)


def hsplit(x, indices_or_sections):
    x = _tensor(x)
    return split(x, indices_or_sections, axis=1 if x.ndim > 1 else 0)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=2)


def tile(x, repeats):
    x = _tensor(x)
    if isinstance(repeats, int):
        repeats = (repeats,)
    return torch.tile(x, tuple(int(r) for r in repeats))


def repeat(x, repeats, axis=None):
    x = _tensor(x)
    if not isinstance(repeats, int):
        repeats = _tensor(repeats)
        if repeats.ndim == 0:
            repeats = int(repeats)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    return torch.repeat_interleave(x, repeats, dim=axis)


def broadcast_to(x, shape):
    return torch.broadcast_to(_tensor(x), _shape_tuple(shape))


def flip(x, axis=None):
    x = _tensor(x)
    return torch.flip(x, dims=canonical_axis(axis, x.ndim))


def fliplr(x):
    return flip(x, axis=1)


def flipud(x):
    return flip(x, axis=0)


def rot90(array, k=1, axes=(0, 1)):
    return torch.rot90(_tensor(array), k=k, dims=axes)


def roll(x, shift, axis=None):
    x = _tensor(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift, 0).reshape(x.shape)
    return torch.roll(x, shift, axis)


def _pad_indices(n, before, after, mode, device):
    """Source indices for a 1-D axis of size n padded by (before, after)."""
    idx = torch.arange(-before, n + after, device=device)
    if mode == "edge":
        return idx.clamp(0, n - 1)
    if mode == "wrap":
        return torch.remainder(idx, n)
    if mode == "reflect":
        if n == 1:
            return torch.zeros_like(idx)
        period = 2 * (n - 1)
        idx = torch.remainder(idx, period)
        return torch.where(idx >= n, period - idx, idx)
    if mode == "symmetric":
        period = 2 * n
        idx = torch.remainder(idx, period)
        return torch.where(idx >= n, period - 1 - idx, idx)
    raise ValueError(f"pad: unsupported mode {mode!r}")


def _standardize_pad_width(pad_width, ndim):
    pw = np.asarray(pad_width, dtype=np.int64)
    return np.broadcast_to(pw, (ndim, 2)).tolist()


def pad(x, pad_width, mode="constant", constant_values=None):
    x = _tensor(x)
    widths = _standardize_pad_width(pad_width, x.ndim)
    if mode == "constant":
        flat = []
        for before, after in reversed(widths):
            flat += [before, after]
        value = 0 if constant_values is None else constant_values
        if x.dtype == torch.bool:
            return torch.nn.functional.pad(x.to(torch.uint8), flat, value=float(value)).bool()
        return torch.nn.functional.pad(x, flat, mode="constant", value=value)
    if constant_values is not None:
        raise ValueError("pad: `constant_values` can only be given with mode='constant'")
    if mode in _toolkit.STATISTIC_PAD_MODES:
        return _toolkit.pad_by_statistic(x, widths, mode)
    for axis, (before, after) in enumerate(widths):
        if before or after:
            idx = _pad_indices(x.shape[axis], before, after, mode, x.device)
            x = torch.index_select(x, axis, idx)
    return x


def take(x, indices, axis=None):
    x = _tensor(x)
    indices = _tensor(indices)
    if indices.is_floating_point():
        indices = indices.long()
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    n = x.shape[axis]
    indices = torch.where(indices < 0, indices + n, indices).long()
    flat = torch.index_select(x, axis, indices.reshape(-1))
    axis = axis % x.ndim
    return flat.reshape(tuple(x.shape[:axis]) + tuple(indices.shape) + tuple(x.shape[axis + 1:]))


def take_along_axis(x, indices, axis=None):
    x = _tensor(x)
    indices = _tensor(indices).long()
    if axis is None:
        x = x.reshape(-1)
        indices = indices.reshape(-1)
        axis = 0
    axis = axis % x.ndim
    n = x.shape[axis]
    indices = torch.where(indices < 0, indices + n, indices)
    # Broadcast every dimension but `axis`.
    xs = list(x.shape)
    is_ = list(indices.shape)
    if len(is_) != len(xs):
        raise ValueError(
            f"take_along_axis: x (ndim {x.ndim}) and indices (ndim {indices.ndim}) "
            "must have the same number of dimensions"
        )
    bshape = [builtins.max(a, b) for a, b in zip(xs, is_)]
    x = x.expand(*[xs[i] if i == axis else bshape[i] for i in range(len(xs))])
    indices = indices.expand(*[is_[i] if i == axis else bshape[i] for i in range(len(is_))])
    return torch.gather(x, axis, indices)


def diag(x, k=0):
    return torch.diag(_tensor(x), diagonal=k)


def diagflat(x, k=0):
    return torch.diagflat(_tensor(x), offset=k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    return torch.diagonal(_tensor(x), offset=offset, dim1=axis1, dim2=axis2)


def tril(x, k=0):
    return torch.tril(_tensor(x), diagonal=k)


def triu(x, k=0):
    return torch.triu(_tensor(x), diagonal=k)


def tri(N, M=None, k=0, dtype=None):
    dtype = to_torch_dtype(dtype or floatx())
    M = N if M is None else M
    return torch.tril(torch.ones((N, M), dtype=dtype, device=get_device()), diagonal=k)


def diff(a, n=1, axis=-1):
    a = _tensor(a)
    if n == 0:
        return a
    return torch.diff(a, n=n, dim=axis)


def meshgrid(*x, indexing="xy"):
    xs = promote(*x)
    return list(torch.meshgrid(*xs, indexing=indexing))


def vander(x, N=None, increasing=False):
    return torch.vander(_tensor(x), N=N, increasing=increasing)


# -- creation -------------------------------------------------------------------
def _creation_dtype(dtype, default=None):
    return to_torch_dtype(dtype if dtype is not None else (default or floatx()))


def zeros(shape, dtype=None):
    return torch.zeros(_shape_tuple(shape), dtype=_creation_dtype(dtype), device=get_device())


def ones(shape, dtype=None):
    return torch.ones(_shape_tuple(shape), dtype=_creation_dtype(dtype), device=get_device())


def empty(shape, dtype=None):
    return torch.empty(_shape_tuple(shape), dtype=_creation_dtype(dtype), device=get_device())


def full(shape, fill_value, dtype=None):
    if dtype is None:
        dtype = result_type(_raw(fill_value))
    value = _tensor(fill_value, dtype)
    return torch.broadcast_to(value, _shape_tuple(shape)).clone()


def zeros_like(x, dtype=None):
    x = _tensor(x)
    return torch.zeros_like(x, dtype=to_torch_dtype(dtype) if dtype else None)


def ones_like(x, dtype=None):
    x = _tensor(x)
    return torch.ones_like(x, dtype=to_torch_dtype(dtype) if dtype else None)


def empty_like(x, dtype=None):
    x = _tensor(x)
    return torch.empty_like(x, dtype=to_torch_dtype(dtype) if dtype else None)


def full_like(x, fill_value, dtype=None):
    x = _tensor(x)
    dtype = dtype or dtype_of(x)
    value = _tensor(fill_value, dtype)
    return torch.broadcast_to(value, x.shape).clone()


def array(x, dtype=None):
    return _tensor(x, dtype)


def copy(x):
    return _tensor(x).clone()


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def eye(N, M=None, k=0, dtype=None):
    dtype = _creation_dtype(dtype)
    M = N if M is None else M
    if k == 0:
        return torch.eye(N, M, dtype=dtype, device=get_device())
    rows = torch.arange(N, device=get_device()).unsqueeze(1)
    cols = torch.arange(M, device=get_device()).unsqueeze(0)
    return (cols - rows == k).to(dtype)


def arange(start, stop=None, step=None, dtype=None):
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if dtype is None:
        vals = [_raw(v) for v in (start, stop, step)]
        dtype = result_type(*vals)
    return torch.arange(start, stop, step, dtype=to_torch_dtype(dtype), device=get_device())


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if dtype is None:
        dtype = result_type(_raw(start), _raw(stop), 1.0)
    compute = torch.float64 if dtype == "float64" else torch.float32
    start = _tensor(start).to(compute)
    stop = _tensor(stop).to(compute)
    div = (num - 1) if endpoint else num
    steps = torch.arange(num, dtype=compute, device=get_device())
    bshape = torch.broadcast_shapes(start.shape, stop.shape)
    steps = steps.reshape((-1,) + (1,) * len(bshape))
    delta = (stop - start) / builtins.max(div, 1) if div > 0 else torch.full_like(stop - start, float("nan"))
    out = start + steps * delta
    if endpoint and num > 1:
        out[-1] = stop
    out = torch.moveaxis(out, 0, axis) if axis != 0 else out
    tdt = to_torch_dtype(dtype)
    if not tdt.is_floating_point:
        out = torch.floor(out)
    out = out.to(tdt)
    if retstep:
        return out, delta.to(tdt)
    return out


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    y = linspace(start, stop, num, endpoint=endpoint, dtype="float32" if dtype != "float64" else "float64", axis=axis)
    out = torch.pow(torch.as_tensor(base, dtype=y.dtype, device=y.device), y)
    return out.to(to_torch_dtype(dtype)) if dtype else out.to(to_torch_dtype(result_type(_raw(start), _raw(stop), 1.0)))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    start_t = _float_compute(start)
    stop_t = _float_compute(stop)
    out = torch.exp(
        linspace(torch.log(start_t), torch.log(stop_t), num, endpoint=endpoint, axis=0)
    )
    if num > 0:
        out[0] = start_t
        if endpoint and num > 1:
            out[-1] = stop_t
    out = torch.moveaxis(out, 0, axis) if axis != 0 else out
    return out.to(to_torch_dtype(dtype)) if dtype else out


# -- reductions -------------------------------------------------------------------
def _reduce_dims(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    if isinstance(axis, int):
        return (axis,)
    return tuple(int(a) for a in axis)


def _sum_dtype(x):
    d = dtype_of(x)
    if d in ("bool", "uint8", "int8", "int16"):
        return torch.int32
    return x.dtype


def _bool_to_int(x):
    return torch.int32 if x.dtype == torch.bool else x.dtype


def sum(x, axis=None, keepdims=False):
    x = _tensor(x)
    dims = _reduce_dims(x, axis)
    if not dims:
        return x.to(_sum_dtype(x))
    return torch.sum(x, dim=dims, keepdim=keepdims, dtype=_sum_dtype(x))


def prod(x, axis=None, keepdims=False, dtype=None):
    x = _tensor(x)
    out_dtype = to_torch_dtype(dtype) if dtype is not None else _sum_dtype(x)
    x = x.to(out_dtype)
    dims = _reduce_dims(x, axis)
    for d in sorted((a % x.ndim for a in dims), reverse=True):
        x = torch.prod(x, dim=d, keepdim=keepdims)
    return x.to(out_dtype)


def _mean_compute(x):
    d = dtype_of(x)
    if d in ("float16", "bfloat16"):
        return x.float(), x.dtype
    if not is_float_dtype(d) and not x.is_complex():
        return x.to(to_torch_dtype(floatx())), to_torch_dtype(floatx())
    return x, x.dtype


def mean(x, axis=None, keepdims=False):
    if axis is None and not keepdims and type(x) is torch.Tensor and x.dtype in _WIDE_FLOATS:
        return torch.mean(x)  # the common case of a loss: no dtype bookkeeping needed
    x = _tensor(x)
    x, out_dtype = _mean_compute(x)
    dims = _reduce_dims(x, axis)
    if not dims:
        return x.to(out_dtype)
    return torch.mean(x, dim=dims, keepdim=keepdims).to(out_dtype)


def var(x, axis=None, keepdims=False):
    x = _tensor(x)
    x, out_dtype = _mean_compute(x)
    dims = _reduce_dims(x, axis)
    if not dims:
        return torch.zeros_like(x).to(out_dtype)
    return torch.var(x, dim=dims, correction=0, keepdim=keepdims).to(out_dtype)


def std(x, axis=None, keepdims=False):
    return torch.sqrt(var(x, axis=axis, keepdims=keepdims))


def _minmax(fn, bool_fn, x, axis, keepdims, initial, combine):
    x = _tensor(x)
    dims = _reduce_dims(x, axis)
    if x.dtype == torch.bool:
        out = bool_fn(x, dims, keepdims)
    elif not dims:
        out = x
    else:
        out = fn(x, dim=dims, keepdim=keepdims)
    if initial is not None:
        out = combine(out, torch.as_tensor(initial, dtype=out.dtype, device=out.device))
    return out


def _bool_all(x, dims, keepdims):
    return torch.all(x, dim=dims, keepdim=keepdims) if dims else x


def _bool_any(x, dims, keepdims):
    return torch.any(x, dim=dims, keepdim=keepdims) if dims else x


def max(x, axis=None, keepdims=False, initial=None):
    return _minmax(torch.amax, _bool_any, x, axis, keepdims, initial, torch.maximum)


def min(x, axis=None, keepdims=False, initial=None):
    return _minmax(torch.amin, _bool_all, x, axis, keepdims, initial, torch.minimum)


amax = max
amin = min


def ptp(x, axis=None, keepdims=False):
    return subtract(max(x, axis, keepdims), min(x, axis, keepdims))


def any(x, axis=None, keepdims=False):
    x = _bool(x)
    dims = _reduce_dims(x, axis)
    return torch.any(x, dim=dims, keepdim=keepdims) if dims else x


def all(x, axis=None, keepdims=False):
    x = _bool(x)
    dims = _reduce_dims(x, axis)
    return torch.all(x, dim=dims, keepdim=keepdims) if dims else x


def _arg_reduce(fn, x, axis, keepdims):
    x = _tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if axis is None:
        out = fn(x.reshape(-1), dim=0)
        if keepdims:
            out = out.reshape((1,) * x.ndim)
        return out.to(torch.int32)
    return fn(x, dim=axis, keepdim=keepdims).to(torch.int32)


def argmax(x, axis=None, keepdims=False):
    return _arg_reduce(torch.argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _arg_reduce(torch.argmin, x, axis, keepdims)


def count_nonzero(x, axis=None):
    x = _tensor(x)
    dims = _reduce_dims(x, axis)
    return torch.sum(x != 0, dim=dims, dtype=torch.int32) if dims else (x != 0).to(torch.int32)


def average(x, axis=None, weights=None):
    x = _tensor(x)
    if weights is None:
        return mean(x, axis=axis)
    weights = _tensor(weights)
    dtype = result_type(x, weights, 1.0)
    x, weights = promote(x, weights, dtype=dtype)
    if weights.ndim == 1 and x.ndim > 1 and axis is not None:
        shape = [1] * x.ndim
        shape[axis] = -1
        weights = weights.reshape(shape)
    dims = _reduce_dims(x, axis)
    return torch.sum(x * weights, dim=dims) / torch.sum(
        torch.broadcast_to(weights, x.shape), dim=dims
    )


def cumsum(x, axis=None, dtype=None):
    x = _tensor(x)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    out_dtype = to_torch_dtype(dtype) if dtype is not None else _bool_to_int(x)
    return torch.cumsum(x, dim=axis, dtype=out_dtype)


def cumprod(x, axis=None, dtype=None):
    x = _tensor(x)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    out_dtype = to_torch_dtype(dtype) if dtype is not None else _bool_to_int(x)
    return torch.cumprod(x, dim=axis, dtype=out_dtype)


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    x = _tensor(x)
    x, out_dtype = _mean_compute(x)
    q = _tensor(q, x.dtype)
    dims = _reduce_dims(x, axis)
    ndim = x.ndim
    dims = tuple(sorted(d % ndim for d in dims)) if ndim else ()
    keep = [d for d in range(ndim) if d not in dims]
    y = x.permute(*keep, *dims).reshape(*[x.shape[d] for d in keep], -1)
    out = torch.quantile(y, q, dim=-1, interpolation=method)
    if keepdims:
        shape = [1 if d in dims else x.shape[d] for d in range(ndim)]
        out = out.reshape(tuple(q.shape) + tuple(shape))
    return out.to(out_dtype)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    return quantile(x, divide(q, 100.0), axis=axis, method=method, keepdims=keepdims)


def _nan_fill(x, value):
    x = _tensor(x)
    if not x.is_floating_point():
        return x
    return torch.where(torch.isnan(x), torch.as_tensor(value, dtype=x.dtype, device=x.device), x)


def nansum(x, axis=None, keepdims=False):
    return sum(_nan_fill(x, 0), axis, keepdims)


def nanprod(x, axis=None, keepdims=False):
    return prod(_nan_fill(x, 1), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    x = _tensor(x)
    if not x.is_floating_point():
        return mean(x, axis, keepdims)
    valid = ~torch.isnan(x)
    return divide(nansum(x, axis, keepdims), sum(valid, axis, keepdims))


def nanvar(x, axis=None, keepdims=False):
    x = _tensor(x)
    if not x.is_floating_point():
        return var(x, axis, keepdims)
    m = nanmean(x, axis, keepdims=True)
    valid = ~torch.isnan(x)
    sq = torch.where(valid, torch.square(x - m), torch.zeros_like(x))
    return divide(sum(sq, axis, keepdims), sum(valid, axis, keepdims))


def nanstd(x, axis=None, keepdims=False):
    return sqrt(nanvar(x, axis, keepdims))


def nanmax(x, axis=None, keepdims=False):
    x = _tensor(x)
    if not x.is_floating_point():
        return max(x, axis, keepdims)
    out = max(_nan_fill(x, -float("inf")), axis, keepdims)
    allnan = all(torch.isnan(x), axis, keepdims)
    return torch.where(allnan, torch.full_like(out, float("nan")), out)


def nanmin(x, axis=None, keepdims=False):
    x = _tensor(x)
    if not x.is_floating_point():
        return min(x, axis, keepdims)
    out = min(_nan_fill(x, float("inf")), axis, keepdims)
    allnan = all(torch.isnan(x), axis, keepdims)
    return torch.where(allnan, torch.full_like(out, float("nan")), out)


def nanargmax(x, axis=None, keepdims=False):
    return argmax(_nan_fill(x, -float("inf")), axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    return argmin(_nan_fill(x, float("inf")), axis, keepdims)


def nancumsum(x, axis=None, dtype=None):
    return cumsum(_nan_fill(x, 0), axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    return cumprod(_nan_fill(x, 1), axis, dtype)


def nanmedian(x, axis=None, keepdims=False):
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    x = _tensor(x)
    x, out_dtype = _mean_compute(x)
    q = _tensor(q, x.dtype)
    dims = tuple(sorted(d % x.ndim for d in _reduce_dims(x, axis))) if x.ndim else ()
    keep = [d for d in range(x.ndim) if d not in dims]
    y = x.permute(*keep, *dims).reshape(*[x.shape[d] for d in keep], -1)
    out = torch.nanquantile(y, q, dim=-1, interpolation=method)
    if keepdims:
        shape = [1 if d in dims else x.shape[d] for d in range(x.ndim)]
        out = out.reshape(tuple(q.shape) + tuple(shape))
    return out.to(out_dtype)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return nanquantile(x, divide(q, 100.0), axis=axis, method=method, keepdims=keepdims)


# -- sorting and searching -----------------------------------------------------------
def sort(x, axis=-1):
    x = _tensor(x)
    if x.dtype == torch.bool:
        return torch.sort(x.to(torch.uint8), dim=axis).values.bool()
    return torch.sort(x, dim=axis).values


def argsort(x, axis=-1):
    x = _tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


def argpartition(x, kth, axis=-1):
    return argsort(x, axis)


def searchsorted(sorted_sequence, values, side="left"):
    a, v = promote(sorted_sequence, values)
    return torch.searchsorted(a, v, side=side).to(torch.int32)


def digitize(x, bins):
    x, bins = promote(x, bins)
    return torch.bucketize(x, bins, right=True).to(torch.int32)


def bincount(x, weights=None, minlength=0, sparse=False):
    x = _tensor(x)
    if sparse:
        raise ValueError("bincount: sparse=True is not supported on the torch backend")
    if x.ndim == 2:
        length = builtins.max(int(x.max()) + 1 if x.numel() else 0, minlength)
        out = torch.zeros(
            (x.shape[0], length),
            dtype=_tensor(weights).dtype if weights is not None else torch.int32,
            device=x.device,
        )
        src = _tensor(weights).to(out.dtype) if weights is not None else torch.ones_like(x, dtype=out.dtype)
        return out.scatter_add_(1, x.long(), src)
    if weights is not None:
        weights = _tensor(weights)
        return torch.bincount(x, weights=weights, minlength=minlength).to(weights.dtype)
    return torch.bincount(x, minlength=minlength).to(torch.int32)


def unravel_index(indices, shape):
    indices = _tensor(indices)
    out = []
    for dim in reversed(_shape_tuple(shape)):
        out.append(torch.remainder(indices, dim))
        indices = torch.div(indices, dim, rounding_mode="floor")
    return tuple(reversed(out))


def select(condlist, choicelist, default=0):
    choices = promote(*choicelist, default)
    out = choices[-1]
    out = torch.broadcast_to(out, torch.broadcast_shapes(*[c.shape for c in choices], *[_tensor(c).shape for c in condlist]))
    for cond, choice in zip(reversed(list(condlist)), reversed(choices[:-1])):
        out = torch.where(_bool(cond), choice, out)
    return out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = _float_compute(y)
    if x is None:
        return torch.trapezoid(y, dx=dx, dim=axis)
    return torch.trapezoid(y, _float_compute(x), dim=axis)


def correlate(x1, x2, mode="valid"):
    x1, x2 = promote(x1, x2, dtype=result_type(_raw(x1), _raw(x2), 1.0))
    n1, n2 = x1.shape[0], x2.shape[0]
    if mode == "valid":
        padding = 0
    elif mode == "same":
        padding = None
    elif mode == "full":
        padding = n2 - 1
    else:
        raise ValueError(f"correlate: unknown mode {mode!r}")
    inp = x1.reshape(1, 1, -1)
    ker = x2.reshape(1, 1, -1)
    if padding is None:
        total = n2 - 1
        inp = torch.nn.functional.pad(inp, (total // 2, total - total // 2))
        padding = 0
    if n2 > n1 and mode == "valid":
        return correlate(x2, x1, mode).flip(0)
    return torch.nn.functional.conv1d(inp, ker, padding=padding).reshape(-1)


def corrcoef(x):
    return torch.corrcoef(_float_compute(x))


def histogram(x, bins=10, range=None):
    x = _float_compute(x)
    if range is None:
        lo, hi = float(x.min()), float(x.max())
    else:
        lo, hi = range
    counts = torch.histc(x, bins=bins, min=lo, max=hi)
    edges = torch.linspace(lo, hi, bins + 1, dtype=x.dtype, device=x.device)
    return counts.to(torch.int32), edges


# -- misc -------------------------------------------------------------------------
def ndim(x):
    return _tensor(x).ndim


def size(x):
    return _tensor(x).numel()


def view(x, dtype=None):
    x = _tensor(x)
    if dtype is None:
        return x
    return x.view(to_torch_dtype(dtype))


def slogdet(x):
    sign_, logabs = torch.linalg.slogdet(_float_compute(x))
    return sign_, logabs


def kaiser(x, beta):
    return torch.kaiser_window(int(x), periodic=False, beta=beta, device=get_device())


def bartlett(x):
    return torch.bartlett_window(int(x), periodic=False, device=get_device())


def blackman(x):
    return torch.blackman_window(int(x), periodic=False, device=get_device())


def hamming(x):
    return torch.hamming_window(int(x), periodic=False, device=get_device())


def hanning(x):
    return torch.hann_window(int(x), periodic=False, device=get_device())


def get_item(x, key):
    return _tensor(x)[key]


def _fit_size(t, size, fill):
    """Pad (with ``fill``) or truncate the leading axis of ``t`` to ``size``."""
    n = t.shape[0]
    if n >= size:
        return t[:size]
    pad_shape = (size - n,) + tuple(t.shape[1:])
    return torch.cat([t, torch.full(pad_shape, fill, dtype=t.dtype, device=t.device)])


def unique(
    x,
    sorted=True,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """Sorted unique values (``sorted=False`` also returns them sorted)."""
    x = _tensor(x)
    if axis is None:
        flat = x.reshape(-1)
        values, inverse, counts = torch.unique(
            flat, sorted=True, return_inverse=True, return_counts=True
        )
        dim_size = flat.shape[0]
        inv_shape = tuple(x.shape)
        dim = 0
    else:
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"unique: axis {axis} is out of bounds for an array of rank "
                             f"{x.ndim}")
        dim = axis % x.ndim
        values, inverse, counts = torch.unique(
            x, sorted=True, return_inverse=True, return_counts=True, dim=dim
        )
        dim_size = x.shape[dim]
        inv_shape = (dim_size,)
    outputs = [values]
    if return_index:
        positions = torch.arange(dim_size, device=x.device)
        index = torch.full((counts.shape[0],), dim_size, dtype=torch.long, device=x.device)
        index = index.scatter_reduce(0, inverse.reshape(-1), positions, reduce="amin")
        outputs.append(index.to(torch.int32))
    if return_inverse:
        outputs.append(inverse.reshape(inv_shape).to(torch.int32))
    if return_counts:
        outputs.append(counts.to(torch.int32))
    if size is not None:
        fill = 0 if fill_value is None else fill_value
        if dim:
            values = torch.moveaxis(_fit_size(torch.moveaxis(values, dim, 0), size, fill), 0, dim)
        else:
            values = _fit_size(values, size, fill)
        outputs[0] = values
        k = 1
        if return_index:
            outputs[k] = _fit_size(outputs[k], size, 0)
            k += 1
        if return_inverse:
            k += 1
        if return_counts:
            outputs[k] = _fit_size(outputs[k], size, 0)
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


from cornu.ops.toolkit import vectorize  # noqa: E402,F401  (numpy.vectorize on tensors)
