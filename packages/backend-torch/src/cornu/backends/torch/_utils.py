"""Helpers shared by the torch op modules: dtypes, conversion, promotion.

Dtypes are Keras strings (``"float32"``, ``"int64"``, ``"bool"``).  Python
scalars are *weak*: ``x + 1.5`` keeps ``x``'s float dtype, an int tensor plus
a python float becomes ``floatx()``, as in Keras 3.
"""
import builtins
import sys

import numpy as np
import torch

from cornu import config
from cornu.dtypes import ALIASES as _ALIASES
from cornu.dtypes import BITS as _BITS
from cornu.dtypes import PY_TYPES as _PY_TYPES
from cornu.dtypes import kind
from cornu.dtypes import promote_types as _promote2
from cornu.ops.toolkit import canonical_axis, standardize_tuple  # noqa: F401  (re-exported)
from cornu.variables import Variable

# -- dtypes -----------------------------------------------------------------
_STR_TO_TORCH = {
    "bool": torch.bool,
    "uint8": torch.uint8,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}
_TORCH_TO_STR = {v: k for k, v in _STR_TO_TORCH.items()}
# torch's uint16/uint32 have almost no kernels (not even index_select, which batching
# needs): values of those dtypes are held in the next signed type that holds them all,
# as Keras's torch backend does.  Tensors a user made in them are still recognized.
_STR_TO_TORCH.update({"uint16": torch.int32, "uint32": torch.int64})
for _name in ("uint16", "uint32", "uint64"):
    if hasattr(torch, _name):
        _TORCH_TO_STR[getattr(torch, _name)] = _name
        _STR_TO_TORCH.setdefault(_name, getattr(torch, _name))



def floatx():
    return config.floatx()


def epsilon():
    return config.epsilon()


