"""Tensors, variables, dtypes and symbolic shape inference on PyTorch."""
import contextlib

import ml_dtypes
import numpy as np
import torch

from cornu import config
from cornu.backends.torch._utils import _WIDENED, standardize_dtype, to_torch_dtype
from cornu.ops.toolkit import call_grad_fn as _call_grad_fn
from cornu.symbolic import KerasTensor
from cornu.variables import Variable

DEFAULT_DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")

def is_tensor(x):
    return isinstance(x, torch.Tensor)


_NP_BFLOAT16 = np.dtype(ml_dtypes.bfloat16)


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
        if x.dtype in _WIDENED:  # uint16/uint32 are held in signed types, as Keras
            x = x.astype(_WIDENED[x.dtype])
        if not x.flags.writeable or not x.flags.c_contiguous:
            x = np.array(x, order="C", copy=True)  # ascontiguousarray makes a 0-d array 1-d
        if x.dtype == _NP_BFLOAT16:  # torch reads bfloat16 as its raw 16-bit words
            t = torch.from_numpy(x.view(np.int16)).view(torch.bfloat16)
        else:  # numpy float64 stays float64, as in Keras
            t = torch.from_numpy(x)
    elif isinstance(x, (bool, np.bool_)):
        t = torch.tensor(bool(x))
    elif isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        t = torch.tensor(int(x), dtype=torch.int32 if dtype is None else to_torch_dtype(dtype))
    elif isinstance(x, (float, np.floating)):
        t = torch.tensor(float(x), dtype=to_torch_dtype(dtype or config.floatx()))
    elif isinstance(x, (list, tuple)) and any(isinstance(e, (torch.Tensor, Variable)) for e in x):
        # A list of tensors is stacked in torch, so that their gradients flow (as Keras).
        t = torch.stack([convert_to_tensor(e).to(DEFAULT_DEVICE) for e in x])
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


def to_sparse(x):
    """A cornu addition to the op set: ``x`` as a sparse COO tensor (its nonzeros)."""
    x = convert_to_tensor(x)
    return x if x.layout == torch.sparse_coo else x.to_sparse()


def convert_to_numpy(x):
    if isinstance(x, (list, tuple)):
        # A list of tensors (some may require grad) becomes one array, each detached (as Keras).
        if any(isinstance(e, (torch.Tensor, Variable)) for e in x):
            return np.array([convert_to_numpy(e) for e in x])
        return np.asarray(x)
    if isinstance(x, Variable):
        x = x.value
    if isinstance(x, torch.Tensor):
        # A variable's storage is updated in place: its array is a snapshot (as Keras's),
        # where any other tensor's array may share its memory (no copy on the predict path).
        snapshot = isinstance(x, torch.nn.Parameter)
        x = x.detach()
        if x.layout != torch.strided:  # sparse
            x = x.to_dense()
        if x.device.type != "cpu":
            x = x.cpu()
        if x.dtype == torch.bfloat16:  # numpy knows bfloat16 through ml_dtypes (as Keras)
            return x.float().numpy().astype(ml_dtypes.bfloat16)
        return x.numpy().copy() if snapshot else x.numpy()
    return np.asarray(x)


def cast(x, dtype):
    return convert_to_tensor(x, dtype=dtype)


def shape(x):
    return tuple(x.shape)


def dtype(x):
    return standardize_dtype(convert_to_tensor(x).dtype)


def stop_gradient(x):
    return convert_to_tensor(x).detach()


def remat(f):
    """``f`` recomputed in the backward pass instead of keeping its activations
    (``torch.utils.checkpoint``, non-reentrant: kwargs and nested outputs pass)."""
    from torch.utils.checkpoint import checkpoint

    def rematerialized(*args, **kwargs):
        return checkpoint(f, *args, use_reentrant=False, **kwargs)

    return rematerialized


def device_name():
    return str(DEFAULT_DEVICE)


