"""Turn what users pass to fit/evaluate/predict into batches of backend tensors.

Supported inputs: numpy arrays (and lists/dicts of them), backend tensors,
Python generators/iterators yielding ``x``, ``(x, y)`` or ``(x, y, sample_weight)``,
``cornu.utils.PyDataset``, ``torch.utils.data.DataLoader`` and ``tf.data.Dataset``.  Arrays are converted
to backend tensors once, up front; each step then only slices on the device.
"""
import math
import sys
import warnings

import numpy as np

from cornu import CornuWarning, config, tree


def _backend():
    from cornu.backend import get_backend

    return get_backend()


def _is_array(x):
    return isinstance(x, np.ndarray) or (
        hasattr(x, "shape") and hasattr(x, "dtype") and not _is_dataset_like(x)
    )


def _is_dataset_like(x):
    """A source of batches, by the iteration protocol (a generator, a PyDataset, a
    ``torch.utils.data.DataLoader``, a ``tf.data.Dataset``: iterable, no ``shape``)."""
    return hasattr(x, "__next__") or (
        hasattr(x, "__iter__") and not hasattr(x, "shape")
        and not isinstance(x, (list, tuple, dict))
    )


def _array_len(structure):
    lengths = {int(a.shape[0]) for a in tree.flatten(structure) if a is not None}
    if len(lengths) > 1:
        raise ValueError(
            f"Data cardinality is ambiguous: the arrays have different numbers of samples "
            f"{sorted(lengths)}. Make sure all arrays contain the same number of samples."
        )
    return lengths.pop() if lengths else 0


def _to_backend_array(a, core):
    if a is None:
        return None
    if isinstance(a, np.ndarray):
        if a.dtype == np.float64:
            a = a.astype(config.floatx())
        elif a.dtype.kind in "U" or a.dtype == object:
            return a  # strings stay numpy (preprocessing layers consume them)
    return core.convert_to_tensor(a)


def class_weight_to_sample_weight(y, class_weight):
    """Per-sample weights from a ``{class: weight}`` dict and integer or one-hot labels."""
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] > 1:
        labels = np.argmax(y, axis=-1)
    else:
        labels = y.reshape(y.shape[0], -1)[:, 0] if y.ndim > 1 else y
        labels = labels.astype("int64") if labels.dtype.kind == "f" else labels
    table = np.ones(int(max(max(class_weight) + 1, labels.max() + 1)), dtype=config.floatx())
    for cls, weight in class_weight.items():
        table[int(cls)] = weight
    return table[labels.astype("int64")]


def train_validation_split(arrays, validation_split):
    """Split arrays into (train, validation), the validation part taken from the end."""
    n = _array_len(arrays)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} leaves an empty training or validation "
            f"set with {n} samples"
        )
    train = tree.map_structure(lambda a: None if a is None else a[:split_at], arrays)
    val = tree.map_structure(lambda a: None if a is None else a[split_at:], arrays)
    return train, val


class ArrayAdapter:
    """Batches from in-memory arrays; the whole set lives on the device as tensors."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 class_weight=None, steps=None):
        if class_weight is not None:
            if y is None:
                raise ValueError("class_weight needs targets y")
            if sample_weight is not None:
                raise ValueError("Pass class_weight or sample_weight, not both")
            if tree.is_nested(y):
                raise ValueError("class_weight is only supported for a single output")
            sample_weight = class_weight_to_sample_weight(_np(y), class_weight)
        self.num_samples = _array_len([x, y, sample_weight])
        self.batch_size = batch_size or 32
        self.shuffle = shuffle
        core = _backend().core
        self._data = tree.map_structure(lambda a: _to_backend_array(a, core), (x, y, sample_weight))
        self.num_batches = int(math.ceil(self.num_samples / self.batch_size))
        if steps is not None:
            self.num_batches = min(self.num_batches, steps) if steps else self.num_batches
        self._slicer = _backend().trainer.make_slicer(self._data)

    def __iter__(self):
        bs = self.batch_size
        n = self.num_samples
        if self.shuffle == "batch":
            order = np.random.permutation(self.num_batches)
            starts = order * bs
            perm = None
        else:
            starts = range(0, self.num_batches * bs, bs)
            perm = np.random.permutation(n) if self.shuffle else None
        return self._slicer(starts, bs, n, perm)


def _np(a):
    return a if isinstance(a, np.ndarray) else _backend().core.convert_to_numpy(a)


def _unpack(batch):
    """(x, y, sample_weight) from whatever a generator or dataset yields (a list that is
    not 2 or 3 arrays is one structure of inputs)."""
    if isinstance(batch, list) and not (len(batch) in (2, 3) and all(_is_array(b) for b in batch)):
        return batch, None, None
    return unpack_x_y_sample_weight(batch)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from the data a step receives (``x``, ``(x,)``,
    ``(x, y)`` or ``(x, y, sample_weight)``); the missing ones are None."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {data!r}"
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """What a dataset of ``x``, ``y`` and ``sample_weight`` yields: ``x`` alone (a tuple
    ``x`` as ``(x,)``), ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


