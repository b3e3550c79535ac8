"""``cornu.ops.numpy`` on NumPy: the Keras 3 names and signatures, Keras dtype rules.

Python scalars are weak (NumPy 2's NEP 50 keeps ``float32 + 1.5`` in float32);
integer means and divisions give ``floatx()``; integer results of index ops are
int32, as in Keras.
"""
import builtins

import numpy as np
from cornu.backends.numpy._utils import array as _a
from cornu.backends.numpy._utils import exported, floatx, to_np_dtype
from cornu.backends.numpy._utils import float_array as _f


def _dtype(dtype, default=None):
    if dtype is None:
        return default
    return to_np_dtype(dtype)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


# -- elementwise ----------------------------------------------------------------------
def add(x1, x2):
    return np.add(_a(x1), _a(x2))


def subtract(x1, x2):
    return np.subtract(_a(x1), _a(x2))


def multiply(x1, x2):
    return np.multiply(_a(x1), _a(x2))


def divide(x1, x2):
    x1, x2 = _a(x1), _a(x2)
    if x1.dtype.kind not in "fc" and x2.dtype.kind not in "fc":
        x1 = x1.astype(floatx())
    return np.true_divide(x1, x2)


true_divide = divide


def divide_no_nan(x1, x2):
    x1, x2 = _a(x1), _a(x2)
    safe = np.where(x2 == 0, 1, x2)
    return np.where(x2 == 0, 0, divide(x1, safe)).astype(divide(x1, safe).dtype)


def floor_divide(x1, x2):
    return np.floor_divide(_a(x1), _a(x2))


def mod(x1, x2):
    return np.mod(_a(x1), _a(x2))


def power(x1, x2):
    return np.power(_a(x1), _a(x2))


def negative(x):
    return np.negative(_a(x))


def abs(x):
    return np.abs(_a(x))


absolute = abs


def square(x):
    return np.square(_a(x))


def sqrt(x):
    return np.sqrt(_f(x))


def rsqrt(x):
    return 1.0 / np.sqrt(_f(x))


def reciprocal(x):
    return 1.0 / _f(x)


def exp(x):
    return np.exp(_f(x))


def expm1(x):
    return np.expm1(_f(x))


def log(x):
    return np.log(_f(x))


def log1p(x):
    return np.log1p(_f(x))


def log2(x):
    return np.log2(_f(x))


def log10(x):
    return np.log10(_f(x))


def logaddexp(x1, x2):
    return np.logaddexp(_f(x1), _f(x2))


def sin(x):
    return np.sin(_f(x))


def cos(x):
    return np.cos(_f(x))


def tan(x):
    return np.tan(_f(x))


def tanh(x):
    return np.tanh(_f(x))


def arctan(x):
    return np.arctan(_f(x))


def arctan2(x1, x2):
    return np.arctan2(_f(x1), _f(x2))


def maximum(x1, x2):
    return np.maximum(_a(x1), _a(x2))


def minimum(x1, x2):
    return np.minimum(_a(x1), _a(x2))


def clip(x, x_min, x_max):
    return np.clip(_a(x), x_min, x_max)


def sign(x):
    return np.sign(_a(x))


def floor(x):
    return np.floor(_f(x))


def ceil(x):
    return np.ceil(_f(x))


def round(x, decimals=0):
    return np.round(_a(x), decimals)


def equal(x1, x2):
    return np.equal(_a(x1), _a(x2))


def not_equal(x1, x2):
    return np.not_equal(_a(x1), _a(x2))


def greater(x1, x2):
    return np.greater(_a(x1), _a(x2))


def greater_equal(x1, x2):
    return np.greater_equal(_a(x1), _a(x2))


def less(x1, x2):
    return np.less(_a(x1), _a(x2))


def less_equal(x1, x2):
    return np.less_equal(_a(x1), _a(x2))


def logical_and(x1, x2):
    return np.logical_and(_a(x1), _a(x2))


def logical_or(x1, x2):
    return np.logical_or(_a(x1), _a(x2))


def logical_xor(x1, x2):
    return np.logical_xor(_a(x1), _a(x2))


def logical_not(x):
    return np.logical_not(_a(x))


def isnan(x):
    return np.isnan(_a(x))


