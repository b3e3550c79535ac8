"""``cornu.ops.numpy`` on TensorFlow: the numpy-like ops of ``keras.ops``.

Every op works eagerly and inside ``tf.function`` (unknown batch sizes are
read with ``tf.shape``).
"""
import builtins
import math as _pymath

import numpy as np
import tensorflow as tf

from cornu.backends.tensorflow._utils import (
    _raw,
    canonical_axis,
    dtype_of,
    dynamic_shape,
    floatx,
    index_tensor,
    promote,
    result_type,
    shape_tensor_or_tuple,
    to_float,
    to_tensor,
    to_tf_dtype,
)
from cornu.dtypes import kind
from cornu.ops import toolkit as _toolkit

_tensor = to_tensor


def _float_compute(x):
    return to_float(x)


def _ndim(x):
    return x.shape.rank


def _shape_arg(shape):
    if isinstance(shape, int):
        return (shape,)
    if tf.is_tensor(shape):
        return shape
    return shape_tensor_or_tuple(list(shape))


def _to_bool(x):
    x = _tensor(x)
    return x if x.dtype == tf.bool else tf.not_equal(x, tf.zeros_like(x))


def _float_result_args(x1, x2):
    dtype = result_type(_raw(x1), _raw(x2), 1.0)
    return promote(x1, x2, dtype=dtype)


# -- arithmetic ---------------------------------------------------------------
def add(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.dtype == tf.bool:
        return tf.logical_or(x1, x2)
    return tf.add(x1, x2)


def subtract(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.dtype == tf.bool:
        return tf.math.logical_xor(x1, x2)
    return tf.subtract(x1, x2)


def multiply(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.dtype == tf.bool:
        return tf.logical_and(x1, x2)
    return tf.multiply(x1, x2)


def divide(x1, x2):
    x1, x2 = _float_result_args(x1, x2)
    return tf.divide(x1, x2)


def true_divide(x1, x2):
    return divide(x1, x2)


def divide_no_nan(x1, x2):
    x1, x2 = _float_result_args(x1, x2)
    return tf.math.divide_no_nan(x1, x2)


def _int_if_bool(*xs):
    return [tf.cast(x, tf.int32) if x.dtype == tf.bool else x for x in xs]


def floor_divide(x1, x2):
    x1, x2 = _int_if_bool(*promote(x1, x2))
    return tf.math.floordiv(x1, x2)


def mod(x1, x2):
    x1, x2 = _int_if_bool(*promote(x1, x2))
    return tf.math.floormod(x1, x2)


def _widened(fn, x1, x2):
    """``fn(x1, x2)`` computed in a type TF has kernels for, cast back."""
    dtype = x1.dtype
    if dtype in (tf.float16, tf.bfloat16):
        compute = tf.float32
    elif dtype in (tf.uint8, tf.uint16, tf.int8, tf.int16):
        compute = tf.int32
    else:
        return fn(x1, x2)
    return tf.cast(fn(tf.cast(x1, compute), tf.cast(x2, compute)), dtype)


def fmod(x1, x2):
    x1, x2 = _int_if_bool(*promote(x1, x2))
    return _widened(tf.truncatemod, x1, x2)


def power(x1, x2):
    x1, x2 = _int_if_bool(*promote(x1, x2))
    if x1.dtype.is_floating or x1.dtype in (tf.int32, tf.int64):
        return tf.pow(x1, x2)
    return _widened(tf.pow, x1, x2)


def negative(x):
    return tf.negative(_tensor(x))


def abs(x):
    x = _tensor(x)
    if x.dtype == tf.bool or x.dtype.is_unsigned:
        return x
    return tf.abs(x)


absolute = abs


def fabs(x):
    return tf.abs(_float_compute(x))


def square(x):
    x = _tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, tf.int32)
    return tf.square(x)


def _make_float_unary(fn, name):
    def op(x):
        return fn(_float_compute(x))

    op.__name__ = name
    return op


sqrt = _make_float_unary(tf.sqrt, "sqrt")
rsqrt = _make_float_unary(tf.math.rsqrt, "rsqrt")
reciprocal = _make_float_unary(tf.math.reciprocal, "reciprocal")
exp = _make_float_unary(tf.exp, "exp")
expm1 = _make_float_unary(tf.math.expm1, "expm1")
log = _make_float_unary(tf.math.log, "log")
log1p = _make_float_unary(tf.math.log1p, "log1p")
sin = _make_float_unary(tf.sin, "sin")
cos = _make_float_unary(tf.cos, "cos")
tan = _make_float_unary(tf.tan, "tan")
arcsin = _make_float_unary(tf.asin, "arcsin")
arccos = _make_float_unary(tf.acos, "arccos")
arctan = _make_float_unary(tf.atan, "arctan")
sinh = _make_float_unary(tf.sinh, "sinh")
cosh = _make_float_unary(tf.cosh, "cosh")
tanh = _make_float_unary(tf.tanh, "tanh")
arcsinh = _make_float_unary(tf.asinh, "arcsinh")
arccosh = _make_float_unary(tf.acosh, "arccosh")
arctanh = _make_float_unary(tf.atanh, "arctanh")
i0 = _make_float_unary(tf.math.bessel_i0, "i0")


def cbrt(x):
    x = _float_compute(x)
    return tf.sign(x) * tf.pow(tf.abs(x), tf.constant(1.0 / 3.0, x.dtype))


def exp2(x):
    x = _float_compute(x)
    return tf.pow(tf.constant(2.0, x.dtype), x)


def log2(x):
    x = _float_compute(x)
    return tf.math.log(x) / tf.constant(_pymath.log(2.0), x.dtype)


def log10(x):
    x = _float_compute(x)
    return tf.math.log(x) / tf.constant(_pymath.log(10.0), x.dtype)


def deg2rad(x):
    x = _float_compute(x)
    return x * tf.constant(_pymath.pi / 180.0, x.dtype)


def rad2deg(x):
    x = _float_compute(x)
    return x * tf.constant(180.0 / _pymath.pi, x.dtype)


def sinc(x):
    x = _float_compute(x)
    px = x * tf.constant(_pymath.pi, x.dtype)
    safe = tf.where(tf.equal(x, 0), tf.ones_like(px), px)
    return tf.where(tf.equal(x, 0), tf.ones_like(x), tf.sin(safe) / safe)


def logaddexp(x1, x2):
    x1, x2 = _float_result_args(x1, x2)
    m = tf.maximum(x1, x2)
    d = tf.abs(x1 - x2)
    out = m + tf.math.log1p(tf.exp(-d))
    return tf.where(tf.math.is_nan(d), x1 + x2, out)


def logaddexp2(x1, x2):
    x1, x2 = _float_result_args(x1, x2)
    ln2 = tf.constant(_pymath.log(2.0), x1.dtype)
    m = tf.maximum(x1, x2)
    d = tf.abs(x1 - x2)
    out = m + tf.math.log1p(tf.pow(tf.constant(2.0, x1.dtype), -d)) / ln2
    return tf.where(tf.math.is_nan(d), x1 + x2, out)


def arctan2(x1, x2):
    x1, x2 = _float_result_args(x1, x2)
    return tf.atan2(x1, x2)


def hypot(x1, x2):
    x1, x2 = _float_result_args(x1, x2)
    return tf.sqrt(tf.square(x1) + tf.square(x2))


def maximum(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.dtype == tf.bool:
        return tf.logical_or(x1, x2)
    return tf.maximum(x1, x2)


def minimum(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.dtype == tf.bool:
        return tf.logical_and(x1, x2)
    return tf.minimum(x1, x2)


def fmax(x1, x2):
    x1, x2 = promote(x1, x2)
    if not x1.dtype.is_floating:
        return maximum(x1, x2)
    return tf.where(tf.math.is_nan(x1), x2, tf.where(tf.math.is_nan(x2), x1, tf.maximum(x1, x2)))


def fmin(x1, x2):
    x1, x2 = promote(x1, x2)
    if not x1.dtype.is_floating:
        return minimum(x1, x2)
    return tf.where(tf.math.is_nan(x1), x2, tf.where(tf.math.is_nan(x2), x1, tf.minimum(x1, x2)))


def clip(x, x_min, x_max):
    x = _tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, tf.int32)
    x, lo, hi = promote(x, x_min, x_max)
    return tf.minimum(tf.maximum(x, lo), hi)


def sign(x):
    x = _tensor(x)
    if x.dtype == tf.bool:
        return x
    if x.dtype.is_unsigned:
        return tf.cast(tf.not_equal(x, 0), x.dtype)
    return tf.sign(x)


def signbit(x):
    x = _tensor(x)
    if x.dtype == tf.bool or x.dtype.is_unsigned:
        return tf.zeros_like(x, dtype=tf.bool)
    if x.dtype.is_floating:
        int_type = {16: tf.int16, 32: tf.int32, 64: tf.int64}[x.dtype.size * 8]
        return tf.less(tf.bitcast(x, int_type), 0)
    return tf.less(x, 0)


def _rounding(fn, name):
    def op(x):
        x = _tensor(x)
        if not x.dtype.is_floating:
            x = tf.cast(x, to_tf_dtype(floatx()))
        return fn(x)

    op.__name__ = name
    return op


floor = _rounding(tf.floor, "floor")
ceil = _rounding(tf.math.ceil, "ceil")


def _trunc(x):
    return tf.where(x < 0, tf.math.ceil(x), tf.floor(x))


def trunc(x):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return x
    return _trunc(x)


def round(x, decimals=0):
    x = _tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, tf.int32)
    if not x.dtype.is_floating:
        if decimals >= 0:
            return x
        f = 10 ** (-decimals)
        y = tf.round(tf.cast(x, tf.float64) / f) * f
        return tf.cast(y, x.dtype)
    if decimals == 0:
        return tf.round(x)
    f = tf.constant(10.0**decimals, x.dtype)
    return tf.round(x * f) / f


def heaviside(x1, x2):
    dtype = result_type(_raw(x1), _raw(x2))
    if kind(dtype) < 3:
        dtype = floatx()
    x1, x2 = promote(x1, x2, dtype=dtype)
    return tf.where(x1 < 0, tf.zeros_like(x1), tf.where(x1 > 0, tf.ones_like(x1), x2))


def nextafter(x1, x2):
    x1, x2 = _float_result_args(x1, x2)
    return tf.math.nextafter(x1, x2)


def ldexp(x1, x2):
    x1 = _float_compute(x1)
    x2 = tf.cast(_tensor(x2), x1.dtype)
    return x1 * tf.pow(tf.constant(2.0, x1.dtype), x2)


def gcd(x1, x2):
    x1, x2 = promote(x1, x2)
    a, b = tf.abs(x1), tf.abs(x2)
    a, b = tf.broadcast_to(a, tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b))), b
    b = tf.broadcast_to(b, tf.shape(a))

    def cond(a, b):
        return tf.reduce_any(tf.not_equal(b, 0))

    def body(a, b):
        safe = tf.where(tf.equal(b, 0), tf.ones_like(b), b)
        return tf.where(tf.equal(b, 0), a, b), tf.where(tf.equal(b, 0), b, tf.math.floormod(a, safe))

    a, b = tf.while_loop(cond, body, (a, b))
    return a


