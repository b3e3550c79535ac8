"""Shared machinery of the non-image preprocessing layers (private to cornu.layers).

What runs where:

* Numeric work (normalizing, bucketizing, one-hot/multi-hot/count encoding, integer
  lookups, spectrograms) is done with ``cornu.ops`` on the backend's tensors, so it
  stays on the device and inside ``tf.function``/``torch.compile`` graphs.
* Strings never become backend tensors (torch has none): string inputs arrive as
  numpy arrays or Python lists of ``str``/``bytes`` and are processed on the host
  (numpy and pure Python), then the integer or float results become backend tensors.
  On the TensorFlow backend a ``tf.Tensor`` of strings is accepted too: eagerly its
  values are read on the host; inside a traced graph (``tf.function``,
  ``tf.data.Dataset.map``) the same host function runs through ``tf.numpy_function``,
  so both backends and both modes give identical results.
"""
import numpy as np

from cornu import ops
from cornu.symbolic import KerasTensor


def supports(capability):
    """Whether the bound backend declares ``capability`` (``"strings"``, ``"ragged"``)."""
    from cornu.backend import supports as _supports

    return _supports(capability)


# -- recognising inputs ---------------------------------------------------------------------
# A ``tf.Tensor`` input is recognised by its own type, on any backend (framework interop,
# as a tf.data pipeline feeds one): what the bound backend can do is asked of it instead.
def is_tf_tensor(x):
    return type(x).__module__.startswith("tensorflow")


def is_tf_graph_tensor(x):
    """A symbolic ``tf.Tensor`` inside a traced function (it has no value yet)."""
    if not is_tf_tensor(x):
        return False
    import tensorflow as tf

    return not tf.executing_eagerly() or not hasattr(x, "numpy")


def is_string_like(x):
    """Whether ``x`` holds strings: a str/bytes, a numpy array or (nested) list of them,
    or a ``tf.Tensor`` of dtype string."""
    if isinstance(x, (str, bytes, np.str_, np.bytes_)):
        return True
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "USO":
            return x.dtype.kind != "O" or _first_is_text(x.reshape(-1))
        return False
    if is_tf_tensor(x):
        return getattr(x, "dtype", None) is not None and x.dtype.name == "string"
    if isinstance(x, (list, tuple)):
        return _first_is_text(x)
    return False


def _first_is_text(seq):
    for item in seq:
        if isinstance(item, (list, tuple, np.ndarray)):
            if len(item):
                return _first_is_text(item)
            continue
        return isinstance(item, (str, bytes, np.str_, np.bytes_))
    return False


