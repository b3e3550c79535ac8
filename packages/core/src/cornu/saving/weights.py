"""``.weights.h5`` files in the Keras 3 layout, read defensively.

The file mirrors the object tree: every object with variables writes
``<path>/vars/0, 1, ...`` (in ``variables`` order) with a ``name`` attribute.
Layers held in a model's ``layers`` list (or any list/dict attribute) are named
by their snake_case class name, de-duplicated in order (``dense``, ``dense_1``);
layers held in attributes are named by the attribute.  The optimizer writes
``optimizer/vars``.  A layer with its own ``save_own_variables(store)`` /
``load_own_variables(store)`` (Keras's protocol, e.g. lookup tables) fills its
``vars`` group itself, and one with ``save_assets(dir)`` / ``load_assets(dir)``
gets the directory ``assets/<same path>/`` of a ``.keras`` archive.

Reading trusts nothing in the file: links (soft or external), external
storage and virtual datasets are refused; every dataset's declared shape is
checked against the variable it is meant for before a byte is read, and a
dataset declaring far more data than it stores (a "shape bomb") is refused.
Loading reads the file through ``cornu.saving.h5_reader`` (a child process under a
time and memory limit, unless this process wrote the file itself), and every
error names the file.
"""
import contextlib
import math
import os

import h5py
import numpy as np

from cornu.naming import class_key
from cornu.saving import h5_reader
from cornu.saving.atomic import atomic_path
from cornu.saving.h5_reader import H5ReadError, MissingFileError, is_dataset, is_group

#: A dataset declaring more than this many bytes must store at least
#: 1/_MAX_EXPANSION of them (cornu and Keras write uncompressed datasets).
_BOMB_FLOOR_BYTES = h5_reader.BOMB_FLOOR_BYTES
_MAX_EXPANSION = h5_reader.MAX_EXPANSION


class UnsafeFileError(ValueError):
    """A weights file or archive that loading refuses for safety (links, bombs, ...)."""


def trusted_source(filepath, safe_mode=True):
    """Whether loading may read ``filepath`` in this process: ``safe_mode=False`` (or
    ``cornu.config.enable_unsafe_deserialization()``), or a file this process saved and
    that has not changed since.  Otherwise ``h5_reader`` reads it in a child process."""
    from cornu.serialization import in_safe_mode

    if not safe_mode or not in_safe_mode():
        return True
    return isinstance(filepath, str) and h5_reader.is_trusted(filepath)


#: What a load turns into "a ValueError naming the file" (a corrupt file raises them
#: from h5py, numpy and the config readers).
_LOW_LEVEL_ERRORS = (OSError, RuntimeError, TypeError, KeyError, IndexError, AttributeError,
                     OverflowError, MemoryError)


@contextlib.contextmanager
def errors_naming(source):
    """Every error of a load names ``source``: a ValueError without it gets it as a
    prefix (same class), a low-level error becomes a ValueError saying the file is
    corrupt.  A missing file stays a FileNotFoundError."""
    source = os.fspath(source)
    try:
        yield
    except (MissingFileError, H5ReadError):
        raise
    except ValueError as err:
        if source in str(err):
            raise
        message = f"{source}: {err}"
        try:
            new = type(err)(message)
        except Exception:  # noqa: BLE001 - a subclass with another signature
            new = ValueError(message)
        raise new from err
    except _LOW_LEVEL_ERRORS as err:
        if isinstance(err, FileNotFoundError) and source in str(err):
            raise
        raise ValueError(f"Cannot read {source} (corrupt or truncated): "
                         f"{type(err).__name__}: {err}") from err


# -- walking the object tree ---------------------------------------------------------
def _own_variables(obj):
    from cornu.layer import Layer

    if isinstance(obj, Layer):
        seen = set()
        out = []
        for v in obj._trainable_variables + obj._non_trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out
    return list(getattr(obj, "variables", []))


def _container(items):
    """``[(name, layer)]`` for a list of layers: snake_case class names, de-duplicated."""
    counts = {}
    out = []
    for layer in items:
        base = class_key(type(layer))
        n = counts.get(base, 0)
        counts[base] = n + 1
        out.append((base if n == 0 else f"{base}_{n}", layer))
    return out