def isinf(x):
    return np.isinf(_a(x))


def isfinite(x):
    return np.isfinite(_a(x))


def where(condition, x1=None, x2=None):
    if x1 is None and x2 is None:
        return tuple(i.astype(np.int32) for i in np.nonzero(_a(condition)))
    return np.where(_a(condition), _a(x1), _a(x2))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(_a(x), nan=nan, posinf=posinf, neginf=neginf)


# -- linear algebra-ish ---------------------------------------------------------------
def matmul(x1, x2):
    return np.matmul(_a(x1), _a(x2))


def dot(x1, x2):
    return np.dot(_a(x1), _a(x2))


def tensordot(x1, x2, axes=2):
    return np.tensordot(_a(x1), _a(x2), axes=axes)


def einsum(subscripts, *operands, **kwargs):
    return np.einsum(subscripts, *[_a(o) for o in operands], optimize=True)


def outer(x1, x2):
    return np.outer(_a(x1), _a(x2))


def trace(x, offset=0, axis1=0, axis2=1):
    return np.trace(_a(x), offset=offset, axis1=axis1, axis2=axis2)


# -- shapes -----------------------------------------------------------------------------
def reshape(x, newshape):
    if isinstance(newshape, int):
        newshape = (newshape,)
    return np.reshape(_a(x), tuple(-1 if d is None else int(d) for d in newshape))


def ravel(x):
    return np.ravel(_a(x))


def transpose(x, axes=None):
    return np.transpose(_a(x), axes)


def swapaxes(x, axis1, axis2):
    return np.swapaxes(_a(x), axis1, axis2)


def moveaxis(x, source, destination):
    return np.moveaxis(_a(x), source, destination)


def expand_dims(x, axis):
    return np.expand_dims(_a(x), _axis(axis))


def squeeze(x, axis=None):
    return np.squeeze(_a(x), _axis(axis))


def concatenate(xs, axis=0):
    return np.concatenate([_a(x) for x in xs], axis=axis)


def stack(x, axis=0):
    return np.stack([_a(v) for v in x], axis=axis)


def split(x, indices_or_sections, axis=0):
    return np.split(_a(x), indices_or_sections, axis=axis)


def tile(x, repeats):
    return np.tile(_a(x), repeats)


def repeat(x, repeats, axis=None):
    return np.repeat(_a(x), repeats, axis=axis)


def broadcast_to(x, shape):
    return np.broadcast_to(_a(x), tuple(shape))


def flip(x, axis=None):
    return np.flip(_a(x), axis=_axis(axis))


