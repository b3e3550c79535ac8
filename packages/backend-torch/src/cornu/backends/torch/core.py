"""Tensors, variables, dtypes and symbolic shape inference on PyTorch."""
import numpy as np
import torch

from cornu import config
from cornu.backends.torch._utils import standardize_dtype, to_torch_dtype
from cornu.symbolic import KerasTensor
from cornu.variables import Variable

DEFAULT_DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")

def is_tensor(x):
    return isinstance(x, torch.Tensor)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A torch tensor on the default device; Variables give their Parameter."""
    if isinstance(x, torch.Tensor):
        if dtype is None:
            return x
        tdtype = to_torch_dtype(dtype)
        return x if x.dtype == tdtype else x.to(tdtype)
    if isinstance(x, Variable):
        x = x.value
        return x if dtype is None else x.to(to_torch_dtype(dtype))
    if isinstance(x, np.ndarray):
        if not x.flags.writeable or not x.flags.c_contiguous:
            x = np.ascontiguousarray(x).copy()
        if x.dtype == np.float64 and dtype is None:
            pass  # numpy float64 stays float64, as in Keras
        t = torch.from_numpy(x)
    elif isinstance(x, (bool, np.bool_)):
        t = torch.tensor(bool(x))
    elif isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        t = torch.tensor(int(x), dtype=torch.int32 if dtype is None else to_torch_dtype(dtype))
    elif isinstance(x, (float, np.floating)):
        t = torch.tensor(float(x), dtype=to_torch_dtype(dtype or config.floatx()))
    else:
        if hasattr(x, "__array__") or isinstance(x, (list, tuple)):
            arr = np.asarray(x)
            if arr.dtype == np.float64 and dtype is None:
                arr = arr.astype(config.floatx())
            elif arr.dtype == np.int64 and dtype is None and isinstance(x, (list, tuple)):
                arr = arr.astype("int32")
            t = torch.from_numpy(np.ascontiguousarray(arr).copy())
        else:
            t = torch.as_tensor(x)
    if t.device != DEFAULT_DEVICE:
        t = t.to(DEFAULT_DEVICE)
    if dtype is not None:
        tdtype = to_torch_dtype(dtype)
        if t.dtype != tdtype:
            t = t.to(tdtype)
    return t


def convert_to_numpy(x):
    if isinstance(x, Variable):
        x = x.value
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.device.type != "cpu":
            x = x.cpu()
        if x.dtype == torch.bfloat16:
            return x.float().numpy()
        return x.numpy()
    return np.asarray(x)


def cast(x, dtype):
    return convert_to_tensor(x, dtype=dtype)


def shape(x):
    return tuple(x.shape)


def dtype(x):
    return standardize_dtype(convert_to_tensor(x).dtype)


def stop_gradient(x):
    return convert_to_tensor(x).detach()


def device_name():
    return str(DEFAULT_DEVICE)


# -- variables --------------------------------------------------------------
def make_variable(value, dtype, trainable, name):
    tensor = convert_to_tensor(value, dtype=dtype).detach().clone()
    differentiable = tensor.is_floating_point() or tensor.is_complex()
    return torch.nn.Parameter(tensor, requires_grad=bool(trainable and differentiable))


def set_trainable(handle, trainable):
    if handle.is_floating_point():
        handle.requires_grad_(bool(trainable))


def assign(handle, value):
    with torch.no_grad():
        value = convert_to_tensor(value)
        if tuple(value.shape) != tuple(handle.shape):
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to a variable of "
                f"shape {tuple(handle.shape)}"
            )
        handle.copy_(value)
    return handle


def _operand(value, dtype):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value  # a python scalar needs no tensor (and no host-to-device copy)
    return convert_to_tensor(value, dtype=dtype)


def assign_add(handle, value):
    if handle.requires_grad:
        with torch.no_grad():
            handle.add_(_operand(value, handle.dtype))
    else:  # state such as metric totals: no autograd bookkeeping needed
        handle.add_(_operand(value, handle.dtype))
    return handle


def assign_sub(handle, value):
    if handle.requires_grad:
        with torch.no_grad():
            handle.sub_(_operand(value, handle.dtype))
    else:
        handle.sub_(_operand(value, handle.dtype))
    return handle


# -- symbolic shape inference ----------------------------------------------------
def _concretize(structure, fill):
    from cornu import tree

    def make(x):
        if isinstance(x, KerasTensor):
            shape = tuple(fill if d is None else d for d in x.shape)
            return torch.zeros(shape, dtype=to_torch_dtype(x.dtype), device=DEFAULT_DEVICE)
        return x

    return tree.map_structure(make, structure)


def compute_output_spec(fn, *args, **kwargs):
    """Run ``fn`` on small real tensors twice (unknown dims = 2, then 3) to infer shapes.

    Dimensions that differ between the two runs are unknown (``None``).
    """
    from cornu import tree

    with torch.no_grad():
        out_a = fn(*_concretize(args, 2), **_concretize(kwargs, 2))
        has_unknown = any(
            isinstance(x, KerasTensor) and None in x.shape
            for x in tree.flatten([args, list(kwargs.values())])
        )
        out_b = fn(*_concretize(args, 3), **_concretize(kwargs, 3)) if has_unknown else out_a

    def spec(a, b):
        if not isinstance(a, torch.Tensor):
            return a
        shape = tuple(da if da == db else None for da, db in zip(a.shape, b.shape))
        return KerasTensor(shape, dtype=standardize_dtype(a.dtype))

    flat = [spec(a, b) for a, b in zip(tree.flatten(out_a), tree.flatten(out_b))]
    return tree.pack_sequence_as(out_a, flat)