_SKIP_ATTRS = frozenset(("_layers", "_trainable_variables", "_non_trainable_variables",
                         "_inbound_nodes", "_outbound_nodes", "optimizer"))


def _children(obj):
    """(name, child) pairs in the Keras walk order (a child may be a container list)."""
    from cornu.layer import BASE_STATE_ATTRS, Layer
    from cornu.models.functional import Functional
    from cornu.models.sequential import Sequential

    if isinstance(obj, Functional):
        return [("layers", _container(keras_layer_order(obj)))]
    if isinstance(obj, Sequential):
        return [("layers", _container(obj.layers))]
    if not isinstance(obj, Layer):
        return []
    public, private = [], []
    for attr, value in sorted(vars(obj).items()):
        if attr in _SKIP_ATTRS or attr in BASE_STATE_ATTRS or attr.startswith("__"):
            continue  # (the backend base's registries repeat the layers held elsewhere)
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, Layer) and value is not obj:
            (private if attr.startswith("_") else public).append((attr, value))
        elif (isinstance(value, (list, tuple)) and value
              and all(isinstance(v, Layer) for v in value)):
            (private if attr.startswith("_") else public).append((attr, _container(value)))
    return public + private


def keras_layer_order(model):
    """A Functional model's layers in Keras 3's order (which names the weight paths)."""
    from cornu.layer import Layer
    from cornu.models._keras_order import keras_operation_order

    members = {id(layer) for layer in model.layers}
    return [op for op in keras_operation_order(model.inputs, model.outputs)
            if isinstance(op, Layer) and id(op) in members]


def walk(obj, visit, path="", visited=None):
    """Call ``visit(path, obj)`` for ``obj`` and every layer below it, each once."""
    visited = set() if visited is None else visited
    if id(obj) in visited:
        return
    visited.add(id(obj))
    visit(path, obj)
    for name, child in _children(obj):
        child_path = f"{path}/{name}" if path else name
        if isinstance(child, list):
            for sub_name, sub in child:
                walk(sub, visit, f"{child_path}/{sub_name}", visited)
        else:
            walk(child, visit, child_path, visited)