class IteratorAdapter:
    """Batches from a generator, an iterable, a DataLoader or a tf.data.Dataset."""

    def __init__(self, data, steps=None, class_weight=None):
        self._data = data
        self._class_weight = class_weight
        self.num_batches = steps
        if steps is None:
            try:
                self.num_batches = len(data)
            except TypeError:
                self.num_batches = None
        self._core = _backend().core
        self._is_reiterable = not hasattr(data, "__next__")
        self._iterator = None

    def __iter__(self):
        if self._is_reiterable:
            iterator = iter(self._data)
        else:  # a generator: continue where the previous epoch stopped
            iterator = self._data
        core = self._core
        count = 0
        for batch in iterator:
            x, y, sw = _unpack(batch)
            if self._class_weight is not None and sw is None and y is not None:
                sw = class_weight_to_sample_weight(_np(y), self._class_weight)
            yield tree.map_structure(
                lambda a: None if a is None else _convert(a, core), (x, y, sw)
            )
            count += 1
            if self.num_batches is not None and count >= self.num_batches:
                break


def _convert(a, core):
    """One element of a batch as a backend tensor: the backend's own tensors pass to
    ``convert_to_tensor`` as they are (``core.is_tensor``); another framework's (a
    ``tf.data`` batch on torch, a ``DataLoader`` batch on TensorFlow) go through numpy."""
    if isinstance(a, np.ndarray):
        if a.dtype == np.float64:
            a = a.astype(config.floatx())
        elif a.dtype.kind in "U" or a.dtype == object:
            return a
    elif (not isinstance(a, np.generic) and not core.is_tensor(a)
          and (hasattr(a, "__array__") or hasattr(a, "numpy"))):
        a = _foreign_to_numpy(a)
    return core.convert_to_tensor(a)


def _foreign_to_numpy(a):
    """Another framework's tensor as numpy, by the generic protocols: ``__array__``;
    failing that (a tensor on an accelerator or under autograd), its ``detach()`` /
    ``cpu()`` where it has them, then ``numpy()``."""
    try:
        return np.asarray(a)
    except (TypeError, RuntimeError, ValueError):
        pass
    for step in ("detach", "cpu"):
        method = getattr(a, step, None)
        if callable(method):
            a = method()
    return a.numpy() if hasattr(a, "numpy") else np.asarray(a)


def _densify_scipy_sparse(structure):
    """SciPy sparse matrices and arrays in ``structure`` as dense numpy arrays: Keras's
    array adapter takes them (SciKeras passes sklearn's sparse inputs through), and the
    model sees the same values.  Nothing is imported when SciPy is not."""
    sparse = sys.modules.get("scipy.sparse")
    if sparse is None:
        return structure
    if sparse.issparse(structure):
        return structure.toarray()
    if isinstance(structure, (list, tuple, dict)):
        return tree.map_structure(
            lambda a: a.toarray() if sparse.issparse(a) else a, structure)
    return structure


def capped_epochs(epochs):
    """``fit``'s epochs under ``cornu.config.max_epochs()`` (a debugging cap), as Keras."""
    cap = config.max_epochs()
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=3, category=CornuWarning)
        return cap
    return epochs


def capped_steps(steps):
    """The steps of one epoch under ``cornu.config.max_steps_per_epoch()`` (a debugging
    cap on every loop of fit, its validation, evaluate and predict), as Keras."""
    cap = config.max_steps_per_epoch()
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3, category=CornuWarning)
        return cap
    return steps


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps=None,
                     shuffle=False, class_weight=None):
    """The adapter for ``x``; raises a clear error for unsupported inputs.  ``steps``
    is capped by ``cornu.config.max_steps_per_epoch()``."""
    if x is None:
        raise ValueError("No input data: x is None")
    steps = capped_steps(steps)
    from cornu.utils.py_dataset import PyDataset, PyDatasetBatches

    if isinstance(x, PyDataset):
        if y is not None or sample_weight is not None:
            raise ValueError(
                f"When x is a PyDataset ({type(x).__name__}), its batches must carry y and "
                "sample_weight; do not pass them separately."
            )
        return IteratorAdapter(PyDatasetBatches(x, shuffle=shuffle), steps=steps,
                               class_weight=class_weight)
    if _is_dataset_like(x) and not isinstance(x, (list, tuple, dict)):
        if y is not None:
            raise ValueError(
                f"When x is a {type(x).__name__} it must yield (x, y) pairs itself; "
                "do not pass y separately."
            )
        if sample_weight is not None:
            raise ValueError(
                f"When x is a {type(x).__name__}, sample weights must come from the "
                "dataset as (x, y, sample_weight) tuples."
            )
        return IteratorAdapter(x, steps=steps, class_weight=class_weight)
    x, y, sample_weight = (_densify_scipy_sparse(a) for a in (x, y, sample_weight))
    for a in tree.flatten([x, y, sample_weight]):
        if a is not None and not _is_array(a):
            if isinstance(a, (int, float)):
                continue
            raise ValueError(
                f"Unsupported data type {type(a).__name__}: expected numpy arrays, backend "
                "tensors, a generator, a torch DataLoader or a tf.data.Dataset"
            )
    x, y, sample_weight = tree.map_structure(
        lambda a: np.asarray(a) if isinstance(a, (list,)) else a, (x, y, sample_weight)
    )
    return ArrayAdapter(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                        class_weight=class_weight, steps=steps)


#: Keras's name (``keras.src.trainers.data_adapters.data_adapter_utils``).
class_weight_to_sample_weights = class_weight_to_sample_weight