def roll(x, shift, axis=None):
    return np.roll(_a(x), shift, axis=axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    x = _a(x)
    kwargs = {}
    if mode == "constant" and constant_values is not None:
        kwargs["constant_values"] = constant_values
    return np.pad(x, np.asarray(pad_width), mode=mode, **kwargs)


def take(x, indices, axis=None):
    x, indices = _a(x), _a(indices)
    if indices.dtype.kind not in "iu":
        indices = indices.astype(np.int64)
    return np.take(x, indices, axis=axis)


def take_along_axis(x, indices, axis=None):
    return np.take_along_axis(_a(x), _a(indices), axis=axis)


def tril(x, k=0):
    return np.tril(_a(x), k)


def triu(x, k=0):
    return np.triu(_a(x), k)


def diag(x, k=0):
    return np.diag(_a(x), k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    return np.diagonal(_a(x), offset, axis1, axis2).copy()


def get_item(x, key):
    return _a(x)[key]


def ndim(x):
    return np.ndim(_a(x))


def size(x):
    return np.size(_a(x))


# -- creation ---------------------------------------------------------------------------
def _shape(shape):
    return (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)


def zeros(shape, dtype=None):
    return np.zeros(_shape(shape), dtype=_dtype(dtype, floatx()))


def ones(shape, dtype=None):
    return np.ones(_shape(shape), dtype=_dtype(dtype, floatx()))


def empty(shape, dtype=None):
    return np.zeros(_shape(shape), dtype=_dtype(dtype, floatx()))


def full(shape, fill_value, dtype=None):
    fill = _a(fill_value)
    default = fill.dtype if fill.ndim or dtype is not None else (
        floatx() if fill.dtype.kind == "f" else fill.dtype)
    return np.full(_shape(shape), fill, dtype=_dtype(dtype, default))


def zeros_like(x, dtype=None):
    return np.zeros_like(_a(x), dtype=_dtype(dtype))


def ones_like(x, dtype=None):
    return np.ones_like(_a(x), dtype=_dtype(dtype))


def full_like(x, fill_value, dtype=None):
    return np.full_like(_a(x), _a(fill_value), dtype=_dtype(dtype))


def copy(x):
    return np.array(_a(x), copy=True)


def identity(n, dtype=None):
    return np.identity(n, dtype=_dtype(dtype, floatx()))


def eye(N, M=None, k=0, dtype=None):
    return np.eye(N, M, k, dtype=_dtype(dtype, floatx()))


def arange(start, stop=None, step=None, dtype=None):
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    values = (start, stop, step)
    is_float = builtins.any(isinstance(v, float) or getattr(v, "dtype", np.int32).kind == "f"
                            for v in values if not isinstance(v, int))
    default = floatx() if is_float else np.int32
    return np.arange(start, stop, step, dtype=_dtype(dtype, default))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    out = np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep,
                      dtype=_dtype(dtype, floatx()), axis=axis)
    return out


def tri(N, M=None, k=0, dtype=None):
    return np.tri(N, M, k, dtype=_dtype(dtype, floatx()))


# -- reductions -------------------------------------------------------------------------
def _int_sum_dtype(x):
    return np.int32 if x.dtype.kind == "b" or (x.dtype.kind in "iu" and x.itemsize < 4) \
        else None


def sum(x, axis=None, keepdims=False):
    x = _a(x)
    return np.sum(x, axis=_axis(axis), keepdims=keepdims, dtype=_int_sum_dtype(x))


def prod(x, axis=None, keepdims=False, dtype=None):
    x = _a(x)
    return np.prod(x, axis=_axis(axis), keepdims=keepdims,
                   dtype=_dtype(dtype, _int_sum_dtype(x)))


def mean(x, axis=None, keepdims=False):
    return np.mean(_f(x), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return np.var(_f(x), axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return np.std(_f(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False, initial=None):
    kwargs = {} if initial is None else {"initial": initial}
    return np.max(_a(x), axis=_axis(axis), keepdims=keepdims, **kwargs)


def min(x, axis=None, keepdims=False, initial=None):
    kwargs = {} if initial is None else {"initial": initial}
    return np.min(_a(x), axis=_axis(axis), keepdims=keepdims, **kwargs)


amax = max
amin = min


def any(x, axis=None, keepdims=False):
    return np.any(_a(x), axis=_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return np.all(_a(x), axis=_axis(axis), keepdims=keepdims)


def argmax(x, axis=None, keepdims=False):
    return np.argmax(_a(x), axis=axis, keepdims=keepdims).astype(np.int32)


def argmin(x, axis=None, keepdims=False):
    return np.argmin(_a(x), axis=axis, keepdims=keepdims).astype(np.int32)


def argsort(x, axis=-1):
    return np.argsort(_a(x), axis=axis, kind="stable").astype(np.int32)


def sort(x, axis=-1):
    return np.sort(_a(x), axis=axis)


def cumsum(x, axis=None, dtype=None):
    x = _a(x)
    return np.cumsum(x, axis=axis, dtype=_dtype(dtype, _int_sum_dtype(x)))


def cumprod(x, axis=None, dtype=None):
    x = _a(x)
    return np.cumprod(x, axis=axis, dtype=_dtype(dtype, _int_sum_dtype(x)))


def count_nonzero(x, axis=None):
    return np.asarray(np.count_nonzero(_a(x), axis=_axis(axis)), dtype=np.int32)


def average(x, axis=None, weights=None):
    return np.average(_f(x), axis=axis, weights=None if weights is None else _a(weights))


def median(x, axis=None, keepdims=False):
    return np.median(_f(x), axis=_axis(axis), keepdims=keepdims)


def unique(x, sorted=True, return_inverse=False, return_counts=False, axis=None, size=None,
           fill_value=None):
    return np.unique(_a(x), return_inverse=return_inverse, return_counts=return_counts,
                     axis=axis)


exported(globals())
