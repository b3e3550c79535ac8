"""Tensors, variables, dtypes and symbolic shape inference on TensorFlow."""
import contextlib
import threading

import numpy as np
import tensorflow as tf

from cornu import config
from cornu.backends.tensorflow._utils import standardize_dtype, to_tf_dtype
from cornu.ops.toolkit import call_grad_fn as _call_grad_fn
from cornu.symbolic import KerasTensor
from cornu.variables import Variable


def is_tensor(x):
    return tf.is_tensor(x)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A tf.Tensor; Variables give their tf.Variable (usable wherever a tensor is).
    ``ragged=True`` makes a (nested) list of rows of different lengths a
    ``tf.RaggedTensor`` (a cornu addition: the "ragged" capability)."""
    if ragged and isinstance(x, (list, tuple)):
        return tf.ragged.constant(x, dtype=None if dtype is None else to_tf_dtype(dtype))
    # As Keras: ``sparse=False`` densifies a SparseTensor, ``ragged=False`` a RaggedTensor.
    if sparse is not None and not sparse and isinstance(x, tf.SparseTensor):
        shape = x.shape
        x = tf.sparse.to_dense(x)
        x.set_shape(shape)
    if ragged is not None and not ragged and isinstance(x, tf.RaggedTensor):
        x = x.to_tensor()
    if isinstance(x, Variable):
        x = x.value
        return x if dtype is None or x.dtype == to_tf_dtype(dtype) else tf.cast(x, to_tf_dtype(dtype))
    if tf.is_tensor(x) or isinstance(x, tf.Variable):
        if dtype is None:
            return x
        tdtype = to_tf_dtype(dtype)
        return x if x.dtype == tdtype else tf.cast(x, tdtype)
    if dtype is not None:
        tdtype = to_tf_dtype(dtype)
        if isinstance(x, np.ndarray) and x.dtype != tdtype.as_numpy_dtype:
            return tf.cast(tf.convert_to_tensor(x), tdtype)
        return tf.convert_to_tensor(x, dtype=tdtype)
    if isinstance(x, np.ndarray):
        return tf.convert_to_tensor(x)
    if isinstance(x, (bool, np.bool_)):
        return tf.constant(bool(x))
    if isinstance(x, (int, np.integer)):
        return tf.constant(int(x), dtype=tf.int32)
    if isinstance(x, (float, np.floating)):
        return tf.constant(float(x), dtype=to_tf_dtype(config.floatx()))
    arr = np.asarray(x)
    if arr.dtype == np.float64:
        arr = arr.astype(config.floatx())
    elif arr.dtype == np.int64 and isinstance(x, (list, tuple)):
        arr = arr.astype("int32")
    return tf.convert_to_tensor(arr)


def convert_to_numpy(x):
    if isinstance(x, Variable):
        x = x.value
    if isinstance(x, tf.SparseTensor):
        x = tf.sparse.to_dense(x)
    if tf.is_tensor(x) or isinstance(x, tf.Variable):
        return x.numpy()
    return np.asarray(x)


def to_sparse(x):
    """A cornu addition to the op set: ``x`` as a ``tf.SparseTensor`` (its nonzeros)."""
    x = convert_to_tensor(x)
    return x if isinstance(x, tf.SparseTensor) else tf.sparse.from_dense(x)


def cast(x, dtype):
    return convert_to_tensor(x, dtype=dtype)


def shape(x):
    static = tuple(x.shape)
    if None in static:
        dynamic = tf.shape(x)
        if isinstance(x, tf.RaggedTensor):
            # A ragged dimension has no single size: it stays None (as in Keras).
            return tuple(d if d is not None else
                         (dynamic[i] if dynamic.is_uniform(i) is not False else None)
                         for i, d in enumerate(static))
        return tuple(dynamic[i] if d is None else d for i, d in enumerate(static))
    return static


def dtype(x):
    return standardize_dtype(convert_to_tensor(x).dtype)


def stop_gradient(x):
    return tf.stop_gradient(convert_to_tensor(x))


def remat(f):
    """``f`` recomputed in the backward pass instead of keeping its activations
    (``tf.recompute_grad``).  Keyword arguments (``training``, a mask) are bound into
    the recomputed function: in a graph ``recompute_grad`` takes positional ones only."""
    positional = tf.recompute_grad(f)

    def rematerialized(*args, **kwargs):
        if not kwargs:
            return positional(*args)
        return tf.recompute_grad(lambda *a: f(*a, **kwargs))(*args)

    return rematerialized


def device_name():
    stack = getattr(_device_scopes, "stack", None)
    if stack:
        return stack[-1]
    gpus = tf.config.list_logical_devices("GPU")
    return gpus[0].name if gpus else "/device:CPU:0"


#: ``stack``: this thread's open device_scopes' devices, innermost last (tf.device's
#: own scope is per thread too).
_device_scopes = threading.local()


@contextlib.contextmanager
def device_scope(device_name):
    """``tf.device`` for a Keras device name (``"cpu"``, ``"gpu:0"``): the tensors and
    variables created inside go there (``keras.device``).  The device must be one
    TensorFlow sees (a ``"gpu"`` without a GPU is a ValueError, not a silent CPU)."""
    if not isinstance(device_name, str):
        raise ValueError(
            "Invalid value for argument `device_name`. Expected a string like 'gpu:0' or "
            f"'cpu'. Received: device_name='{device_name}'")
    try:
        spec = tf.DeviceSpec.from_string(device_name)
    except ValueError:
        spec = None
    if spec is None or spec.device_type is None:
        raise ValueError(
            "Invalid value for argument `device_name`. Expected a string like 'gpu:0' or "
            f"'cpu'. Received: device_name='{device_name}'")
    kind = spec.device_type.upper()
    available = tf.config.list_logical_devices(kind)
    index = spec.device_index or 0
    if index >= len(available):
        raise ValueError(
            f"cornu.device({device_name!r}): TensorFlow sees {len(available)} {kind} "
            "device(s)")
    name = f"/device:{kind}:{index}"
    stack = getattr(_device_scopes, "stack", None)
    if stack is None:
        stack = _device_scopes.stack = []
    stack.append(name)
    try:
        with tf.device(name):
            yield name
    finally:
        stack.pop()


# -- variables --------------------------------------------------------------
#: Variables are created and initialized under it (``cornu.Variable``): a layer that
#: builds inside a tf.function or a symbolic trace still gets eager ``tf.Variable``s.
init_scope = tf.init_scope


def traceback_excluded_paths():
    """The directories whose frames cornu's traceback filtering drops (TensorFlow's)."""
    import os

    return (os.path.join(os.path.dirname(os.path.abspath(tf.__file__)), ""),)


def unwrap_exception(err):
    """The exception first raised, where ``err`` is AutoGraph's re-raise of it (the
    "in user code:" report a ``tf.function`` trace makes of an error in converted
    code; the original is its ``__context__``, carrying the same metadata).  A
    runtime error of a compiled step ("Graph execution error:", then the Python
    frames that built the failing op) keeps its type and the op's own message."""
    metadata = getattr(err, "ag_error_metadata", None)
    while metadata is not None:
        inner = err.__context__
        if inner is None or getattr(inner, "ag_error_metadata", None) is None:
            break
        err, metadata = inner, inner.ag_error_metadata
    if isinstance(err, tf.errors.OpError) and err.message.startswith("Graph execution error:"):
        parts = err.message.split("\n\n")
        last_frame = max((i for i, p in enumerate(parts) if p.startswith("  File ")), default=-1)
        message = "\n\n".join(parts[last_frame + 1:]).strip()
        if message:
            try:
                return type(err)(err.node_def, err.op, message)
            except TypeError:  # OpError itself: the error code is an argument
                return tf.errors.OpError(err.node_def, err.op, message, err.error_code)
    return err