def _parse_device(device_name):
    """A ``torch.device`` from a Keras device name (``"gpu:0"`` is ``cuda:0``)."""
    if isinstance(device_name, torch.device):
        device = device_name
    elif isinstance(device_name, str):
        name = device_name.lower().replace("gpu", "cuda")
        try:
            device = torch.device(name)
        except RuntimeError:
            device = None
        if device is None:
            raise ValueError(
                "Invalid value for argument `device_name`. Expected a string like 'gpu:0' "
                f"or 'cpu'. Received: device_name='{device_name}'")
    else:
        raise ValueError(
            "Invalid value for argument `device_name`. Expected a string like 'gpu:0' or "
            f"'cpu'. Received: device_name='{device_name}'")
    if device.type == "cpu":
        device = torch.device("cpu")  # tensors report "cpu": the index would not compare
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"cornu.device({device_name!r}): torch sees no CUDA device")
    return device


@contextlib.contextmanager
def device_scope(device_name):
    """New tensors and variables go to ``device_name`` inside (``keras.device``).

    It sets this module's ``DEFAULT_DEVICE`` (where cornu's torch ops create tensors
    and ``device_name()`` looks) for the scope, so it holds for the whole process
    while it is open; yields the ``torch.device``."""
    global DEFAULT_DEVICE, _scoped_devices
    device = _parse_device(device_name)
    previous = DEFAULT_DEVICE
    DEFAULT_DEVICE = device
    _scoped_devices += 1
    try:
        yield device
    finally:
        DEFAULT_DEVICE = previous
        _scoped_devices -= 1


_scoped_devices = 0  # open device scopes: variables then move to DEFAULT_DEVICE


# -- variables --------------------------------------------------------------
def traceback_excluded_paths():
    """The directories whose frames cornu's traceback filtering drops (PyTorch's)."""
    import os

    return (os.path.join(os.path.dirname(os.path.abspath(torch.__file__)), ""),)


def make_variable(value, dtype, trainable, name):
    tensor = convert_to_tensor(value, dtype=dtype).detach().clone()
    if _scoped_devices and tensor.device != DEFAULT_DEVICE:
        tensor = tensor.to(DEFAULT_DEVICE)  # inside cornu.device(...): on its device
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


# Stand-ins for unknown (None) dimensions when an op is traced: two runs, and the
# output dimensions that differ between them are unknown.  Sizes with many small
# factors keep reshapes, poolings and strided convolutions valid.
_UNKNOWN_SIZES = (24, 36)


def _placeholders(structure, fill, device):
    from cornu import tree

    def make(x):
        if isinstance(x, KerasTensor):
            shape = tuple(fill if d is None else d for d in x.shape)
            return torch.zeros(shape, dtype=to_torch_dtype(x.dtype), device=device)
        return x

    return tree.map_structure(make, structure)


def compute_op_spec(fn, args, kwargs):
    """Output ``KerasTensor``s of op ``fn`` on symbolic ``args``/``kwargs``.

    Runs ``fn`` on meta tensors (shapes and dtypes only: no kernel touches data);
    ops that need values (data-dependent shapes, host reads) fall back to small
    zero tensors.  Unknown dimensions are replaced by two different sizes.
    """
    from cornu import tree

    unknown = any(isinstance(x, KerasTensor) and None in x.shape
                  for x in tree.flatten([list(args), kwargs]))
    sizes = _UNKNOWN_SIZES if unknown else _UNKNOWN_SIZES[:1]

    def run(device):
        with torch.no_grad():
            return [fn(*_placeholders(args, size, device), **_placeholders(kwargs, size, device))
                    for size in sizes]

    try:
        runs = run("meta")
    except Exception:
        runs = run(DEFAULT_DEVICE)
    out_a, out_b = runs[0], runs[-1]

    def spec(a, b):
        if not isinstance(a, torch.Tensor):
            return a
        if a.ndim != b.ndim:
            raise ValueError("the output rank depends on the unknown dimensions")
        shape = tuple(da if da == db else None for da, db in zip(a.shape, b.shape))
        return KerasTensor(shape, dtype=standardize_dtype(a.dtype))

    flat = [spec(a, b) for a, b in zip(tree.flatten(out_a), tree.flatten(out_b))]
    return tree.pack_sequence_as(out_a, flat)


