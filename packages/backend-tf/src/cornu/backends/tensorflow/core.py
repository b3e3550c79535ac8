"""Tensors, variables, dtypes and symbolic shape inference on TensorFlow."""
import numpy as np
import tensorflow as tf

from cornu import config
from cornu.backends.tensorflow._utils import standardize_dtype, to_tf_dtype
from cornu.symbolic import KerasTensor
from cornu.variables import Variable


def is_tensor(x):
    return tf.is_tensor(x)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A tf.Tensor; Variables give their tf.Variable (usable wherever a tensor is)."""
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
    if tf.is_tensor(x) or isinstance(x, tf.Variable):
        return x.numpy()
    return np.asarray(x)


def cast(x, dtype):
    return convert_to_tensor(x, dtype=dtype)


def shape(x):
    static = tuple(x.shape)
    if None in static:
        dynamic = tf.shape(x)
        return tuple(dynamic[i] if d is None else d for i, d in enumerate(static))
    return static


def dtype(x):
    return standardize_dtype(convert_to_tensor(x).dtype)


def stop_gradient(x):
    return tf.stop_gradient(convert_to_tensor(x))


def device_name():
    gpus = tf.config.list_logical_devices("GPU")
    return gpus[0].name if gpus else "/device:CPU:0"


# -- variables --------------------------------------------------------------
def make_variable(value, dtype, trainable, name):
    tensor = convert_to_tensor(value, dtype=dtype)
    differentiable = tensor.dtype.is_floating or tensor.dtype.is_complex
    return tf.Variable(tensor, trainable=bool(trainable and differentiable),
                       name=name.replace("/", "_"))


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
            return KerasTensor(tuple(t.shape), dtype=t.dtype.name)
        return t

    return tree.map_structure(spec, outputs)