def make_variable(value, dtype, trainable, name):
    tensor = convert_to_tensor(value, dtype=dtype)
    differentiable = tensor.dtype.is_floating or tensor.dtype.is_complex
    trainable = bool(trainable and differentiable)
    # Under a tf.distribute strategy, state that layers update inside the step
    # (BatchNormalization's moving statistics) is averaged over the replicas.
    # Integer state (counters) is updated in cross-replica context: the first replica's.
    if trainable:
        aggregation = tf.VariableAggregation.NONE
    elif tensor.dtype.is_floating:
        aggregation = tf.VariableAggregation.MEAN
    else:
        aggregation = tf.VariableAggregation.ONLY_FIRST_REPLICA
    return tf.Variable(tensor, trainable=trainable, name=name.replace("/", "_"),
                       aggregation=aggregation)


def _variable_to_tensor(variable, dtype=None, name=None, as_ref=False):
    # A tf.Tensor operator (`x * self.w`) converts its other operand with
    # tf.convert_to_tensor; without this hook a cornu Variable falls back to
    # `__array__`, a host copy that drops the gradient (eager) and fails inside a
    # graph.  `value` is the native variable, read in the autocast dtype under a
    # mixed-precision layer.
    return tf.convert_to_tensor(variable.value, dtype=dtype, name=name)