# -- safe access to untrusted HDF5 -----------------------------------------------------
def safe_group(parent, path):
    """The group at ``path`` under ``parent`` (None if absent); links are refused."""
    current = parent
    for part in path.split("/"):
        if not part:
            raise UnsafeFileError(f"Invalid group path {path!r} in the weights file")
        if part not in current:
            return None
        link = current.get(part, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise UnsafeFileError(
                f"Refusing to follow the {type(link).__name__} {current.name}/{part} in the "
                "weights file: links can read other files on this machine"
            )
        current = current[part]
        if not is_group(current):
            raise UnsafeFileError(f"{current.name} in the weights file is not a group")
    return current


def safe_dataset(group, key, expected_shape=None, what=None):
    """Read dataset ``key`` of ``group`` as numpy, after checking it is safe to read.

    Refuses links, external storage, virtual datasets, non-numeric dtypes and
    datasets declaring far more bytes than they store; when ``expected_shape`` is
    given, a different declared shape raises before anything is read.
    """
    link = group.get(key, getlink=True)
    if link is None:
        raise KeyError(f"{group.name}/{key}")
    if not isinstance(link, h5py.HardLink):
        raise UnsafeFileError(
            f"Refusing to follow the {type(link).__name__} {group.name}/{key} in the weights "
            "file: links can read other files on this machine"
        )
    dataset = group[key]
    if not is_dataset(dataset):
        raise UnsafeFileError(f"{group.name}/{key} in the weights file is not a dataset")
    if dataset.external:
        raise UnsafeFileError(
            f"Refusing external storage for {group.name}/{key}: it reads the host files "
            f"{[e[0] for e in dataset.external]}"
        )
    if dataset.is_virtual:
        raise UnsafeFileError(
            f"Refusing the virtual dataset {group.name}/{key}: it maps other files"
        )
    marked = h5_reader.marked_bfloat16(dataset, dataset.dtype)  # an h5py file's view
    if dataset.dtype.kind not in "biufc" and not h5_reader.is_bfloat16(dataset.dtype) \
            and not marked:
        raise UnsafeFileError(
            f"{group.name}/{key} holds {dataset.dtype}, not numbers: not a weights dataset"
        )
    shape = tuple(dataset.shape or ())
    if expected_shape is not None and shape != tuple(expected_shape):
        raise ValueError(
            f"{what or 'variable'} has shape {tuple(expected_shape)}, but the file holds "
            f"shape {shape} at {group.name}/{key}."
        )
    declared = math.prod(shape) * dataset.dtype.itemsize
    stored = dataset.id.get_storage_size()
    if declared > _BOMB_FLOOR_BYTES and declared > _MAX_EXPANSION * stored:
        raise UnsafeFileError(
            f"Refusing {group.name}/{key}: it declares {declared} bytes but stores only "
            f"{stored} (an HDF5 shape bomb)"
        )
    value = np.asarray(dataset[()])
    if marked:
        import ml_dtypes  # a dependency of both frameworks

        value = value.view(ml_dtypes.bfloat16)
    return value


_safe_dataset = safe_dataset  # the name legacy_h5 imports


class _WriteStore:
    """The dict-like ``store`` passed to ``save_own_variables`` (``store["0"] = array``)."""

    def __init__(self, h5file, group_path, name):
        self._file = h5file
        self._path = group_path
        self._name = name
        self._group = None

    def _ensure(self):
        if self._group is None:
            self._group = self._file.require_group(self._path)
            self._group.attrs["name"] = self._name
        return self._group

    def __setitem__(self, key, value):
        if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
            value = value.numpy()
        write_dataset(self._ensure(), str(key), value)

    def __getitem__(self, key):
        return np.asarray(self._ensure()[str(key)][()])

    def __contains__(self, key):
        return self._group is not None and str(key) in self._group

    def __len__(self):
        return 0 if self._group is None else len(self._group)

    def keys(self):
        return [] if self._group is None else list(self._group.keys())


class _ReadStore:
    """The read-only ``store`` passed to ``load_own_variables`` (values are numpy arrays)."""

    def __init__(self, group):
        self._group = group

    def __getitem__(self, key):
        if self._group is None or str(key) not in self._group:
            raise KeyError(key)
        return safe_dataset(self._group, str(key))

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key):
        return self._group is not None and str(key) in self._group

    def __len__(self):
        return 0 if self._group is None else len(self._group)

    def keys(self):
        return [] if self._group is None else list(self._group.keys())

    def items(self):
        return [(k, self[k]) for k in self.keys()]


def write_dataset(group, key, value):
    """``group[key] = value``, a bfloat16 array marked as Keras marks it (HDF5 has no
    bfloat16: the two bytes are stored opaque, with a ``dtype`` attribute saying so)."""
    value = np.asarray(value)
    dataset = group.create_dataset(key, data=value)
    if h5_reader.is_bfloat16(value.dtype):
        dataset.attrs["dtype"] = "bfloat16"


class _Recorder:
    """Stands in for the h5py file ``write_weights`` fills: records each dataset as the
    array it was given (exact dtype, bfloat16 included) and each group's ``name``
    attribute, in the order written (see :func:`collect_weights`)."""

    def __init__(self, tensors=None, groups=None, path="", opened=None):
        self._tensors = [] if tensors is None else tensors
        self._groups = {} if groups is None else groups
        self._opened = {} if opened is None else opened  # path -> its recorder
        self._path = path
        self._keys = []
        self.attrs = _RecordedAttrs(self._groups, path)

    def require_group(self, path):
        full = f"{self._path}/{path}" if self._path else path
        if full not in self._opened:
            self._opened[full] = _Recorder(self._tensors, self._groups, full, self._opened)
        return self._opened[full]

    def create_dataset(self, key, data):
        self._tensors.append((f"{self._path}/{key}", np.asarray(data)))
        self._keys.append(str(key))
        return self  # its ``attrs`` take write_dataset's bfloat16 mark harmlessly

    def __contains__(self, key):
        return str(key) in self._keys

    def __getitem__(self, key):
        name = f"{self._path}/{key}"
        return next(array for path, array in self._tensors if path == name)

    def __len__(self):
        return len(self._keys)

    def keys(self):
        return list(self._keys)


class _RecordedAttrs(dict):
    def __init__(self, groups, path):
        super().__init__()
        self._groups, self._path = groups, path

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if key == "name":
            self._groups[self._path] = str(value)