def standardize_dtype(dtype):
    """A Keras dtype string for any dtype spelling (torch, numpy, python, str)."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, str):
        name = _ALIASES.get(dtype, dtype)
        if name.startswith("torch."):
            name = name[6:]
        if name in _BITS:
            return name
        raise ValueError(f"Invalid dtype: {dtype!r}")
    if isinstance(dtype, torch.dtype):
        try:
            return _TORCH_TO_STR[dtype]
        except KeyError:
            raise ValueError(f"Unsupported torch dtype: {dtype}") from None
    if dtype in _PY_TYPES:
        return _PY_TYPES[dtype]
    name = getattr(dtype, "name", None)  # numpy dtypes, tf dtypes, ...
    if name is None and isinstance(dtype, type) and issubclass(dtype, np.generic):
        name = np.dtype(dtype).name
    if isinstance(name, str):
        return standardize_dtype(name)
    raise ValueError(f"Invalid dtype: {dtype!r}")


def to_torch_dtype(dtype):
    if isinstance(dtype, torch.dtype):
        return dtype
    return _STR_TO_TORCH[standardize_dtype(dtype)]


def dtype_of(x):
    """Keras dtype string of a tensor (or of anything with a ``dtype``)."""
    return _TORCH_TO_STR[x.dtype] if isinstance(x, torch.Tensor) else standardize_dtype(x.dtype)










def result_type(*args):
    """The Keras result dtype of ``args`` (tensors, python scalars or dtype names).

    Python scalars are weak: they only matter when nothing stronger is present.
    """
    strong = None
    weak = 0  # 0 none, 1 bool, 2 int, 3 float, 4 complex
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
            if isinstance(a, torch.Tensor):
                d = _TORCH_TO_STR[a.dtype]
            elif isinstance(a, str) or not hasattr(a, "dtype"):
                if isinstance(a, (list, tuple)):
                    d = dtype_of(to_tensor(a))
                else:
                    d = standardize_dtype(a)
            else:
                d = standardize_dtype(a.dtype)
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


def _variable_class():
    return Variable


_fallback_device = None


def get_device():
    """The device new tensors are created on: the backend core's ``DEFAULT_DEVICE``
    when it defines one, else ``cuda`` when available, else ``cpu``."""
    core = sys.modules.get("cornu.backends.torch.core")
    device = getattr(core, "DEFAULT_DEVICE", None) if core is not None else None
    if device is not None:
        return device
    global _fallback_device
    if _fallback_device is None:
        _fallback_device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return _fallback_device


def _from_numpy(arr):
    """A tensor on the default device from a numpy array (copied when torch
    cannot share it: read-only or negatively strided)."""
    if arr.dtype in _WIDENED:  # held in a signed type (see _STR_TO_TORCH)
        return torch.as_tensor(arr.astype(_WIDENED[arr.dtype]), device=get_device())
    if not arr.flags.writeable or builtins.any(s < 0 for s in arr.strides):
        arr = np.array(arr, copy=True)
    return torch.as_tensor(arr, device=get_device())


_WIDENED = {np.dtype("uint16"): np.int32, np.dtype("uint32"): np.int64}


def to_tensor(x, dtype=None):
    """``x`` as a torch tensor (a ``Variable`` is unwrapped; no copy when possible).

    Python floats (and lists of them) become ``floatx()``; python ints become
    ``int32``; numpy arrays keep their dtype.
    """
    if isinstance(x, torch.Tensor):
        if dtype is None:
            return x
        tdt = to_torch_dtype(dtype)
        return x if x.dtype == tdt else x.to(tdt)
    vcls = _variable_class()
    if vcls and isinstance(x, vcls):
        return to_tensor(x.value, dtype)
    if dtype is not None:
        tdt = to_torch_dtype(dtype)
        if isinstance(x, np.ndarray):
            return _from_numpy(x).to(tdt)
        if isinstance(x, (list, tuple)) and any(isinstance(e, torch.Tensor) for e in _flat(x)):
            return torch.stack([to_tensor(e, dtype) for e in x])
        return torch.as_tensor(np.asarray(x, dtype=_np_dtype(dtype)), device=get_device()).to(tdt)
    if isinstance(x, bool):
        return torch.tensor(x, dtype=torch.bool, device=get_device())
    if isinstance(x, int):
        return torch.tensor(x, dtype=torch.int32, device=get_device())
    if isinstance(x, float):
        return torch.tensor(x, dtype=to_torch_dtype(floatx()), device=get_device())
    if isinstance(x, np.ndarray) or isinstance(x, np.generic):
        return _from_numpy(np.asarray(x))
    if isinstance(x, (list, tuple)):
        if any(isinstance(e, torch.Tensor) or (vcls and isinstance(e, vcls)) for e in _flat(x)):
            items = [to_tensor(e) for e in x]
            dt = result_type(*items)
            return torch.stack([to_tensor(e, dt) for e in items])
        arr = np.asarray(x)
        if arr.dtype == np.float64:
            arr = arr.astype(_np_dtype(floatx()))
        elif arr.dtype == np.int64:
            arr = arr.astype(np.int32)
        return _from_numpy(arr)
    if hasattr(x, "__array__") or hasattr(x, "numpy"):
        arr = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
        return _from_numpy(arr)
    return torch.as_tensor(x, device=get_device())


def _flat(items):
    for e in items:
        if isinstance(e, (list, tuple)):
            yield from _flat(e)
        else:
            yield e


def _np_dtype(dtype):
    dtype = standardize_dtype(dtype)
    if dtype == "bfloat16":
        return np.float32
    return np.dtype(dtype)


def cast(x, dtype):
    x = to_tensor(x)
    tdt = to_torch_dtype(dtype)
    return x if x.dtype == tdt else x.to(tdt)


def to_numpy(x):
    x = to_tensor(x)
    if x.requires_grad:
        x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.cpu().numpy()


def promote(*xs, dtype=None):
    """Convert ``xs`` to tensors of one common (Keras) dtype."""
    if dtype is None and len(xs) == 2:
        a, b = xs  # the common binary case: two plain tensors that already agree
        if type(a) is torch.Tensor and type(b) is torch.Tensor and a.dtype == b.dtype:
            return xs
    xs = [x.value if isinstance(x, Variable) else x for x in xs]
    if dtype is None:
        # fast path: tensors that already agree (the common case in a model)
        first = xs[0] if xs else None
        if isinstance(first, torch.Tensor) and builtins.all(
            isinstance(x, torch.Tensor) and x.dtype == first.dtype for x in xs
        ):
            return list(xs)
        dtype = result_type(*[_unwrap(x) for x in xs])
    tdt = to_torch_dtype(dtype)
    out = []
    for x in xs:
        if isinstance(x, torch.Tensor):
            out.append(x if x.dtype == tdt else x.to(tdt))
        elif isinstance(x, (bool, int, float)):
            out.append(torch.tensor(x, dtype=tdt, device=get_device()))
        else:
            out.append(to_tensor(x, dtype))
    return out


def _unwrap(x):
    if isinstance(x, (torch.Tensor, bool, int, float, complex)):
        return x
    vcls = _variable_class()
    if vcls and isinstance(x, vcls):
        return x.value
    if isinstance(x, (np.ndarray, np.generic)):
        return x
    return to_tensor(x)


def to_float(x):
    """A tensor with a float dtype: ints and bools become ``floatx()``."""
    x = to_tensor(x)
    if not x.is_floating_point() and not x.is_complex():
        x = x.to(to_torch_dtype(floatx()))
    return x