tf.register_tensor_conversion_function(Variable, _variable_to_tensor)


def set_trainable(handle, trainable):
    # tf.Variable.trainable is read-only; cornu consults Variable.trainable instead.
    pass


def assign(handle, value):
    value = convert_to_tensor(value, dtype=handle.dtype)
    if tuple(value.shape) != tuple(handle.shape):
        raise ValueError(
            f"Cannot assign a value of shape {tuple(value.shape)} to a variable of "
            f"shape {tuple(handle.shape)}"
        )
    handle.assign(value)
    return handle


def assign_add(handle, value):
    handle.assign_add(convert_to_tensor(value, dtype=handle.dtype))
    return handle


def assign_sub(handle, value):
    handle.assign_sub(convert_to_tensor(value, dtype=handle.dtype))
    return handle


# -- symbolic shape inference ----------------------------------------------------
def compute_output_spec(fn, *args, **kwargs):
    """Trace ``fn`` in a tf.function graph with ``None`` dims and read the static shapes."""
    from cornu import tree

    def to_spec(x):
        if isinstance(x, KerasTensor):
            # As Keras: a sparse placeholder is a SparseTensor (a ragged one is traced dense).
            if x.sparse:
                return tf.SparseTensorSpec(x.shape, to_tf_dtype(x.dtype))
            return tf.TensorSpec(x.shape, to_tf_dtype(x.dtype))
        return x

    flat_args = tree.flatten([list(args), kwargs])
    positions = [i for i, x in enumerate(flat_args) if isinstance(x, KerasTensor)]
    specs = [to_spec(flat_args[i]) for i in positions]

    def traced(*tensors):
        values = list(flat_args)
        for i, t in zip(positions, tensors):
            values[i] = t
        a, k = tree.pack_sequence_as([list(args), kwargs], values)
        return fn(*a, **k)

    concrete = tf.function(traced, autograph=False).get_concrete_function(*specs)
    outputs = concrete.structured_outputs

    def spec(t):
        if tf.is_tensor(t):
            return KerasTensor(tuple(t.shape), dtype=t.dtype.name,
                               sparse=isinstance(t, tf.SparseTensor))
        return t

    return tree.map_structure(spec, outputs)


# Stand-ins for unknown dimensions when an op cannot be traced with ``None`` ones.
_UNKNOWN_SIZES = (24, 36)


def compute_op_spec(fn, args, kwargs):
    """Output ``KerasTensor``s of op ``fn`` on symbolic ``args``/``kwargs``.

    Traces ``fn`` in a graph with the unknown dimensions left ``None``; an op that
    needs static sizes is traced twice with two stand-in sizes instead, and the
    output dimensions that differ between the two traces are unknown.
    """
    from cornu import tree

    try:
        return compute_output_spec(fn, *args, **kwargs)
    except Exception:
        if not any(isinstance(x, KerasTensor) and None in x.shape
                   for x in tree.flatten([list(args), kwargs])):
            raise

    def fixed(size):
        def make(x):
            if isinstance(x, KerasTensor):
                return KerasTensor(tuple(size if d is None else d for d in x.shape), x.dtype)
            return x

        return compute_output_spec(fn, *tree.map_structure(make, list(args)),
                                   **tree.map_structure(make, kwargs))

    out_a, out_b = fixed(_UNKNOWN_SIZES[0]), fixed(_UNKNOWN_SIZES[1])

    def spec(a, b):
        if not isinstance(a, KerasTensor):
            return a
        if len(a.shape) != len(b.shape):
            raise ValueError("the output rank depends on the unknown dimensions")
        return KerasTensor(tuple(da if da == db else None for da, db in zip(a.shape, b.shape)),
                           dtype=a.dtype)

    flat = [spec(a, b) for a, b in zip(tree.flatten(out_a), tree.flatten(out_b))]
    return tree.pack_sequence_as(out_a, flat)