def collect_weights(model, include_optimizer=True):
    """What ``write_weights`` would put in a ``.weights.h5`` file, without a file:
    ``([(dataset path, array)] in file order, {group path: its name attribute})``."""
    root = _Recorder()
    write_weights(model, root, include_optimizer=include_optimizer)
    return root._tensors, root._groups


def _vars_path(path):
    return f"{path}/vars" if path else "vars"


# -- writing and reading a model's state ---------------------------------------------
def write_weights(model, h5file, include_optimizer=True):
    """Write ``model``'s state (and its optimizer's) into an open h5py File."""
    from cornu.models.input_layer import InputLayer
    from cornu.models.model import Model

    def visit(path, obj):
        name = getattr(obj, "name", "")
        save_own = getattr(obj, "save_own_variables", None)
        if save_own is not None:
            store = _WriteStore(h5file, _vars_path(path), name)
            if isinstance(obj, (Model, InputLayer)):
                store._ensure()
            save_own(store)
            return
        variables = _own_variables(obj)
        if not variables and not isinstance(obj, (Model, InputLayer)):
            return
        group = h5file.require_group(_vars_path(path))
        group.attrs["name"] = name
        for i, v in enumerate(variables):
            write_dataset(group, str(i), v.numpy())

    walk(model, visit)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and getattr(optimizer, "built", False):
        group = h5file.require_group("optimizer/vars")
        group.attrs["name"] = getattr(optimizer, "name", "optimizer")
        for i, v in enumerate(optimizer.variables):
            write_dataset(group, str(i), v.numpy())


def read_weights(model, h5file, skip_mismatch=False, include_optimizer=True):
    """Assign variables from an open h5py File written by ``write_weights`` or Keras 3."""
    errors = []

    def visit(path, obj):
        name = getattr(obj, "name", path)
        load_own = getattr(obj, "load_own_variables", None)
        if load_own is not None:
            try:
                load_own(_ReadStore(safe_group(h5file, _vars_path(path))))
            except UnsafeFileError:
                raise
            except (ValueError, KeyError) as err:
                if not skip_mismatch:
                    errors.append(f"Layer '{name}' (path '{path}'): {err}")
            return
        variables = _own_variables(obj)
        if not variables:
            return
        group = safe_group(h5file, _vars_path(path))
        found = 0 if group is None else len(group)
        if found != len(variables):
            if not skip_mismatch:
                errors.append(
                    f"Layer '{name}' (path '{path}') expected {len(variables)} variables, "
                    f"but the file has {found}."
                )
            return
        for i, v in enumerate(variables):
            try:
                value = safe_dataset(group, str(i), tuple(v.shape),
                                     what=f"Layer '{name}': variable {v.path}")
            except UnsafeFileError:
                raise
            except (ValueError, KeyError) as err:
                if not skip_mismatch:
                    errors.append(str(err))
                continue
            v.assign(value.astype(v.dtype) if value.dtype != np.dtype(v.dtype) else value)

    walk(model, visit)
    if errors:
        raise ValueError("Cannot load weights:\n" + "\n".join(errors))
    optimizer = getattr(model, "optimizer", None)
    group = safe_group(h5file, "optimizer/vars") if "optimizer" in h5file else None
    if include_optimizer and optimizer is not None and group is not None and len(group):
        if not getattr(optimizer, "built", False):
            optimizer.build(model.trainable_variables)
        variables = optimizer.variables
        if len(variables) != len(group):
            import warnings

            from cornu import CornuWarning

            # Keras warns and keeps the fresh state (e.g. a file saved before training).
            warnings.warn(
                f"Skipping variable loading for optimizer '{optimizer.name}', because it "
                f"has {len(variables)} variables whereas the saved optimizer has "
                f"{len(group)} variables.", stacklevel=3, category=CornuWarning)
            return
        values = [safe_dataset(group, str(i), tuple(v.shape),
                               what=f"optimizer variable {v.path}")
                  for i, v in enumerate(variables)]
        for v, value in zip(variables, values):
            v.assign(value.astype(v.dtype))


def save_assets(model, directory):
    """Call ``save_assets(dir)`` of every layer that has it, under ``directory/<path>``.

    Returns True if any layer wrote assets.
    """
    wrote = []

    def visit(path, obj):
        save = getattr(obj, "save_assets", None)
        if save is None:
            return
        target = os.path.join(directory, *path.split("/")) if path else directory
        os.makedirs(target, exist_ok=True)
        save(target)
        wrote.append(path)

    walk(model, visit)
    return bool(wrote)