# -- control flow (Keras semantics; torch runs Python control flow eagerly) ------------
from cornu.ops.toolkit import (  # noqa: E402,F401  (backend-independent ops, bound here)
    associative_scan,
    check_scan_args,
    rearrange,
    saturate_cast,
)


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list."""
    x = convert_to_tensor(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"unstack: num={num} but axis {axis} has size {x.shape[axis]}")
    return list(x.unbind(axis))


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``."""
    return true_fn() if bool(pred) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, ``index`` clipped to the valid range."""
    i = min(max(int(index), 0), len(branches) - 1)
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run ``body`` while ``cond`` holds; a tuple/list of loop variables is unpacked
    into the calls, any other structure (a tensor, a dict) is passed as one argument."""
    from cornu import tree

    is_tuple = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)
    state = tree.map_structure(convert_to_tensor, state)
    iterations = 0
    while (maximum_iterations is None or iterations < maximum_iterations) and bool(
            cond(*state)):
        state = body(*state)
        state = tuple(state) if is_tuple else (state,)
        iterations += 1
    if is_tuple:
        return list(state) if isinstance(loop_vars, list) else state
    return state[0]


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``jax.lax.scan``: ``carry, y = f(carry, x)`` over the leading axis of ``xs``;
    returns the final carry and the stacked ``y``s (aligned with ``xs``)."""
    from cornu import tree

    check_scan_args(f, xs, length, unroll)
    xs_flat = [convert_to_tensor(x) for x in tree.flatten(xs)] if xs is not None else []
    n = int(length) if length is not None else int(xs_flat[0].shape[0])
    carry = tree.map_structure(convert_to_tensor, init)
    ys = [None] * n
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        x = tree.pack_sequence_as(xs, [t[i] for t in xs_flat]) if xs is not None else None
        carry, ys[i] = f(carry, x)
    if n == 0 or ys[0] is None:
        return carry, None
    flat = [tree.flatten(y) for y in ys]
    stacked = [torch.stack([convert_to_tensor(f_[k]) for f_ in flat]) for k in range(len(flat[0]))]
    return carry, tree.pack_sequence_as(ys[0], stacked)


def map(f, xs):
    """``f`` applied to each slice of ``xs`` along the leading axis, outputs stacked."""
    from cornu import tree

    xs_flat = [convert_to_tensor(x) for x in tree.flatten(xs)]
    outs = [f(tree.pack_sequence_as(xs, [t[i] for t in xs_flat]))
            for i in range(int(xs_flat[0].shape[0]))]
    flat = [tree.flatten(o) for o in outs]
    stacked = [torch.stack([convert_to_tensor(o[k]) for o in flat]) for k in range(len(flat[0]))]
    return tree.pack_sequence_as(outs[0], stacked)


def vectorized_map(function, elements):
    """``function`` over the leading axis of ``elements`` with ``torch.vmap`` (a loop
    where vmap cannot trace ``function``, e.g. it reads values on the host)."""
    from cornu import tree

    elements = tree.map_structure(convert_to_tensor, elements)
    try:
        return torch.vmap(function)(elements)
    except Exception:  # noqa: BLE001 - vmap rejects data-dependent code; loop instead
        return map(function, elements)


# -- slices and scatters ----------------------------------------------------------
def _index_list(indices):
    return [int(i) for i in convert_to_numpy(indices).reshape(-1)] if isinstance(
        indices, torch.Tensor) else [int(i) for i in indices]


def slice(inputs, start_indices, shape):
    """The block of ``inputs`` at ``start_indices`` with size ``shape`` (-1: to the end)."""
    inputs = convert_to_tensor(inputs)
    out = inputs
    for axis, (start, size) in enumerate(zip(_index_list(start_indices), _index_list(shape))):
        length = inputs.shape[axis] - start if size == -1 else size
        out = out.narrow(axis, start, length)
    return out


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    inputs = convert_to_tensor(inputs)
    updates = convert_to_tensor(updates, dtype=inputs.dtype)
    out = inputs.clone()
    region = out
    for axis, start in enumerate(_index_list(start_indices)):
        region = region.narrow(axis, start, updates.shape[axis])
    region.copy_(updates)
    return out


def _scatter_positions(indices, ndim):
    indices = convert_to_tensor(indices).long()
    if indices.ndim == 1:
        indices = indices.unsqueeze(-1)
    return tuple(indices[..., k] for k in range(indices.shape[-1]))


def scatter(indices, values, shape):
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (duplicates sum)."""
    values = convert_to_tensor(values)
    shape = tuple(int(d) for d in (_index_list(shape) if isinstance(shape, torch.Tensor) else shape))
    out = torch.zeros(shape, dtype=values.dtype, device=values.device)
    return out.index_put(_scatter_positions(indices, len(shape)), values, accumulate=True)


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with ``updates`` written at ``indices``: replaced (``reduction=None``)
    or combined with ``"add"``, ``"mul"``, ``"max"`` or ``"min"``."""
    inputs = convert_to_tensor(inputs)
    updates = convert_to_tensor(updates, dtype=inputs.dtype)
    positions = _scatter_positions(indices, inputs.ndim)
    if reduction is None:
        return inputs.index_put(positions, updates)
    if reduction == "add":
        return inputs.index_put(positions, updates, accumulate=True)
    reduce = {"mul": "prod", "max": "amax", "min": "amin"}.get(reduction)
    if reduce is None:
        raise ValueError(
            f"scatter_update: reduction must be None, 'add', 'mul', 'max' or 'min', "
            f"received {reduction!r}"
        )
    # Flatten the indexed leading axes and reduce the updates' rows into them.
    depth = len(positions)
    lead = inputs.shape[:depth]
    flat_index = torch.zeros_like(positions[0])
    for k in range(depth):
        flat_index = flat_index * lead[k] + positions[k]
    flat_in = inputs.reshape((-1,) + tuple(inputs.shape[depth:]))
    flat_up = updates.reshape((-1,) + tuple(inputs.shape[depth:]))
    flat_index = flat_index.reshape(-1)
    index = flat_index.reshape((-1,) + (1,) * (flat_in.ndim - 1)).expand_as(flat_up)
    out = flat_in.scatter_reduce(0, index, flat_up, reduce=reduce, include_self=True)
    return out.reshape(inputs.shape)


# -- custom gradients -------------------------------------------------------------------
class _CustomGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, fn, n_args, *args):
        inputs = args[:n_args]
        output, ctx.grad_fn = fn(*inputs)
        ctx.inputs = inputs
        ctx.multi = isinstance(output, (tuple, list))
        return tuple(output) if ctx.multi else output

    @staticmethod
    def backward(ctx, *upstream):
        grads = _call_grad_fn(ctx.grad_fn, ctx.inputs, upstream)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        grads = [None if g is None else convert_to_tensor(g) for g in grads]
        grads += [None] * (len(ctx.inputs) - len(grads))
        return (None, None) + tuple(grads)


def custom_gradient(f):
    """Decorate ``f(*args) -> (output, grad_fn)`` so that autograd uses ``grad_fn``.

    ``grad_fn`` receives the upstream gradient(s) (or, when it declares an
    ``upstream`` parameter, the inputs and ``upstream=``) and returns one gradient
    per input.
    """
    import functools

    @functools.wraps(f)
    def wrapper(*args):
        args = tuple(convert_to_tensor(a) if isinstance(a, Variable) else a for a in args)
        return _CustomGradient.apply(f, len(args), *args)

    return wrapper
