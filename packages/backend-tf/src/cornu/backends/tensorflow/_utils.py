"""Helpers shared by the TensorFlow op modules: dtypes, conversion, promotion.

Dtypes are Keras strings (``"float32"``, ``"int64"``, ``"bool"``).  Python
scalars are *weak*: ``x + 1.5`` keeps ``x``'s float dtype, an int tensor plus
a python float becomes ``floatx()``, as in Keras 3.  TensorFlow never promotes
by itself, so every binary op goes through :func:`promote`.

Everything here works on symbolic tensors inside ``tf.function`` (unknown
dimensions are read with :func:`dynamic_shape`).
"""
import builtins

import numpy as np
import tensorflow as tf

from cornu import config
from cornu.dtypes import ALIASES as _ALIASES
from cornu.dtypes import BITS as _BITS
from cornu.dtypes import PY_TYPES as _PY_TYPES
from cornu.dtypes import kind
from cornu.dtypes import promote_types as _promote2
from cornu.ops.toolkit import canonical_axis, standardize_tuple  # noqa: F401  (re-exported)


def _exclude_cornu_from_autograph():
    """Tell AutoGraph not to convert cornu's own code, as TF does for ``keras``.

    cornu's ops are graph-safe Python; converting them on every trace costs
    seconds and buys nothing.  User code (custom layers) is still converted.
    """
    try:
        from tensorflow.python.autograph.core import config as ag_config
    except ImportError:  # pragma: no cover - private module moved
        return
    rules = tuple(ag_config.CONVERSION_RULES)
    if not any(str(r) == "DoNotConvert rule for cornu" for r in rules):
        ag_config.CONVERSION_RULES = (ag_config.DoNotConvert("cornu"),) + rules


_exclude_cornu_from_autograph()

_STR_TO_TF = {
    "bool": tf.bool, "uint8": tf.uint8, "uint16": tf.uint16, "uint32": tf.uint32,
    "uint64": tf.uint64, "int8": tf.int8, "int16": tf.int16, "int32": tf.int32,
    "int64": tf.int64, "float16": tf.float16, "bfloat16": tf.bfloat16,
    "float32": tf.float32, "float64": tf.float64, "complex64": tf.complex64,
    "complex128": tf.complex128, "string": tf.string,
}


def floatx():
    return config.floatx()


def epsilon():
    return config.epsilon()