# -- control flow (graph control flow: works eagerly and inside tf.function) ----------
from cornu.ops.toolkit import (  # noqa: E402,F401  (backend-independent ops, bound here)
    associative_scan,
    check_scan_args,
    rearrange,
    saturate_cast,
)


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()`` (``tf.cond`` on a graph tensor)."""
    if isinstance(pred, (bool, np.bool_)):
        return true_fn() if pred else false_fn()
    return tf.cond(convert_to_tensor(pred), true_fn, false_fn)


def switch(index, branches, *operands):
    """``branches[index](*operands)``, ``index`` clipped to the valid range."""
    if isinstance(index, (int, np.integer)):
        return branches[min(max(int(index), 0), len(branches) - 1)](*operands)
    index = tf.clip_by_value(tf.cast(convert_to_tensor(index), tf.int32), 0, len(branches) - 1)
    return tf.switch_case(index, [lambda b=b: b(*operands) for b in branches])


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """``tf.while_loop``; a tuple/list of loop variables is unpacked into the calls,
    any other structure (a tensor, a dict) is passed as one argument."""
    is_tuple = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)

    def step(*args):
        out = body(*args)
        return tuple(out) if is_tuple else (out,)

    out = tf.while_loop(cond, step, state, maximum_iterations=maximum_iterations)
    if is_tuple:
        return list(out) if isinstance(loop_vars, list) else tuple(out)
    return out[0]


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` from ``lower`` to ``upper - 1``."""
    if isinstance(lower, (int, np.integer)) and isinstance(upper, (int, np.integer)) and (
            tf.executing_eagerly()):
        val = init_val
        for i in range(int(lower), int(upper)):
            val = body_fun(i, val)  # a Python int, as on torch
        return val
    lower = tf.cast(convert_to_tensor(lower), tf.int32)
    upper = tf.cast(convert_to_tensor(upper), tf.int32)
    return tf.while_loop(lambda i, val: i < upper,
                         lambda i, val: (i + 1, body_fun(i, val)), (lower, init_val))[1]


def _leading_size(t):
    n = t.shape[0]
    return n if n is not None else tf.shape(t)[0]


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``jax.lax.scan``: ``carry, y = f(carry, x)`` over the leading axis of ``xs``;
    returns the final carry and the stacked ``y``s (aligned with ``xs``).  A
    ``tf.while_loop`` writing the ``y``s into ``TensorArray``s."""
    from cornu import tree

    check_scan_args(f, xs, length, unroll)
    xs_flat = [convert_to_tensor(x) for x in tree.flatten(xs)] if xs is not None else []
    n = int(length) if length is not None else _leading_size(xs_flat[0])
    init_flat = [convert_to_tensor(c) for c in tree.flatten(init)]

    def x_at(i):
        if xs is None:
            return None
        return tree.pack_sequence_as(xs, [tf.gather(t, i) for t in xs_flat])

    # The structure and dtypes of ``y``: trace ``f`` once on specs (runs nothing).
    def probe(*flat):
        carry = tree.pack_sequence_as(init, list(flat[:len(init_flat)]))
        x = tree.pack_sequence_as(xs, list(flat[len(init_flat):])) if xs is not None else None
        return f(carry, x)[1]

    specs = [tf.TensorSpec(c.shape, c.dtype) for c in init_flat] + [
        tf.TensorSpec(t.shape[1:], t.dtype) for t in xs_flat]
    y_struct = tf.function(probe, autograph=False).get_concrete_function(*specs).structured_outputs
    if y_struct is None:
        y_leaves = []
    else:
        y_leaves = tree.flatten(y_struct)
    arrays = [tf.TensorArray(y.dtype, size=n, element_shape=y.shape) for y in y_leaves]
    parallel = (n if isinstance(n, int) else 10) if unroll is True else int(unroll)

    def body(step, carry_flat, arrays):
        i = n - 1 - step if reverse else step
        carry = tree.pack_sequence_as(init, list(carry_flat))
        carry, y = f(carry, x_at(i))
        carry_flat = [tf.cast(convert_to_tensor(c), c0.dtype)
                      for c, c0 in zip(tree.flatten(carry), init_flat)]
        ys = tree.flatten(y) if y is not None else []
        arrays = [a.write(i, convert_to_tensor(v)) for a, v in zip(arrays, ys)]
        return step + 1, carry_flat, arrays

    _, carry_flat, arrays = tf.while_loop(
        lambda step, *_: step < n, body, (tf.constant(0), init_flat, arrays),
        parallel_iterations=max(parallel, 1))
    carry = tree.pack_sequence_as(init, list(carry_flat))
    if y_struct is None:
        return carry, None
    return carry, tree.pack_sequence_as(y_struct, [a.stack() for a in arrays])


def map(f, xs):
    """``f`` applied to each slice of ``xs`` along the leading axis (``tf.map_fn``)."""
    from cornu import tree

    xs = tree.map_structure(convert_to_tensor, xs)
    flat = tree.flatten(xs)
    specs = [tf.TensorSpec(t.shape[1:], t.dtype) for t in flat]
    out = tf.function(lambda *a: f(tree.pack_sequence_as(xs, list(a))),
                      autograph=False).get_concrete_function(*specs).structured_outputs
    signature = tree.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), out)
    return tf.map_fn(f, xs, fn_output_signature=signature)


def vectorized_map(function, elements):
    """``function`` over the leading axis of ``elements`` (``tf.vectorized_map``)."""
    from cornu import tree

    # pfor traces ``function`` itself; AutoGraph would only warn about lambdas.
    return tf.vectorized_map(tf.autograph.experimental.do_not_convert(function),
                             tree.map_structure(convert_to_tensor, elements))


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list."""
    return tf.unstack(convert_to_tensor(x), num=num, axis=axis)