def load_assets(model, directory):
    """Call ``load_assets(dir)`` of every layer whose ``directory/<path>`` exists."""

    def visit(path, obj):
        load = getattr(obj, "load_assets", None)
        if load is None:
            return
        source = os.path.join(directory, *path.split("/")) if path else directory
        if os.path.isdir(source):
            load(source)

    walk(model, visit)


# -- files -------------------------------------------------------------------------------
def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    filepath = os.fspath(filepath)
    if max_shard_size is not None:
        from cornu.saving.sharded import save_sharded_weights

        return save_sharded_weights(model, filepath, max_shard_size, overwrite=overwrite)
    if filepath.endswith(".safetensors"):
        from cornu.saving import safetensors_file

        return safetensors_file.save_weights(model, filepath, overwrite=overwrite)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(
            "save_weights: the filename must end in .weights.h5 (or .safetensors), "
            f"received {filepath!r}"
        )
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    with atomic_path(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            write_weights(model, f)
    h5_reader.remember(filepath)


def open_h5(filepath_or_bytes, what):
    """Open an HDF5 file in this process (``KerasFileEditor``), a missing file raising
    FileNotFoundError and a corrupt one a clear ValueError.  Loading reads files through
    ``h5_reader.read_h5`` instead (bounded, in a child process)."""
    import io

    if not isinstance(filepath_or_bytes, bytes):
        h5_reader.require_file(filepath_or_bytes)
    source = io.BytesIO(filepath_or_bytes) if isinstance(filepath_or_bytes, bytes) \
        else filepath_or_bytes
    try:
        return h5py.File(source, "r")
    except OSError as err:
        raise ValueError(f"{what} is not a readable HDF5 file (corrupt or truncated): "
                         f"{err}") from err


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Load weights from a ``.weights.h5``, sharded ``.weights.json``, ``.keras`` or
    legacy Keras ``.h5`` file (``by_name`` applies to the legacy format only), or from
    an Orbax checkpoint directory (its latest step) or step folder, as Keras 3 does."""
    filepath = os.fspath(filepath)
    h5_reader.require_file(filepath)
    from cornu.saving import orbax_checkpoint

    if orbax_checkpoint.is_orbax_checkpoint(filepath):
        return orbax_checkpoint.load_weights(model, filepath, skip_mismatch=skip_mismatch)
    if filepath.endswith(".keras") or os.path.isdir(filepath):
        from cornu.saving.keras_file import load_weights_from_archive

        return load_weights_from_archive(model, filepath, skip_mismatch=skip_mismatch)
    if filepath.endswith(".safetensors"):
        from cornu.saving import safetensors_file

        return safetensors_file.load_weights(model, filepath, skip_mismatch=skip_mismatch)
    if filepath.endswith(".weights.json"):
        from cornu.saving.sharded import load_sharded_weights

        return load_sharded_weights(model, filepath, skip_mismatch=skip_mismatch)
    if (filepath.endswith(".h5") or filepath.endswith(".hdf5")) \
            and not filepath.endswith(".weights.h5"):
        from cornu.saving import legacy_h5

        return legacy_h5.load_weights(model, filepath, by_name=by_name,
                                      skip_mismatch=skip_mismatch)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(
            "load_weights: expected a .weights.h5, .weights.json, .safetensors, .keras or "
            f"legacy .h5 file, received {filepath!r}"
        )
    with errors_naming(filepath):
        f = h5_reader.read_h5(filepath, filepath, trusted=trusted_source(filepath))
        _read_guarded(model, f, filepath, skip_mismatch=skip_mismatch)


def _read_guarded(model, f, source, skip_mismatch=False, include_optimizer=True):
    """``read_weights`` with low-level errors of a corrupt file reported as ValueError."""
    try:
        read_weights(model, f, skip_mismatch=skip_mismatch, include_optimizer=include_optimizer)
    except (OSError, RuntimeError, TypeError) as err:
        raise ValueError(f"Cannot read the weights in {source} (corrupt or truncated): "
                         f"{type(err).__name__}: {err}") from err