def standardize_dtype(dtype):
    """A Keras dtype string for any dtype spelling (tf, numpy, python, str)."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, str):
        name = _ALIASES.get(dtype, dtype)
        if name in _BITS:
            return name
        raise ValueError(f"Invalid dtype: {dtype!r}")
    if isinstance(dtype, tf.DType):
        return dtype.name
    if dtype in _PY_TYPES:
        return _PY_TYPES[dtype]
    name = getattr(dtype, "name", None)
    if name is None and isinstance(dtype, type) and issubclass(dtype, np.generic):
        name = np.dtype(dtype).name
    if isinstance(name, str):
        return standardize_dtype(name)
    raise ValueError(f"Invalid dtype: {dtype!r}")


def to_tf_dtype(dtype):
    if isinstance(dtype, tf.DType):
        return dtype
    return _STR_TO_TF[standardize_dtype(dtype)]


def dtype_of(x):
    return x.dtype.name if isinstance(x.dtype, tf.DType) else standardize_dtype(x.dtype)










def result_type(*args):
    """The Keras result dtype of ``args`` (tensors, python scalars or dtype names)."""
    strong = None
    weak = 0
    for a in args:
        if a is None:
            continue
        if isinstance(a, bool):
            weak = builtins.max(weak, 1)
        elif isinstance(a, int):
            weak = builtins.max(weak, 2)
        elif isinstance(a, float):
            weak = builtins.max(weak, 3)
        elif isinstance(a, complex):
            weak = builtins.max(weak, 4)
        else:
            if hasattr(a, "dtype") and not isinstance(a, str):
                d = standardize_dtype(a.dtype)
            elif isinstance(a, (list, tuple)):
                d = dtype_of(to_tensor(a))
            else:
                d = standardize_dtype(a)
            strong = d if strong is None else _promote2(strong, d)
    if strong is None:
        return {0: floatx(), 1: "bool", 2: "int32", 3: floatx(), 4: "complex64"}[weak]
    k = kind(strong)
    if weak == 2 and k == 0:
        return "int32"
    if weak == 3 and k < 3:
        return floatx()
    if weak == 4 and k < 4:
        return "complex64"
    return strong


# -- conversion -------------------------------------------------------------
_variable_cls = None


def _variable_class():
    global _variable_cls
    if _variable_cls is None:
        try:
            from cornu.variables import Variable
        except ImportError:  # pragma: no cover
            Variable = ()
        _variable_cls = Variable
    return _variable_cls


def _np_dtype(dtype):
    dtype = standardize_dtype(dtype)
    if dtype == "bfloat16":
        return np.float32
    return np.dtype(dtype)


def to_tensor(x, dtype=None):
    """``x`` as a ``tf.Tensor`` (``Variable`` and ``tf.Variable`` are read)."""
    if isinstance(x, tf.Tensor):
        if dtype is None:
            return x
        tdt = to_tf_dtype(dtype)
        return x if x.dtype == tdt else tf.cast(x, tdt)
    vcls = _variable_class()
    if vcls and isinstance(x, vcls):
        x = x.value
    if isinstance(x, tf.Variable):
        x = tf.convert_to_tensor(x)
        return x if dtype is None else to_tensor(x, dtype)
    if dtype is not None:
        tdt = to_tf_dtype(dtype)
        if isinstance(x, np.ndarray):
            t = tf.convert_to_tensor(x)
            return t if t.dtype == tdt else tf.cast(t, tdt)
        if isinstance(x, (list, tuple)) and builtins.any(_is_tensorish(e) for e in _flat(x)):
            return tf.stack([to_tensor(e, dtype) for e in x])
        if isinstance(x, (bool, int, float, complex)):
            return _scalar(x, tdt)
        if tf.is_tensor(x):  # sparse/ragged/other composite: let tf decide
            return tf.cast(x, tdt)
        return tf.convert_to_tensor(np.asarray(x, dtype=_np_dtype(dtype)), dtype=tdt)
    if isinstance(x, bool):
        return tf.constant(x, dtype=tf.bool)
    if isinstance(x, int):
        return tf.constant(x, dtype=tf.int32)
    if isinstance(x, float):
        return tf.constant(x, dtype=to_tf_dtype(floatx()))
    if isinstance(x, (np.ndarray, np.generic)):
        return tf.convert_to_tensor(x)
    if isinstance(x, (list, tuple)):
        if builtins.any(_is_tensorish(e) for e in _flat(x)):
            items = [to_tensor(e) for e in x]
            dt = result_type(*items)
            return tf.stack([to_tensor(e, dt) for e in items])
        arr = np.asarray(x)
        if arr.dtype == np.float64:
            arr = arr.astype(_np_dtype(floatx()))
        elif arr.dtype == np.int64:
            arr = arr.astype(np.int32)
        return tf.convert_to_tensor(arr)
    if tf.is_tensor(x):
        return x
    return tf.convert_to_tensor(x)


def _is_tensorish(e):
    vcls = _variable_class()
    return tf.is_tensor(e) or isinstance(e, tf.Variable) or bool(vcls and isinstance(e, vcls))


def _flat(items):
    for e in items:
        if isinstance(e, (list, tuple)):
            yield from _flat(e)
        else:
            yield e


def cast(x, dtype):
    return to_tensor(x, dtype)


def to_numpy(x):
    return np.asarray(to_tensor(x).numpy())


def _scalar(x, tdt):
    """A python scalar as a constant of ``tdt`` (``True`` works as an int or a float)."""
    if isinstance(x, bool) and tdt != tf.bool:
        x = int(x)
    elif tdt == tf.bool:
        x = bool(x)
    return tf.constant(x, dtype=tdt)


def _raw(x):
    """The object used for dtype inference (tensor, python scalar or numpy)."""
    if isinstance(x, (tf.Tensor, bool, int, float, complex, np.ndarray, np.generic)):
        return x
    return to_tensor(x)


def promote(*xs, dtype=None):
    """Convert ``xs`` to tensors of one common (Keras) dtype."""
    if dtype is None:
        # fast path: tensors that already agree (the common case in a model)
        first = xs[0] if xs else None
        if isinstance(first, tf.Tensor) and builtins.all(
            isinstance(x, tf.Tensor) and x.dtype == first.dtype for x in xs
        ):
            return list(xs)
        dtype = result_type(*[_raw(x) for x in xs])
    tdt = to_tf_dtype(dtype)
    out = []
    for x in xs:
        if isinstance(x, tf.Tensor):
            out.append(x if x.dtype == tdt else tf.cast(x, tdt))
        elif isinstance(x, (bool, int, float)):
            out.append(_scalar(x, tdt))
        else:
            out.append(to_tensor(x, dtype))
    return out


def to_float(x):
    """A tensor with a float dtype: ints and bools become ``floatx()``."""
    x = to_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        x = tf.cast(x, to_tf_dtype(floatx()))
    return x


# -- shapes and arguments -----------------------------------------------------
def dynamic_shape(x):
    """A list of dims: python ints where static, scalar tensors where unknown."""
    static = x.shape.as_list() if x.shape.rank is not None else None
    if static is None:
        raise ValueError("tensors of unknown rank are not supported")
    if None not in static:
        return static
    dyn = tf.shape(x)
    return [dyn[i] if d is None else d for i, d in enumerate(static)]


def shape_tensor_or_tuple(dims):
    """A shape usable by tf ops: a tuple when all static, else a stacked tensor."""
    if builtins.all(isinstance(d, (int, np.integer)) for d in dims):
        return tuple(int(d) for d in dims)
    return tf.stack([tf.cast(d, tf.int32) for d in dims])


def static_shape(x):
    """The static shape as a tuple (``None`` entries unknown), ``None`` if the rank is."""
    return None if x.shape.rank is None else tuple(x.shape)


def index_tensor(x):
    """``x`` as int32/int64 indices (what ``tf.gather`` and friends accept)."""
    x = to_tensor(x)
    if x.dtype in (tf.int32, tf.int64):
        return x
    if x.dtype in (tf.uint32, tf.uint64):
        return tf.cast(x, tf.int64)
    return tf.cast(x, tf.int32)


_has_gpu = None


def has_gpu():
    global _has_gpu
    if _has_gpu is None:
        _has_gpu = bool(tf.config.list_logical_devices("GPU"))
    return _has_gpu