def lcm(x1, x2):
    x1, x2 = promote(x1, x2)
    g = gcd(x1, x2)
    safe = tf.where(tf.equal(g, 0), tf.ones_like(g), g)
    return tf.where(tf.equal(g, 0), tf.zeros_like(g), tf.abs(x1 * x2) // safe)


def conjugate(x):
    return tf.math.conj(_tensor(x))


conj = conjugate


def real(x):
    x = _tensor(x)
    return tf.math.real(x) if x.dtype.is_complex else x


def imag(x):
    x = _tensor(x)
    return tf.math.imag(x) if x.dtype.is_complex else tf.zeros_like(x)


def angle(x):
    x = _tensor(x)
    if not x.dtype.is_complex:
        x = _float_compute(x)
        return tf.atan2(tf.zeros_like(x), x)
    return tf.math.angle(x)


# -- comparison and logic -----------------------------------------------------
def _compare(fn, name, ordered):
    def op(x1, x2):
        x1, x2 = promote(x1, x2)
        if ordered and x1.dtype == tf.bool:
            x1, x2 = tf.cast(x1, tf.int8), tf.cast(x2, tf.int8)
        return fn(x1, x2)

    op.__name__ = name
    return op


equal = _compare(tf.equal, "equal", False)
not_equal = _compare(tf.not_equal, "not_equal", False)
greater = _compare(tf.greater, "greater", True)
greater_equal = _compare(tf.greater_equal, "greater_equal", True)
less = _compare(tf.less, "less", True)
less_equal = _compare(tf.less_equal, "less_equal", True)


def logical_and(x1, x2):
    return tf.logical_and(_to_bool(x1), _to_bool(x2))


def logical_or(x1, x2):
    return tf.logical_or(_to_bool(x1), _to_bool(x2))


def logical_xor(x1, x2):
    return tf.math.logical_xor(_to_bool(x1), _to_bool(x2))


def logical_not(x):
    return tf.logical_not(_to_bool(x))


def isnan(x):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return tf.zeros_like(x, dtype=tf.bool)
    return tf.math.is_nan(x)


def isinf(x):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return tf.zeros_like(x, dtype=tf.bool)
    return tf.math.is_inf(x)


def isneginf(x):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return tf.zeros_like(x, dtype=tf.bool)
    return tf.logical_and(tf.math.is_inf(x), x < 0)


def isposinf(x):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return tf.zeros_like(x, dtype=tf.bool)
    return tf.logical_and(tf.math.is_inf(x), x > 0)


def isfinite(x):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return tf.ones_like(x, dtype=tf.bool)
    return tf.math.is_finite(x)


def isreal(x):
    x = _tensor(x)
    if x.dtype.is_complex:
        return tf.equal(tf.math.imag(x), 0)
    return tf.ones_like(x, dtype=tf.bool)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    x1, x2 = promote(x1, x2)
    if not x1.dtype.is_floating:
        return tf.equal(x1, x2)
    tol = tf.constant(atol, x1.dtype) + tf.constant(rtol, x1.dtype) * tf.abs(x2)
    out = tf.logical_or(tf.equal(x1, x2), tf.abs(x1 - x2) <= tol)
    out = tf.logical_and(out, tf.logical_or(tf.math.is_finite(x1 - x2), tf.equal(x1, x2)))
    if equal_nan:
        out = tf.logical_or(out, tf.logical_and(tf.math.is_nan(x1), tf.math.is_nan(x2)))
    return out


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return tf.reduce_all(isclose(x1, x2, rtol, atol, equal_nan))


def isin(x1, x2, assume_unique=False, invert=False):
    x1, x2 = promote(x1, x2)
    out = tf.reduce_any(tf.equal(tf.expand_dims(x1, -1), tf.reshape(x2, [-1])), axis=-1)
    return tf.logical_not(out) if invert else out


def where(condition, x1=None, x2=None):
    condition = _to_bool(condition)
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where: `x1` and `x2` must both be given or both be None")
    x1, x2 = promote(x1, x2)
    return tf.where(condition, x1, x2)


def nonzero(x):
    idx = tf.cast(tf.where(_to_bool(x)), tf.int32)
    return tuple(tf.unstack(idx, num=_ndim(_tensor(x)), axis=1))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return x
    posinf = x.dtype.max if posinf is None else posinf
    neginf = x.dtype.min if neginf is None else neginf
    x = tf.where(tf.math.is_nan(x), tf.constant(nan, x.dtype), x)
    x = tf.where(tf.logical_and(tf.math.is_inf(x), x > 0), tf.constant(posinf, x.dtype), x)
    return tf.where(tf.logical_and(tf.math.is_inf(x), x < 0), tf.constant(neginf, x.dtype), x)


# -- bitwise ------------------------------------------------------------------
def bitwise_and(x, y):
    x, y = promote(x, y)
    return tf.logical_and(x, y) if x.dtype == tf.bool else tf.bitwise.bitwise_and(x, y)


def bitwise_or(x, y):
    x, y = promote(x, y)
    return tf.logical_or(x, y) if x.dtype == tf.bool else tf.bitwise.bitwise_or(x, y)


def bitwise_xor(x, y):
    x, y = promote(x, y)
    return tf.math.logical_xor(x, y) if x.dtype == tf.bool else tf.bitwise.bitwise_xor(x, y)


def bitwise_invert(x):
    x = _tensor(x)
    return tf.logical_not(x) if x.dtype == tf.bool else tf.bitwise.invert(x)


bitwise_not = bitwise_invert


def bitwise_left_shift(x, y):
    x, y = promote(x, y)
    return tf.bitwise.left_shift(x, y)


left_shift = bitwise_left_shift


def bitwise_right_shift(x, y):
    x, y = promote(x, y)
    return tf.bitwise.right_shift(x, y)


right_shift = bitwise_right_shift


# -- linear algebra -------------------------------------------------------------
_MM_COMPUTE = {"bool": tf.int32, "int8": tf.int32, "uint8": tf.int32, "int16": tf.int32,
               "uint16": tf.int32, "uint32": tf.int64, "float16": None, "bfloat16": None}


def _mm_args(x1, x2, int8_to_int32):
    """(x1, x2, result dtype): the Keras result dtype, computed in a type TF supports."""
    x1, x2 = _tensor(x1), _tensor(x2)
    dtype = result_type(x1, x2)
    if int8_to_int32 and dtype_of(x1) == "int8" and dtype_of(x2) == "int8":
        dtype = "int32"
    compute = _MM_COMPUTE.get(dtype) or to_tf_dtype(dtype)
    x1, x2 = tf.cast(x1, compute), tf.cast(x2, compute)
    return x1, x2, to_tf_dtype(dtype)


def _mm_out(out, dtype):
    if dtype == tf.bool:
        return tf.not_equal(out, 0)
    return out if out.dtype == dtype else tf.cast(out, dtype)


def _matmul(x1, x2):
    r1, r2 = _ndim(x1), _ndim(x2)
    if r1 == 1 and r2 == 1:
        return tf.reduce_sum(x1 * x2)
    if r1 == 1:
        return tf.squeeze(tf.matmul(tf.expand_dims(x1, 0), x2), -2)
    if r2 == 1:
        return tf.squeeze(tf.matmul(x1, tf.expand_dims(x2, -1)), -1)
    return tf.matmul(x1, x2)


def _sparse_matmul(x1, x2):
    """``matmul`` with a ``tf.SparseTensor`` operand: ``tf.sparse.sparse_dense_matmul``
    for a rank-2 sparse by dense product (either side); other cases densify."""
    s1, s2 = isinstance(x1, tf.SparseTensor), isinstance(x2, tf.SparseTensor)
    if s1 != s2:
        sparse, dense = (x1, x2) if s1 else (x2, x1)
        dense = _tensor(dense)
        dtype = result_type(sparse, dense)
        compute = _MM_COMPUTE.get(dtype) or to_tf_dtype(dtype)
        if sparse.shape.rank == 2 and _ndim(dense) == 2 and compute.is_floating:
            sparse, dense = tf.cast(sparse, compute), tf.cast(dense, compute)
            if s1:
                out = tf.sparse.sparse_dense_matmul(sparse, dense)
            else:  # dense @ sparse == (sparse^T @ dense^T)^T
                out = tf.transpose(tf.sparse.sparse_dense_matmul(
                    sparse, dense, adjoint_a=True, adjoint_b=True))
            return _mm_out(out, to_tf_dtype(dtype))
    dense1 = tf.sparse.to_dense(x1) if s1 else x1
    dense2 = tf.sparse.to_dense(x2) if s2 else x2
    return matmul(dense1, dense2)


def matmul(x1, x2):
    if isinstance(x1, tf.SparseTensor) or isinstance(x2, tf.SparseTensor):
        return _sparse_matmul(x1, x2)
    if (
        isinstance(x1, tf.Tensor) and isinstance(x2, tf.Tensor)
        and x1.dtype == x2.dtype and x1.dtype.is_floating
    ):
        return _matmul(x1, x2)
    x1, x2, dtype = _mm_args(x1, x2, int8_to_int32=True)
    return _mm_out(_matmul(x1, x2), dtype)


def dot(x1, x2):
    x1, x2, dtype = _mm_args(x1, x2, int8_to_int32=False)
    r1, r2 = _ndim(x1), _ndim(x2)
    if r1 == 0 or r2 == 0:
        out = tf.multiply(x1, x2)
    elif r1 == 1 or r2 == 1:
        out = _matmul(x1, x2)
    else:
        out = tf.tensordot(x1, x2, [[r1 - 1], [r2 - 2]])
    return _mm_out(out, dtype)


def vdot(x1, x2):
    x1, x2 = promote(x1, x2)
    return tf.reduce_sum(tf.math.conj(tf.reshape(x1, [-1])) * tf.reshape(x2, [-1]))


def inner(x1, x2):
    x1, x2, dtype = _mm_args(x1, x2, int8_to_int32=False)
    r1, r2 = _ndim(x1), _ndim(x2)
    if r1 == 0 or r2 == 0:
        return _mm_out(tf.multiply(x1, x2), dtype)
    return _mm_out(tf.tensordot(x1, x2, [[r1 - 1], [r2 - 1]]), dtype)


def outer(x1, x2):
    x1, x2 = promote(x1, x2)
    return tf.reshape(x1, [-1, 1]) * tf.reshape(x2, [1, -1])


def tensordot(x1, x2, axes=2):
    x1, x2 = promote(x1, x2)
    if isinstance(axes, (list, tuple)):
        a, b = axes
        a = [a] if isinstance(a, int) else list(a)
        b = [b] if isinstance(b, int) else list(b)
        a = [i % _ndim(x1) for i in a]
        b = [i % _ndim(x2) for i in b]
        axes = [a, b]
    return tf.tensordot(x1, x2, axes)


def einsum(subscripts, *operands, **kwargs):
    operands = promote(*operands)
    dtype = operands[0].dtype
    if dtype == tf.bool or dtype in (tf.int8, tf.int16, tf.uint8):
        operands = [tf.cast(o, tf.int32) for o in operands]
    return tf.einsum(subscripts, *operands)


def kron(x1, x2):
    x1, x2 = promote(x1, x2)
    r = builtins.max(_ndim(x1), _ndim(x2))
    x1 = tf.reshape(x1, [1] * (r - _ndim(x1)) + dynamic_shape(x1))
    x2 = tf.reshape(x2, [1] * (r - _ndim(x2)) + dynamic_shape(x2))
    s1, s2 = dynamic_shape(x1), dynamic_shape(x2)
    a = tf.reshape(x1, [d for s in s1 for d in (s, 1)])
    b = tf.reshape(x2, [d for s in s2 for d in (1, s)])
    return tf.reshape(a * b, [p * q for p, q in zip(s1, s2)])


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    x1, x2 = promote(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    x1 = moveaxis(x1, axisa, -1)
    x2 = moveaxis(x2, axisb, -1)
    both_2d = x1.shape[-1] == 2 and x2.shape[-1] == 2

    def comps(v):
        c = tf.unstack(v, axis=-1)
        return c if len(c) == 3 else c + [tf.zeros_like(c[0])]

    a0, a1, a2 = comps(x1)
    b0, b1, b2 = comps(x2)
    if both_2d:
        return a0 * b1 - a1 * b0
    out = tf.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(out, -1, axisc)


def trace(x, offset=0, axis1=0, axis2=1):
    x = _sum_cast(_tensor(x))
    return tf.reduce_sum(diagonal(x, offset, axis1, axis2), axis=-1)


# -- shape manipulation ---------------------------------------------------------
def reshape(x, newshape):
    x = _tensor(x)
    if isinstance(newshape, int):
        newshape = (newshape,)
    return tf.reshape(x, _shape_arg(newshape))


def ravel(x):
    return tf.reshape(_tensor(x), [-1])


def transpose(x, axes=None):
    x = _tensor(x)
    if axes is None:
        return tf.transpose(x)
    return tf.transpose(x, [int(a) for a in axes])


def matrix_transpose(x):
    return tf.linalg.matrix_transpose(_tensor(x))


def moveaxis(x, source, destination):
    x = _tensor(x)
    n = _ndim(x)
    src = canonical_axis(source, n)
    dst = canonical_axis(destination, n)
    perm = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return tf.transpose(x, perm)


def swapaxes(x, axis1, axis2):
    x = _tensor(x)
    n = _ndim(x)
    perm = list(range(n))
    a, b = axis1 % n, axis2 % n
    perm[a], perm[b] = perm[b], perm[a]
    return tf.transpose(x, perm)


def expand_dims(x, axis):
    x = _tensor(x)
    if isinstance(axis, int):
        return tf.expand_dims(x, axis)
    out_ndim = _ndim(x) + len(axis)
    for a in sorted(a % out_ndim for a in axis):
        x = tf.expand_dims(x, a)
    return x


def squeeze(x, axis=None):
    x = _tensor(x)
    if axis is None:
        return tf.squeeze(x)
    return tf.squeeze(x, axis=list(canonical_axis(axis, _ndim(x))))


def concatenate(xs, axis=0):
    xs = promote(*xs)
    if axis is None:
        return tf.concat([tf.reshape(x, [-1]) for x in xs], axis=0)
    return tf.concat(xs, axis=axis)


def append(x1, x2, axis=None):
    return concatenate([x1, x2], axis=axis)


def stack(x, axis=0):
    return tf.stack(promote(*x), axis=axis)


def _atleast(x, n):
    x = _tensor(x)
    r = _ndim(x)
    if r >= n:
        return x
    if n == 2:
        return tf.reshape(x, [1, -1]) if r == 1 else tf.reshape(x, [1, 1])
    if r == 0:
        return tf.reshape(x, [1, 1, 1])
    if r == 1:
        return x[tf.newaxis, :, tf.newaxis]
    return x[:, :, tf.newaxis]


def hstack(xs):
    xs = promote(*xs)
    if builtins.all(_ndim(x) <= 1 for x in xs):
        return tf.concat([tf.reshape(x, [-1]) for x in xs], axis=0)
    return tf.concat(xs, axis=1)


def vstack(xs):
    return tf.concat([_atleast(x, 2) for x in promote(*xs)], axis=0)


def dstack(xs):
    return tf.concat([_atleast(x, 3) for x in promote(*xs)], axis=2)


def split(x, indices_or_sections, axis=0):
    x = _tensor(x)
    if isinstance(indices_or_sections, int):
        dim = x.shape[axis]
        if dim is not None and dim % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of size {dim} does not divide into "
                f"{indices_or_sections} equal sections"
            )
        return tf.split(x, indices_or_sections, axis=axis)
    dim = dynamic_shape(x)[axis]
    idx = [int(i) for i in indices_or_sections]
    if isinstance(dim, int):
        sizes, prev = [], 0
        for i in idx + [dim]:
            i = builtins.min(builtins.max(i if i >= 0 else i + dim, prev), dim)
            sizes.append(i - prev)
            prev = i
        return tf.split(x, sizes, axis=axis)
    bounds = tf.concat([[0], tf.constant(idx, tf.int32), [dim]], axis=0)
    return tf.split(x, bounds[1:] - bounds[:-1], num=len(idx) + 1, axis=axis)


def array_split(x, indices_or_sections, axis=0):
    x = _tensor(x)
    if isinstance(indices_or_sections, int):
        dim = x.shape[axis]
        k = indices_or_sections
        sizes = [dim // k + 1] * (dim % k) + [dim // k] * (k - dim % k)
        return tf.split(x, sizes, axis=axis)
    return split(x, indices_or_sections, axis)


def hsplit(x, indices_or_sections):
    x = _tensor(x)
    return split(x, indices_or_sections, axis=1 if _ndim(x) > 1 else 0)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=2)


def tile(x, repeats):
    x = _tensor(x)
    if isinstance(repeats, int):
        repeats = [repeats]
    repeats = [int(r) for r in repeats]
    r = _ndim(x)
    if len(repeats) < r:
        repeats = [1] * (r - len(repeats)) + repeats
    elif len(repeats) > r:
        x = tf.reshape(x, [1] * (len(repeats) - r) + dynamic_shape(x))
    return tf.tile(x, repeats)


def repeat(x, repeats, axis=None):
    x = _tensor(x)
    if axis is None:
        x = tf.reshape(x, [-1])
        axis = 0
    if not isinstance(repeats, int):
        repeats = _tensor(repeats)
    return tf.repeat(x, repeats, axis=axis)


def broadcast_to(x, shape):
    return tf.broadcast_to(_tensor(x), _shape_arg(shape))


def flip(x, axis=None):
    x = _tensor(x)
    return tf.reverse(x, list(canonical_axis(axis, _ndim(x))))


def fliplr(x):
    return flip(x, axis=1)


def flipud(x):
    return flip(x, axis=0)


def rot90(array, k=1, axes=(0, 1)):
    x = _tensor(array)
    k = k % 4
    a, b = axes[0] % _ndim(x), axes[1] % _ndim(x)
    if k == 0:
        return x
    if k == 2:
        return tf.reverse(x, [a, b])
    x = swapaxes(x, a, b)
    return tf.reverse(x, [b]) if k == 1 else tf.reverse(x, [a])


def roll(x, shift, axis=None):
    x = _tensor(x)
    if axis is None:
        return tf.reshape(tf.roll(tf.reshape(x, [-1]), shift, 0), tf.shape(x))
    return tf.roll(x, shift, axis)


def _pad_indices(n, before, after, mode):
    idx = tf.range(-before, n + after)
    if mode == "edge":
        return tf.clip_by_value(idx, 0, n - 1)
    if mode == "wrap":
        return tf.math.floormod(idx, n)
    if mode == "reflect":
        period = tf.maximum(2 * (n - 1), 1)
        idx = tf.math.floormod(idx, period)
        return tf.where(idx >= n, period - idx, idx)
    if mode == "symmetric":
        period = 2 * n
        idx = tf.math.floormod(idx, period)
        return tf.where(idx >= n, period - 1 - idx, idx)
    raise ValueError(f"pad: unsupported mode {mode!r}")


def pad(x, pad_width, mode="constant", constant_values=None):
    x = _tensor(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (_ndim(x), 2)).tolist()
    if mode == "constant":
        value = 0 if constant_values is None else constant_values
        return tf.pad(x, widths, mode="CONSTANT", constant_values=tf.cast(value, x.dtype))
    if constant_values is not None:
        raise ValueError("pad: `constant_values` can only be given with mode='constant'")
    if mode in _toolkit.STATISTIC_PAD_MODES:
        return _toolkit.pad_by_statistic(x, widths, mode)
    dims = dynamic_shape(x)
    for axis, (before, after) in enumerate(widths):
        if before or after:
            x = tf.gather(x, _pad_indices(dims[axis], before, after, mode), axis=axis)
    return x


def take(x, indices, axis=None):
    x = _tensor(x)
    if isinstance(indices, (tf.SparseTensor, tf.RaggedTensor)):
        out = _take_composite(x, indices, axis)
        if out is not None:
            return out
        indices = (tf.sparse.to_dense(indices) if isinstance(indices, tf.SparseTensor)
                   else indices.to_tensor())
    indices = _tensor(indices)
    if indices.dtype.is_floating:
        indices = tf.cast(indices, tf.int64)
    indices = index_tensor(indices)
    if axis is None:
        x = tf.reshape(x, [-1])
        axis = 0
    n = tf.cast(tf.shape(x)[axis], indices.dtype)
    indices = tf.where(indices < 0, indices + n, indices)
    return tf.gather(x, indices, axis=axis)


def _take_composite(x, indices, axis):
    """``take`` with sparse or ragged ``indices`` (as Keras): a sparse lookup gives the
    rows of ``x`` at the stored indices and zeros elsewhere; a ragged one a ragged
    result.  None where the case is densified instead (Keras warns and densifies)."""
    if axis is None:
        x = tf.reshape(x, [-1])
        axis = 0

    def fix(i):
        i = index_tensor(tf.cast(i, tf.int64) if i.dtype.is_floating else i)
        return tf.where(i < 0, i + tf.cast(tf.shape(x)[axis], i.dtype), i)

    if isinstance(indices, tf.RaggedTensor):
        indices = indices.with_values(fix(indices.values))
        if axis == 0:
            return tf.nn.embedding_lookup(x, indices)
        return tf.gather(x, indices, axis=axis)
    if x.dtype not in (tf.float16, tf.float32, tf.float64, tf.bfloat16) or axis != 0:
        import warnings

        from cornu import CornuWarning

        warnings.warn("`take` with the TensorFlow backend does not support this `x.dtype` "
                      "or `axis` when `indices` is a sparse tensor; densifying `indices`.",
                      CornuWarning, stacklevel=3)
        return None
    shape = indices.shape
    indices = indices.with_values(fix(indices.values))
    indices.set_shape(shape)  # with_values forgets the static shape in a graph
    # `expand_dims` on the indices keeps the lookup from combining the entries of a row.
    output = tf.nn.safe_embedding_lookup_sparse(
        embedding_weights=x, sparse_ids=tf.sparse.expand_dims(indices, axis=-1),
        default_id=0)
    output.set_shape(indices.shape + output.shape[len(indices.shape):])
    return output


def take_along_axis(x, indices, axis=None):
    x = _tensor(x)
    indices = index_tensor(indices)
    if axis is None:
        x = tf.reshape(x, [-1])
        indices = tf.reshape(indices, [-1])
        axis = 0
    r = _ndim(x)
    if _ndim(indices) != r:
        raise ValueError(
            f"take_along_axis: x (ndim {r}) and indices (ndim {_ndim(indices)}) "
            "must have the same number of dimensions"
        )
    axis = axis % r
    x = moveaxis(x, axis, -1)
    indices = moveaxis(indices, axis, -1)
    n = tf.shape(x, out_type=indices.dtype)[-1]
    indices = tf.where(indices < 0, indices + n, indices)
    lead = tf.broadcast_dynamic_shape(tf.shape(x)[:-1], tf.shape(indices)[:-1])
    x = tf.broadcast_to(x, tf.concat([lead, tf.shape(x)[-1:]], 0))
    indices = tf.broadcast_to(indices, tf.concat([lead, tf.shape(indices)[-1:]], 0))
    out = tf.gather(x, indices, batch_dims=r - 1, axis=r - 1)
    return moveaxis(out, -1, axis)


def diag(x, k=0):
    x = _tensor(x)
    if _ndim(x) == 1:
        return tf.linalg.diag(x, k=k)
    if _ndim(x) == 2:
        return tf.linalg.diag_part(x, k=k)
    raise ValueError(f"diag: input must be 1-D or 2-D, received shape {x.shape}")


def diagflat(x, k=0):
    return tf.linalg.diag(tf.reshape(_tensor(x), [-1]), k=k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    x = _tensor(x)
    n = _ndim(x)
    a1, a2 = axis1 % n, axis2 % n
    perm = [i for i in range(n) if i not in (a1, a2)] + [a1, a2]
    x = tf.transpose(x, perm)
    if x.dtype == tf.bool:
        return tf.cast(tf.linalg.diag_part(tf.cast(x, tf.int8), k=offset), tf.bool)
    return tf.linalg.diag_part(x, k=offset)


def _tri_mask(rows, cols, k, lower):
    r = tf.range(rows)[:, None]
    c = tf.range(cols)[None, :]
    return (c - r <= k) if lower else (c - r >= k)


def tril(x, k=0):
    x = _tensor(x)
    s = tf.shape(x)
    mask = _tri_mask(s[-2], s[-1], k, True)
    return tf.where(mask, x, tf.zeros_like(x))


def triu(x, k=0):
    x = _tensor(x)
    s = tf.shape(x)
    mask = _tri_mask(s[-2], s[-1], k, False)
    return tf.where(mask, x, tf.zeros_like(x))


def tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    return tf.cast(_tri_mask(N, M, k, True), to_tf_dtype(dtype or floatx()))


def diff(a, n=1, axis=-1):
    a = _tensor(a)
    r = _ndim(a)
    axis = axis % r
    for _ in range(n):
        hi = [slice(None)] * r
        lo = [slice(None)] * r
        hi[axis] = slice(1, None)
        lo[axis] = slice(None, -1)
        if a.dtype == tf.bool:
            a = tf.not_equal(a[tuple(hi)], a[tuple(lo)])
        else:
            a = a[tuple(hi)] - a[tuple(lo)]
    return a


def meshgrid(*x, indexing="xy"):
    return tf.meshgrid(*promote(*x), indexing=indexing)


def vander(x, N=None, increasing=False):
    x = _tensor(x)
    n = x.shape[0] if N is None else N
    powers = tf.range(n, dtype=x.dtype) if x.dtype != tf.bool else tf.range(n)
    if not increasing:
        powers = tf.reverse(powers, [0])
    return tf.pow(x[:, None], tf.cast(powers, x.dtype)[None, :])


# -- creation -------------------------------------------------------------------
def _creation_dtype(dtype):
    return to_tf_dtype(dtype if dtype is not None else floatx())


def zeros(shape, dtype=None):
    return tf.zeros(_shape_arg(shape), dtype=_creation_dtype(dtype))


def ones(shape, dtype=None):
    return tf.ones(_shape_arg(shape), dtype=_creation_dtype(dtype))


empty = zeros


def full(shape, fill_value, dtype=None):
    if dtype is None:
        dtype = result_type(_raw(fill_value))
    value = _tensor(fill_value, dtype)
    return tf.broadcast_to(value, _shape_arg(shape))


def zeros_like(x, dtype=None):
    x = _tensor(x)
    return tf.zeros_like(x, dtype=to_tf_dtype(dtype) if dtype else None)


def ones_like(x, dtype=None):
    x = _tensor(x)
    return tf.ones_like(x, dtype=to_tf_dtype(dtype) if dtype else None)


empty_like = zeros_like


def full_like(x, fill_value, dtype=None):
    x = _tensor(x)
    value = _tensor(fill_value, dtype or dtype_of(x))
    return tf.broadcast_to(value, tf.shape(x))


def array(x, dtype=None):
    return _tensor(x, dtype)


def copy(x):
    return tf.identity(_tensor(x))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def eye(N, M=None, k=0, dtype=None):
    dtype = _creation_dtype(dtype)
    M = N if M is None else M
    if k == 0:
        return tf.eye(N, M, dtype=dtype)
    r = tf.range(N)[:, None]
    c = tf.range(M)[None, :]
    return tf.cast(tf.equal(c - r, k), dtype)


def arange(start, stop=None, step=None, dtype=None):
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if dtype is None:
        dtype = result_type(_raw(start), _raw(stop), _raw(step))
    tdt = to_tf_dtype(dtype)
    if tdt in (tf.float16, tf.bfloat16, tf.int8, tf.int16, tf.uint8):
        compute = tf.float32 if tdt.is_floating else tf.int32
        return tf.cast(tf.range(start, stop, step, dtype=compute), tdt)
    return tf.range(start, stop, step, dtype=tdt)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if dtype is None:
        dtype = result_type(_raw(start), _raw(stop), 1.0)
    compute = tf.float64 if dtype == "float64" else tf.float32
    start = tf.cast(_tensor(start), compute)
    stop = tf.cast(_tensor(stop), compute)
    div = (num - 1) if endpoint else num
    steps = tf.range(num, dtype=compute)
    bshape = tf.broadcast_dynamic_shape(tf.shape(start), tf.shape(stop))
    steps = tf.reshape(steps, tf.concat([[-1], tf.ones_like(bshape)], 0))
    if div > 0:
        delta = (stop - start) / tf.cast(div, compute)
    else:
        delta = tf.fill(bshape, tf.constant(float("nan"), compute))
    out = start + steps * delta
    if endpoint and num > 1:
        last = tf.broadcast_to(stop, bshape)[tf.newaxis]
        out = tf.concat([out[:-1], last], axis=0)
    if axis != 0:
        out = moveaxis(out, 0, axis)
    tdt = to_tf_dtype(dtype)
    if not tdt.is_floating:
        out = tf.floor(out)
    out = tf.cast(out, tdt)
    if retstep:
        return out, tf.cast(delta, tdt)
    return out


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    out_dtype = dtype or result_type(_raw(start), _raw(stop), 1.0)
    y = linspace(start, stop, num, endpoint=endpoint, dtype="float64" if out_dtype == "float64" else "float32", axis=axis)
    return tf.cast(tf.pow(tf.cast(base, y.dtype), y), to_tf_dtype(out_dtype))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    start_t = _float_compute(start)
    stop_t = _float_compute(stop)
    out = tf.exp(linspace(tf.math.log(start_t), tf.math.log(stop_t), num, endpoint=endpoint, dtype=dtype_of(start_t)))
    if num > 0:
        parts = [tf.broadcast_to(start_t, tf.shape(out)[1:])[tf.newaxis]]
        mid_end = num - 1 if (endpoint and num > 1) else num
        parts.append(out[1:mid_end])
        if endpoint and num > 1:
            parts.append(tf.broadcast_to(stop_t, tf.shape(out)[1:])[tf.newaxis])
        out = tf.concat(parts, axis=0)
    if axis != 0:
        out = moveaxis(out, 0, axis)
    return tf.cast(out, to_tf_dtype(dtype)) if dtype else out


# -- reductions -------------------------------------------------------------------
def _axes(axis):
    if axis is None:
        return None
    if isinstance(axis, int):
        return [axis]
    return [int(a) for a in axis]


def _sum_cast(x):
    """Keras: bool and small ints accumulate in int32, small uints in uint32."""
    if x.dtype in (tf.bool, tf.int8, tf.int16):
        return tf.cast(x, tf.int32)
    if x.dtype in (tf.uint8, tf.uint16):
        return tf.cast(x, tf.uint32)
    return x


def _bool_to_int(x):
    return tf.cast(x, tf.int32) if x.dtype == tf.bool else x


def sum(x, axis=None, keepdims=False):
    x = _sum_cast(_tensor(x))
    return tf.reduce_sum(x, axis=_axes(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    x = _tensor(x)
    x = tf.cast(x, to_tf_dtype(dtype)) if dtype is not None else _sum_cast(x)
    return tf.reduce_prod(x, axis=_axes(axis), keepdims=keepdims)


def _mean_compute(x):
    if x.dtype in (tf.float16, tf.bfloat16):
        return tf.cast(x, tf.float32), x.dtype
    if not (x.dtype.is_floating or x.dtype.is_complex):
        f = to_tf_dtype(floatx())
        return tf.cast(x, f), f
    return x, x.dtype


def mean(x, axis=None, keepdims=False):
    x, out_dtype = _mean_compute(_tensor(x))
    return tf.cast(tf.reduce_mean(x, axis=_axes(axis), keepdims=keepdims), out_dtype)


def var(x, axis=None, keepdims=False):
    x, out_dtype = _mean_compute(_tensor(x))
    return tf.cast(tf.math.reduce_variance(x, axis=_axes(axis), keepdims=keepdims), out_dtype)


def std(x, axis=None, keepdims=False):
    x, out_dtype = _mean_compute(_tensor(x))
    return tf.cast(tf.math.reduce_std(x, axis=_axes(axis), keepdims=keepdims), out_dtype)


def max(x, axis=None, keepdims=False, initial=None):
    x = _tensor(x)
    if x.dtype == tf.bool:
        out = tf.reduce_any(x, axis=_axes(axis), keepdims=keepdims)
        return tf.logical_or(out, bool(initial)) if initial is not None else out
    out = tf.reduce_max(x, axis=_axes(axis), keepdims=keepdims)
    if initial is not None:
        out = tf.maximum(out, tf.cast(initial, out.dtype))
    return out


def min(x, axis=None, keepdims=False, initial=None):
    x = _tensor(x)
    if x.dtype == tf.bool:
        out = tf.reduce_all(x, axis=_axes(axis), keepdims=keepdims)
        return tf.logical_and(out, bool(initial)) if initial is not None else out
    out = tf.reduce_min(x, axis=_axes(axis), keepdims=keepdims)
    if initial is not None:
        out = tf.minimum(out, tf.cast(initial, out.dtype))
    return out


amax = max
amin = min


def ptp(x, axis=None, keepdims=False):
    return subtract(max(x, axis, keepdims), min(x, axis, keepdims))


def any(x, axis=None, keepdims=False):
    return tf.reduce_any(_to_bool(x), axis=_axes(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return tf.reduce_all(_to_bool(x), axis=_axes(axis), keepdims=keepdims)


def _arg_reduce(fn, x, axis, keepdims):
    x = _tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, tf.int32)
    if axis is None:
        r = _ndim(x)
        out = fn(tf.reshape(x, [-1]), axis=0, output_type=tf.int32)
        if keepdims:
            out = tf.reshape(out, [1] * r)
        return out
    out = fn(x, axis=axis, output_type=tf.int32)
    if keepdims:
        out = tf.expand_dims(out, axis)
    return out


def argmax(x, axis=None, keepdims=False):
    return _arg_reduce(tf.argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _arg_reduce(tf.argmin, x, axis, keepdims)


def count_nonzero(x, axis=None):
    x = _tensor(x)
    return tf.math.count_nonzero(x, axis=_axes(axis), dtype=tf.int32)


def average(x, axis=None, weights=None):
    x = _tensor(x)
    if weights is None:
        return mean(x, axis=axis)
    x, weights = promote(x, weights, dtype=result_type(x, _tensor(weights), 1.0))
    if _ndim(weights) == 1 and _ndim(x) > 1 and axis is not None:
        shape = [1] * _ndim(x)
        shape[axis] = -1
        weights = tf.reshape(weights, shape)
    weights = tf.broadcast_to(weights, tf.shape(x))
    return tf.reduce_sum(x * weights, axis=_axes(axis)) / tf.reduce_sum(weights, axis=_axes(axis))


def cumsum(x, axis=None, dtype=None):
    x = _tensor(x)
    if axis is None:
        x = tf.reshape(x, [-1])
        axis = 0
    x = tf.cast(x, to_tf_dtype(dtype)) if dtype is not None else _bool_to_int(x)
    return tf.cumsum(x, axis=axis)


def cumprod(x, axis=None, dtype=None):
    x = _tensor(x)
    if axis is None:
        x = tf.reshape(x, [-1])
        axis = 0
    x = tf.cast(x, to_tf_dtype(dtype)) if dtype is not None else _bool_to_int(x)
    return tf.math.cumprod(x, axis=axis)


def _quantile_sorted(y, q, method):
    """Quantiles ``q`` (a tensor) along the last axis of sorted ``y``."""
    n = tf.cast(tf.shape(y)[-1], y.dtype)
    pos = q * (n - 1)
    if method == "linear":
        lo = tf.floor(pos)
        hi = tf.math.ceil(pos)
        w = pos - lo
    elif method == "lower":
        lo = hi = tf.floor(pos)
        w = tf.zeros_like(pos)
    elif method == "higher":
        lo = hi = tf.math.ceil(pos)
        w = tf.zeros_like(pos)
    elif method == "midpoint":
        lo, hi = tf.floor(pos), tf.math.ceil(pos)
        w = tf.fill(tf.shape(pos), tf.constant(0.5, y.dtype))
    elif method == "nearest":
        lo = hi = tf.round(pos)
        w = tf.zeros_like(pos)
    else:
        raise ValueError(f"quantile: unknown method {method!r}")
    lo_v = tf.gather(y, tf.cast(lo, tf.int32), axis=-1)
    hi_v = tf.gather(y, tf.cast(hi, tf.int32), axis=-1)
    # gathered shape: y.shape[:-1] + q.shape -> move q dims first
    out = lo_v + (hi_v - lo_v) * w
    rq = _ndim(q)
    ry = _ndim(y) - 1
    perm = list(range(ry, ry + rq)) + list(range(ry))
    return tf.transpose(out, perm)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    x, out_dtype = _mean_compute(_tensor(x))
    q = tf.cast(_tensor(q), x.dtype)
    r = _ndim(x)
    dims = sorted(canonical_axis(axis, r))
    keep = [d for d in range(r) if d not in dims]
    y = tf.transpose(x, keep + dims)
    xs = dynamic_shape(x)
    y = tf.reshape(y, [xs[d] for d in keep] + [-1])
    y = tf.sort(y, axis=-1)
    out = _quantile_sorted(y, q, method)
    if keepdims:
        shape = [1 if d in dims else xs[d] for d in range(r)]
        out = tf.reshape(out, dynamic_shape(q) + shape)
    return tf.cast(out, out_dtype)


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    return quantile(x, divide(q, 100.0), axis=axis, method=method, keepdims=keepdims)


def _nan_fill(x, value):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return x
    return tf.where(tf.math.is_nan(x), tf.constant(value, x.dtype), x)


def nansum(x, axis=None, keepdims=False):
    return sum(_nan_fill(x, 0), axis, keepdims)


def nanprod(x, axis=None, keepdims=False):
    return prod(_nan_fill(x, 1), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return mean(x, axis, keepdims)
    valid = tf.logical_not(tf.math.is_nan(x))
    return divide(nansum(x, axis, keepdims), sum(valid, axis, keepdims))


def nanvar(x, axis=None, keepdims=False):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return var(x, axis, keepdims)
    m = nanmean(x, axis, keepdims=True)
    valid = tf.logical_not(tf.math.is_nan(x))
    sq = tf.where(valid, tf.square(x - m), tf.zeros_like(x))
    return divide(sum(sq, axis, keepdims), sum(valid, axis, keepdims))


def nanstd(x, axis=None, keepdims=False):
    return sqrt(nanvar(x, axis, keepdims))


def nanmax(x, axis=None, keepdims=False):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return max(x, axis, keepdims)
    out = max(_nan_fill(x, -float("inf")), axis, keepdims)
    allnan = all(tf.math.is_nan(x), axis, keepdims)
    return tf.where(allnan, tf.constant(float("nan"), out.dtype), out)


def nanmin(x, axis=None, keepdims=False):
    x = _tensor(x)
    if not x.dtype.is_floating:
        return min(x, axis, keepdims)
    out = min(_nan_fill(x, float("inf")), axis, keepdims)
    allnan = all(tf.math.is_nan(x), axis, keepdims)
    return tf.where(allnan, tf.constant(float("nan"), out.dtype), out)


def nanargmax(x, axis=None, keepdims=False):
    return argmax(_nan_fill(x, -float("inf")), axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    return argmin(_nan_fill(x, float("inf")), axis, keepdims)


def nancumsum(x, axis=None, dtype=None):
    return cumsum(_nan_fill(x, 0), axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    return cumprod(_nan_fill(x, 1), axis, dtype)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    x, out_dtype = _mean_compute(_tensor(x))
    q = tf.cast(_tensor(q), x.dtype)
    r = _ndim(x)
    dims = sorted(canonical_axis(axis, r))
    keep = [d for d in range(r) if d not in dims]
    xs = dynamic_shape(x)
    y = tf.reshape(tf.transpose(x, keep + dims), [xs[d] for d in keep] + [-1])
    # NaNs sort last; interpolate within the valid prefix of each row.
    y = tf.sort(tf.where(tf.math.is_nan(y), tf.constant(float("inf"), y.dtype), y), axis=-1)
    nan_count = tf.reduce_sum(tf.cast(tf.math.is_nan(tf.reshape(tf.transpose(x, keep + dims), [xs[d] for d in keep] + [-1])), tf.int32), axis=-1)
    n_valid = tf.cast(tf.shape(y)[-1] - nan_count, y.dtype)
    qs = tf.reshape(q, [-1])
    pos = qs[:, None] * (tf.reshape(n_valid, [1, -1]) - 1)  # (nq, rows)
    if method == "linear":
        lo, hi = tf.floor(pos), tf.math.ceil(pos)
        w = pos - lo
    elif method == "lower":
        lo = hi = tf.floor(pos)
        w = tf.zeros_like(pos)
    elif method == "higher":
        lo = hi = tf.math.ceil(pos)
        w = tf.zeros_like(pos)
    elif method == "midpoint":
        lo, hi = tf.floor(pos), tf.math.ceil(pos)
        w = tf.fill(tf.shape(pos), tf.constant(0.5, y.dtype))
    elif method == "nearest":
        lo = hi = tf.round(pos)
        w = tf.zeros_like(pos)
    else:
        raise ValueError(f"nanquantile: unknown method {method!r}")
    rows = tf.reshape(y, [-1, tf.shape(y)[-1]])  # (R, n)
    lo_i = tf.maximum(tf.cast(tf.transpose(lo), tf.int32), 0)
    hi_i = tf.maximum(tf.cast(tf.transpose(hi), tf.int32), 0)
    lo_v = tf.gather(rows, lo_i, batch_dims=1)
    hi_v = tf.gather(rows, hi_i, batch_dims=1)
    out = lo_v + (hi_v - lo_v) * tf.transpose(w)  # (R, nq)
    out = tf.where(tf.reshape(n_valid, [-1, 1]) > 0, out, tf.constant(float("nan"), y.dtype))
    out = tf.transpose(out)  # (nq, R)
    out = tf.reshape(out, dynamic_shape(q) + [xs[d] for d in keep])
    if keepdims:
        shape = [1 if d in dims else xs[d] for d in range(r)]
        out = tf.reshape(out, dynamic_shape(q) + shape)
    return tf.cast(out, out_dtype)


def nanmedian(x, axis=None, keepdims=False):
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return nanquantile(x, divide(q, 100.0), axis=axis, method=method, keepdims=keepdims)


# -- sorting and searching -----------------------------------------------------------
def sort(x, axis=-1):
    x = _tensor(x)
    if x.dtype == tf.bool:
        return tf.cast(tf.sort(tf.cast(x, tf.int32), axis=axis), tf.bool)
    if axis is None:
        return tf.sort(tf.reshape(x, [-1]))
    return tf.sort(x, axis=axis)


def argsort(x, axis=-1):
    x = _tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, tf.int32)
    if axis is None:
        x = tf.reshape(x, [-1])
        axis = 0
    return tf.argsort(x, axis=axis, stable=True)


def argpartition(x, kth, axis=-1):
    return argsort(x, axis)


def searchsorted(sorted_sequence, values, side="left"):
    a, v = promote(sorted_sequence, values)
    if _ndim(a) != 1:
        raise ValueError("searchsorted: `sorted_sequence` must be 1-D")
    flat = tf.reshape(v, [1, -1])
    out = tf.searchsorted(a[None, :], flat, side=side, out_type=tf.int32)
    return tf.reshape(out, tf.shape(v))


def digitize(x, bins):
    return searchsorted(bins, x, side="right")


def bincount(x, weights=None, minlength=0, sparse=False):
    x = _tensor(x)
    if sparse:
        raise ValueError("bincount: sparse=True is not supported")
    dtype = _tensor(weights).dtype if weights is not None else tf.int32
    out = tf.math.bincount(
        x, weights=None if weights is None else _tensor(weights), minlength=minlength,
        dtype=dtype, axis=-1 if _ndim(x) == 2 else None,
    )
    return out


def unravel_index(indices, shape):
    indices = _tensor(indices)
    out = []
    for dim in reversed([int(d) for d in shape]):
        out.append(tf.math.floormod(indices, dim))
        indices = tf.math.floordiv(indices, dim)
    return tuple(reversed(out))


def select(condlist, choicelist, default=0):
    choices = promote(*choicelist, default)
    out = choices[-1]
    shape = tf.shape(out)
    for c in list(choices[:-1]) + [_tensor(c) for c in condlist]:
        shape = tf.broadcast_dynamic_shape(shape, tf.shape(c))
    out = tf.broadcast_to(out, shape)
    for cond, choice in zip(reversed(list(condlist)), reversed(choices[:-1])):
        out = tf.where(_to_bool(cond), choice, out)
    return out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = _float_compute(y)
    r = _ndim(y)
    axis = axis % r
    hi = [slice(None)] * r
    lo = [slice(None)] * r
    hi[axis] = slice(1, None)
    lo[axis] = slice(None, -1)
    avg = (y[tuple(hi)] + y[tuple(lo)]) / 2.0
    if x is None:
        return tf.reduce_sum(avg, axis=axis) * tf.cast(dx, y.dtype)
    x = tf.cast(_float_compute(x), y.dtype)
    d = diff(x, axis=-1 if _ndim(x) == 1 else axis)
    if _ndim(x) == 1 and r > 1:
        shape = [1] * r
        shape[axis] = -1
        d = tf.reshape(d, shape)
    return tf.reduce_sum(avg * d, axis=axis)


def correlate(x1, x2, mode="valid"):
    x1, x2 = _float_result_args(x1, x2)
    n1, n2 = x1.shape[0], x2.shape[0]
    if mode == "valid" and n2 > n1:
        return tf.reverse(correlate(x2, x1, mode), [0])
    if mode == "valid":
        pads = (0, 0)
    elif mode == "same":
        total = n2 - 1
        pads = (total // 2, total - total // 2)
    elif mode == "full":
        pads = (n2 - 1, n2 - 1)
    else:
        raise ValueError(f"correlate: unknown mode {mode!r}")
    inp = tf.reshape(tf.pad(x1, [pads]), [1, -1, 1])
    ker = tf.reshape(x2, [-1, 1, 1])
    return tf.reshape(tf.nn.conv1d(inp, ker, 1, "VALID"), [-1])


def corrcoef(x):
    x = _float_compute(x)
    x = x - tf.reduce_mean(x, axis=-1, keepdims=True)
    cov = tf.matmul(x, x, transpose_b=True)
    d = tf.sqrt(tf.linalg.diag_part(cov))
    return cov / (d[:, None] * d[None, :])


def histogram(x, bins=10, range=None):
    x = _float_compute(x)
    x = tf.reshape(x, [-1])
    if range is None:
        lo, hi = tf.reduce_min(x), tf.reduce_max(x)
    else:
        lo, hi = tf.constant(range[0], x.dtype), tf.constant(range[1], x.dtype)
    counts = tf.histogram_fixed_width(x, tf.stack([lo, hi]), nbins=bins, dtype=tf.int32)
    if range is not None:
        inside = tf.logical_and(x >= lo, x <= hi)
        counts = tf.histogram_fixed_width(tf.boolean_mask(x, inside), tf.stack([lo, hi]), nbins=bins, dtype=tf.int32)
    edges = tf.linspace(lo, hi, bins + 1)
    return counts, edges


# -- misc -------------------------------------------------------------------------
def ndim(x):
    return _ndim(_tensor(x))


def size(x):
    x = _tensor(x)
    n = x.shape.num_elements()
    return n if n is not None else tf.size(x)


def view(x, dtype=None):
    x = _tensor(x)
    if dtype is None:
        return x
    tdt = to_tf_dtype(dtype)
    if tdt.size == x.dtype.size:
        return tf.bitcast(x, tdt)
    if tdt.size < x.dtype.size:
        out = tf.bitcast(x, tdt)
        return tf.reshape(out, tf.concat([tf.shape(x)[:-1], [-1]], 0))
    ratio = tdt.size // x.dtype.size
    y = tf.reshape(x, tf.concat([tf.shape(x)[:-1], [-1, ratio]], 0))
    return tf.bitcast(y, tdt)


def slogdet(x):
    return tuple(tf.linalg.slogdet(_float_compute(x)))


def _window(n, fn):
    n = int(n)
    if n == 1:
        return tf.ones([1], tf.float32)
    k = tf.range(n, dtype=tf.float32)
    return fn(k, float(n))


def bartlett(x):
    return _window(x, lambda k, n: 1.0 - tf.abs(2.0 * k / (n - 1) - 1.0))


def blackman(x):
    return _window(
        x,
        lambda k, n: 0.42 - 0.5 * tf.cos(2 * _pymath.pi * k / (n - 1))
        + 0.08 * tf.cos(4 * _pymath.pi * k / (n - 1)),
    )


def hamming(x):
    return _window(x, lambda k, n: 0.54 - 0.46 * tf.cos(2 * _pymath.pi * k / (n - 1)))


def hanning(x):
    return _window(x, lambda k, n: 0.5 - 0.5 * tf.cos(2 * _pymath.pi * k / (n - 1)))


def kaiser(x, beta):
    n = int(x)
    if n == 1:
        return tf.ones([1], tf.float32)
    k = tf.range(n, dtype=tf.float32)
    alpha = (n - 1) / 2.0
    arg = beta * tf.sqrt(tf.maximum(1.0 - tf.square((k - alpha) / alpha), 0.0))
    return tf.math.bessel_i0(arg) / tf.math.bessel_i0(tf.constant(float(beta)))



def get_item(x, key):
    return _tensor(x)[key]


def _fit_size(t, size, fill):
    """Pad (with ``fill``) or truncate the leading axis of ``t`` to ``size``."""
    t = t[:size]
    n = tf.shape(t)[0]
    pads = [[0, size - n]] + [[0, 0]] * (t.shape.rank - 1)
    out = tf.pad(t, pads, constant_values=tf.cast(fill, t.dtype))
    return tf.ensure_shape(out, [size] + t.shape.as_list()[1:])


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
    """Sorted unique values of the flattened ``x``, or its unique slices along ``axis``
    in lexicographic order (``sorted=False`` also sorts)."""
    x = _tensor(x)
    if axis is None:
        rows = tf.reshape(x, [-1, 1])
    else:
        rank = _ndim(x)
        if not -rank <= axis < rank:
            raise ValueError(f"unique: axis {axis} is out of bounds for an array of rank "
                             f"{rank}")
        axis %= rank
        moved = tf.experimental.numpy.moveaxis(x, axis, 0)
        rows = tf.reshape(moved, [tf.shape(moved)[0], -1])
    key = tf.cast(rows, tf.int32) if rows.dtype == tf.bool else rows
    columns = key.shape[1]
    if columns is None:
        raise ValueError("unique(axis=...) needs the sizes of the other axes to be known")
    # lexicographic order of the rows: stable sorts from the last column to the first
    order = tf.range(tf.shape(key)[0])
    for column in reversed(range(columns)):
        order = tf.gather(order, tf.argsort(tf.gather(key[:, column], order), stable=True))
    ordered = tf.gather(key, order)
    if columns:
        changed = tf.reduce_any(tf.not_equal(ordered[1:], ordered[:-1]), axis=1)
    else:  # slices of size 0 are all equal
        changed = tf.zeros([tf.maximum(tf.shape(key)[0] - 1, 0)], tf.bool)
    new = tf.concat([tf.ones([tf.minimum(tf.shape(key)[0], 1)], tf.bool), changed], 0)
    seg = tf.cumsum(tf.cast(new, tf.int32)) - 1
    num = tf.reduce_sum(tf.cast(new, tf.int32))
    firsts = tf.boolean_mask(order, new)
    if axis is None:
        values = tf.gather(tf.reshape(x, [-1]), firsts)
    else:
        values = tf.experimental.numpy.moveaxis(tf.gather(moved, firsts), 0, axis)
    outputs = [values]
    if return_index:
        outputs.append(tf.math.unsorted_segment_min(order, seg, num))
    if return_inverse:
        inverse = tf.scatter_nd(tf.expand_dims(order, -1), seg, tf.shape(order))
        outputs.append(tf.reshape(inverse, tf.shape(x)) if axis is None else inverse)
    if return_counts:
        outputs.append(tf.math.unsorted_segment_sum(tf.ones_like(seg), seg, num))
    if size is not None:
        fill = 0 if fill_value is None else fill_value
        if axis:  # fit the unique slices, stacked along ``axis``
            outputs[0] = tf.experimental.numpy.moveaxis(_fit_size(
                tf.experimental.numpy.moveaxis(outputs[0], axis, 0), size, fill), 0, axis)
        else:
            outputs[0] = _fit_size(outputs[0], size, fill)
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
