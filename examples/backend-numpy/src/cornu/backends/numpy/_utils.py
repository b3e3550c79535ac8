"""Dtypes, the ``Tensor`` type and the conversions the op modules share."""
import functools

import numpy as np
from cornu import config
from cornu.dtypes import ALIASES, BITS, PY_TYPES
from cornu.variables import Variable

_NUMPY_DTYPES = {
    name: np.dtype(name)
    for name in ("bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
                 "int64", "float16", "float32", "float64", "complex64", "complex128")
}


class Tensor(np.ndarray):
    """An ``ndarray`` that accepts attributes (``_keras_mask``); NumPy ops keep the type."""


def standardize_dtype(dtype):
    """The Keras name of ``dtype`` (a string, a numpy dtype, a Python type)."""
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, str):
        name = ALIASES.get(dtype, dtype)
    elif isinstance(dtype, type) and dtype in PY_TYPES:
        return PY_TYPES[dtype]
    else:
        name = getattr(dtype, "name", None)
        if name is None:
            try:
                name = np.dtype(dtype).name
            except TypeError:
                raise ValueError(f"Invalid dtype: {dtype!r}") from None
    name = {"bool_": "bool", "str": "string"}.get(name, name)
    if name not in BITS:
        raise ValueError(f"Invalid dtype: {dtype!r}")
    return name


def to_np_dtype(dtype):
    name = standardize_dtype(dtype)
    if name == "bfloat16":
        raise ValueError("The numpy backend has no bfloat16 dtype; use float16 or float32")
    return _NUMPY_DTYPES[name]


def floatx():
    return _NUMPY_DTYPES[config.floatx()] if config.floatx() != "bfloat16" else np.float32


def as_tensor(x):
    """``x`` (an ndarray, a numpy scalar, a structure of them) as ``Tensor``."""
    if type(x) is Tensor:
        return x
    if isinstance(x, np.ndarray):
        return x.view(Tensor)
    if isinstance(x, np.generic):
        return np.asarray(x).view(Tensor)
    if isinstance(x, tuple):
        return tuple(as_tensor(v) for v in x)
    if isinstance(x, list):
        return [as_tensor(v) for v in x]
    return x


def array(x):
    """``x`` as an ndarray for computing (Variables give their storage; no copy)."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, float):
        return np.asarray(x, dtype=floatx())
    if isinstance(x, bool):
        return np.asarray(x)
    if isinstance(x, int):
        return np.asarray(x, dtype=np.int32)
    if isinstance(x, (list, tuple)):
        arr = np.asarray([array(v) for v in x]) if any(isinstance(v, Variable) for v in x) \
            else np.asarray(x)
        if arr.dtype == np.float64:
            return arr.astype(floatx())
        if arr.dtype == np.int64:
            return arr.astype(np.int32)
        return arr
    return np.asarray(x)


def float_array(x):
    """``x`` as an ndarray of a float dtype (ints and bools become floatx)."""
    x = array(x)
    return x if x.dtype.kind in "fc" else x.astype(floatx())


def exported(module_globals):
    """Make every public function of a module return ``Tensor``s (not plain ndarrays).

    Called once at the end of each op module.  ``functools.wraps`` keeps the
    name, the module and (through ``__wrapped__``) the signature, which cornu's
    op fronts use.
    """
    module = module_globals["__name__"]
    for name, fn in list(module_globals.items()):
        if name.startswith("_") or not callable(fn) or isinstance(fn, type):
            continue
        if getattr(fn, "__module__", None) != module or name in _NOT_WRAPPED:
            continue
        module_globals[name] = _returning_tensors(fn)


_NOT_WRAPPED = frozenset({
    "convert_to_numpy", "is_tensor", "shape", "dtype", "standardize_dtype", "device_name",
    "make_variable", "set_trainable", "assign", "assign_add", "assign_sub",
    "compute_output_spec", "compute_op_spec", "ndim", "size",
})


def _returning_tensors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return as_tensor(fn(*args, **kwargs))

    return wrapper
