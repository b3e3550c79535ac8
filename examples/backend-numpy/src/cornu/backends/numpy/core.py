"""Tensors, variables, dtypes and symbolic shape inference on NumPy."""
import numpy as np
from cornu import config
from cornu.backends.numpy._utils import (
    Tensor,
    as_tensor,
    exported,
    standardize_dtype,
    to_np_dtype,
)
from cornu.symbolic import KerasTensor
from cornu.variables import Variable

__all__ = ["Tensor", "standardize_dtype"]


def is_tensor(x):
    return isinstance(x, np.ndarray)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A ``Tensor`` (no copy when ``x`` already is an array of that dtype)."""
    if isinstance(x, Variable):
        x = x.value
    if isinstance(x, np.ndarray):
        t = x
    elif isinstance(x, KerasTensor):
        raise ValueError("A symbolic KerasTensor has no value (convert_to_tensor)")
    elif isinstance(x, (bool, np.bool_)):
        t = np.asarray(bool(x))
    elif isinstance(x, (int, np.integer)):
        t = np.asarray(int(x), dtype=np.int32 if dtype is None else to_np_dtype(dtype))
    elif isinstance(x, (float, np.floating)):
        t = np.asarray(float(x), dtype=to_np_dtype(dtype or config.floatx()))
    else:
        t = np.asarray(x)
        if isinstance(x, (list, tuple)) and dtype is None:
            if t.dtype == np.float64:
                t = t.astype(to_np_dtype(config.floatx()))
            elif t.dtype == np.int64:
                t = t.astype(np.int32)
    if dtype is not None:
        want = to_np_dtype(dtype)
        if t.dtype != want:
            t = t.astype(want)
    return as_tensor(t)


def convert_to_numpy(x):
    if isinstance(x, Variable):
        x = x.value
    return np.asarray(x)


def cast(x, dtype):
    return convert_to_tensor(x, dtype=dtype)


def shape(x):
    return tuple(np.shape(x.value if isinstance(x, Variable) else x))


def dtype(x):
    return standardize_dtype(convert_to_tensor(x).dtype)


def stop_gradient(x):
    return convert_to_tensor(x)  # no gradients on this backend


def device_name():
    return "cpu"


# -- variables: a Tensor updated in place ------------------------------------------
def make_variable(value, dtype, trainable, name):
    return np.array(convert_to_tensor(value, dtype=dtype), copy=True).view(Tensor)


def set_trainable(handle, trainable):
    """Nothing to do: nothing is differentiated on this backend."""


def assign(handle, value):
    value = np.asarray(convert_to_tensor(value))
    if value.shape != handle.shape:
        raise ValueError(
            f"Cannot assign a value of shape {value.shape} to a variable of shape "
            f"{handle.shape}"
        )
    handle[...] = value
    return handle


def assign_add(handle, value):
    handle += np.asarray(convert_to_tensor(value), dtype=handle.dtype)
    return handle


def assign_sub(handle, value):
    handle -= np.asarray(convert_to_tensor(value), dtype=handle.dtype)
    return handle


# -- symbolic shape inference --------------------------------------------------------
_UNKNOWN_SIZES = (2, 3)


def _placeholders(structure, size):
    from cornu import tree

    def make(x):
        if isinstance(x, KerasTensor):
            shape = tuple(size if d is None else d for d in x.shape)
            return np.zeros(shape, dtype=to_np_dtype(x.dtype)).view(Tensor)
        return x

    return tree.map_structure(make, structure)


def _specs(out_a, out_b):
    from cornu import tree

    def spec(a, b):
        if not isinstance(a, np.ndarray):
            return a
        if a.ndim != b.ndim:
            raise ValueError("the output rank depends on the unknown dimensions")
        shape = tuple(da if da == db else None for da, db in zip(a.shape, b.shape))
        return KerasTensor(shape, dtype=standardize_dtype(a.dtype))

    flat = [spec(a, b) for a, b in zip(tree.flatten(out_a), tree.flatten(out_b))]
    return tree.pack_sequence_as(out_a, flat)


def compute_output_spec(fn, *args, **kwargs):
    """Run ``fn`` on zeros (unknown dimensions 2, then 3) to infer output shapes.

    Dimensions that differ between the two runs are unknown (``None``).
    """
    from cornu import tree

    out_a = fn(*_placeholders(args, _UNKNOWN_SIZES[0]),
               **_placeholders(kwargs, _UNKNOWN_SIZES[0]))
    unknown = any(isinstance(x, KerasTensor) and None in x.shape
                  for x in tree.flatten([list(args), kwargs]))
    out_b = out_a
    if unknown:
        out_b = fn(*_placeholders(args, _UNKNOWN_SIZES[1]),
                   **_placeholders(kwargs, _UNKNOWN_SIZES[1]))
    return _specs(out_a, out_b)


def compute_op_spec(fn, args, kwargs):
    """Output ``KerasTensor``s of op ``fn`` on symbolic ``args``/``kwargs``."""
    return compute_output_spec(fn, *args, **kwargs)


exported(globals())

# Ops cornu-core writes once on top of cornu.ops; every backend binds them.
from cornu.ops.toolkit import associative_scan, rearrange, saturate_cast  # noqa: E402,F401