def to_numpy(x):
    """Host numpy array of any tensor, Variable, list or scalar."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "value") and type(x).__name__ == "Variable":
        x = x.value
    module = type(x).__module__
    if module.startswith("torch"):
        return x.detach().cpu().numpy()
    if module.startswith("tensorflow"):
        return x.numpy()
    return np.asarray(x)


def to_text_array(x, encoding="utf-8"):
    """A numpy ``object`` array of Python ``str`` from strings in any container."""
    if is_tf_tensor(x):
        x = x.numpy()
    arr = np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x
    if arr.dtype.kind == "U":
        return arr.astype(object)
    if arr.dtype.kind == "S" or arr.dtype.kind == "O":
        flat = [v.decode(encoding) if isinstance(v, (bytes, np.bytes_)) else str(v)
                for v in arr.reshape(-1).tolist()]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(arr.shape)
    return arr.astype(str).astype(object)


def symbolic_spec(shape, dtype):
    return KerasTensor(tuple(shape), dtype=dtype)


# -- running host code from a TensorFlow graph ----------------------------------------
def host_call(fn, x, out_dtype, out_shape=None, stateful=False):
    """Apply the numpy function ``fn`` to ``x``; graph tensors go through ``tf.numpy_function``.

    ``fn`` takes and returns numpy arrays; its result becomes a backend tensor (a numpy
    object array of strings stays numpy: torch cannot hold it).  ``stateful``: ``fn``
    draws random numbers (the graph must not fold or reuse its result).
    """
    if is_tf_graph_tensor(x):
        import tensorflow as tf

        tout = tf.string if out_dtype == "string" else tf.as_dtype(out_dtype)

        def wrapped(value):
            result = fn(value)
            if out_dtype == "string":
                return np.asarray(
                    [s.encode("utf-8") for s in np.asarray(result).reshape(-1).tolist()],
                    dtype=object).reshape(np.shape(result))
            return np.asarray(result, dtype=out_dtype)

        y = tf.numpy_function(wrapped, [x], tout, stateful=stateful)
        if out_shape is not None:
            y.set_shape(out_shape)
        return y
    result = fn(x)
    if out_dtype == "string":
        if is_tf_tensor(x):
            import tensorflow as tf

            return tf.constant(np.asarray(result).astype(str))
        return result
    return ops.convert_to_tensor(np.asarray(result, dtype=out_dtype), dtype=out_dtype)


# -- categorical encoding ---------------------------------------------------------------
def encode_categorical(indices, output_mode, depth, dtype, count_weights=None):
    """Encode integer ``indices`` (a backend tensor) as Keras does.

    ``"int"`` casts; ``"one_hot"`` encodes every element (a trailing axis of size 1 is
    replaced by the encoding); ``"multi_hot"`` and ``"count"`` treat the last axis as
    the sample (rank 1 is one sample, a scalar is upranked first).
    """
    if output_mode == "int":
        return ops.cast(indices, dtype)
    shape = tuple(indices.shape)
    if len(shape) == 0:
        indices = ops.expand_dims(indices, -1)
        shape = (1,)
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            indices = ops.squeeze(indices, axis=-1)
        return ops.one_hot(indices, depth, dtype=dtype)
    onehot = ops.one_hot(indices, depth, dtype=dtype if count_weights is None
                         else count_weights.dtype)
    if output_mode == "multi_hot":
        return ops.max(onehot, axis=-2)
    if count_weights is not None:
        onehot = ops.multiply(onehot, ops.expand_dims(count_weights, -1))
    return ops.sum(onehot, axis=-2)


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of ``encode_categorical`` for an input shape."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)


# -- adapt data ---------------------------------------------------------------------------
def _is_tf_dataset(data):
    return type(data).__module__.startswith("tensorflow") and hasattr(data, "element_spec")


def first_of_batch(batch):
    """``x`` of an ``(x, y)`` or ``(x, y, sample_weight)`` batch."""
    if isinstance(batch, tuple) and batch and not isinstance(batch[0], (str, bytes)):
        return batch[0]
    return batch


def adapt_batches(data, batch_size=None, steps=None, layer="layer", list_is_batches=False):
    """Yield the batches ``adapt()`` consumes, as host values (numpy arrays or lists).

    ``data``: a numpy array, a backend tensor, a (nested) list of values, a
    ``tf.data.Dataset`` (TensorFlow installs) or any iterable of batches (a generator,
    a ``PyDataset``-like sequence). Arrays and lists are one batch, or batches of
    ``batch_size`` rows when it is given; ``steps`` caps the number of batches. With
    ``list_is_batches`` (Normalization, Discretization, as in Keras) a list or tuple is
    an iterable of batches.
    """
    if data is None:
        raise ValueError(f"{layer}.adapt(): `data` must not be None")
    array_types = (np.ndarray, str, bytes) if list_is_batches else (
        np.ndarray, list, tuple, str, bytes)
    if isinstance(data, array_types) or hasattr(data, "shape"):
        if _is_tf_dataset(data):
            pass
        else:
            if isinstance(data, (list, tuple)) and not data:
                raise ValueError(f"{layer}.adapt() received an empty list: nothing to learn from")
            arr = data if isinstance(data, (list, tuple)) else to_numpy(data)
            if batch_size is None:
                yield arr
                return
            n = len(arr)
            for count, start in enumerate(range(0, n, batch_size)):
                if steps is not None and count >= steps:
                    return
                yield arr[start:start + batch_size]
            return
    if _is_tf_dataset(data):
        if steps is not None:
            data = data.take(steps)
        for batch in data:
            yield _host(first_of_batch(batch))
        return
    if isinstance(data, dict):
        raise TypeError(f"{layer}.adapt() does not take a dict; pass the feature's values")
    if not hasattr(data, "__iter__"):
        raise TypeError(
            f"{layer}.adapt(): unsupported data of type {type(data).__name__}; expected a "
            "numpy array, a tensor, a list, a tf.data.Dataset or an iterable of batches"
        )
    seen = 0
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        seen += 1
        yield _host(first_of_batch(batch))
    if seen == 0:
        raise ValueError(f"{layer}.adapt() received an empty iterable (no batches)")


def _host(x):
    if isinstance(x, (np.ndarray, list, tuple)):
        return x
    if hasattr(x, "shape") or hasattr(x, "numpy"):
        return to_numpy(x)
    return x


def check_output_mode(value, allowed, layer):
    if value not in allowed:
        raise ValueError(
            f"{layer}: invalid value for argument `output_mode`. Expected one of "
            f"{', '.join(repr(a) for a in allowed)}. Received: output_mode={value!r}"
        )


def constant(value, dtype):
    """A backend tensor of a host value, created eagerly even while a graph is traced
    (under the backend's optional ``core.init_scope()``, TensorFlow's ``tf.init_scope``),
    so a layer can cache it and reuse it in every call without a host copy."""
    import contextlib

    from cornu.backend import get_backend

    value = np.asarray(value, dtype=dtype)
    init_scope = getattr(get_backend().core, "init_scope", contextlib.nullcontext)
    with init_scope():
        return ops.convert_to_tensor(value, dtype=dtype)