# -- slices and scatters ----------------------------------------------------------
def slice(inputs, start_indices, shape):
    """The block of ``inputs`` at ``start_indices`` with size ``shape`` (-1: to the end)."""
    return tf.slice(convert_to_tensor(inputs), start_indices, shape)


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    inputs = convert_to_tensor(inputs)
    updates = convert_to_tensor(updates, dtype=inputs.dtype)
    rank = len(inputs.shape)
    start = tf.cast(convert_to_tensor(start_indices), tf.int32)
    size = tf.shape(updates)
    grids = tf.meshgrid(*[tf.range(size[k]) + start[k] for k in range(rank)], indexing="ij")
    return tf.tensor_scatter_nd_update(inputs, tf.stack(grids, axis=-1), updates)


def _scatter_indices(indices):
    indices = convert_to_tensor(indices)
    if not indices.dtype.is_integer:
        indices = tf.cast(indices, tf.int64)
    if len(indices.shape) == 1:
        indices = indices[:, None]
    return indices


def scatter(indices, values, shape):
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (duplicates sum)."""
    indices = _scatter_indices(indices)
    return tf.scatter_nd(indices, convert_to_tensor(values), tf.cast(shape, indices.dtype))


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with ``updates`` written at ``indices``: replaced (``reduction=None``)
    or combined with ``"add"``, ``"mul"``, ``"max"`` or ``"min"``."""
    inputs = convert_to_tensor(inputs)
    indices = _scatter_indices(indices)
    updates = convert_to_tensor(updates, dtype=inputs.dtype)
    if reduction is None:
        return tf.tensor_scatter_nd_update(inputs, indices, updates)
    if reduction == "add":
        return tf.tensor_scatter_nd_add(inputs, indices, updates)
    if reduction == "max":
        return tf.tensor_scatter_nd_max(inputs, indices, updates)
    if reduction == "min":
        return tf.tensor_scatter_nd_min(inputs, indices, updates)
    if reduction == "mul":
        # No tensor_scatter_nd_mul: multiply in the log-free way, one segment product
        # per indexed position (duplicates multiply together).
        depth = indices.shape[-1]
        lead = tf.shape(inputs, out_type=indices.dtype)[:depth]
        strides = tf.math.cumprod(lead, exclusive=True, reverse=True)
        flat_index = tf.reduce_sum(indices * strides, axis=-1)
        rows = tf.reduce_prod(lead)
        tail = tf.shape(inputs)[depth:]
        flat_up = tf.reshape(updates, tf.concat([[-1], tail], 0))
        product = tf.math.unsorted_segment_prod(flat_up, tf.reshape(flat_index, [-1]), rows)
        flat_in = tf.reshape(inputs, tf.concat([[-1], tail], 0))
        return tf.reshape(flat_in * product, tf.shape(inputs))
    raise ValueError(
        f"scatter_update: reduction must be None, 'add', 'mul', 'max' or 'min', "
        f"received {reduction!r}"
    )


# -- custom gradients -------------------------------------------------------------------
def custom_gradient(f):
    """Decorate ``f(*args) -> (output, grad_fn)`` so that autodiff uses ``grad_fn``.

    ``grad_fn`` receives the upstream gradient(s) (or, when it declares an
    ``upstream`` parameter, the inputs and ``upstream=``) and returns one gradient
    per input.
    """
    import functools

    @functools.wraps(f)
    def wrapper(*args):
        args = tuple(convert_to_tensor(a) if isinstance(a, Variable) else a for a in args)

        @tf.custom_gradient
        def inner(*inputs):
            output, grad_fn = f(*inputs)

            def grad(*upstream, variables=None):
                grads = _call_grad_fn(grad_fn, inputs, upstream)
                if variables:
                    return grads, [None] * len(variables)
                return grads

            return output, grad

        return inner(*args)

    return wrapper
