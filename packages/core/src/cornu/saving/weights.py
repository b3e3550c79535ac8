"""``.weights.h5`` files in the Keras 3 layout.

The file mirrors the object tree: every object with variables writes
``<path>/vars/0, 1, ...`` (in ``variables`` order) with a ``name`` attribute.
Layers held in a model's ``layers`` list are named by their snake_case class
name, de-duplicated in order (``dense``, ``dense_1``); layers held in attributes
are named by the attribute.  The optimizer writes ``optimizer/vars``.
"""
import os

import h5py
import numpy as np

from cornu.naming import to_snake_case
from cornu.saving.atomic import atomic_path


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


def _children(obj):
    """(name, child) pairs in the Keras walk order."""
    from cornu.layer import Layer
    from cornu.models.functional import Functional
    from cornu.models.sequential import Sequential

    out = []
    if isinstance(obj, (Sequential, Functional)):
        layers = list(obj.layers)
        counts = {}
        container = []
        for layer in layers:
            base = to_snake_case(type(layer).__name__)
            n = counts.get(base, 0)
            counts[base] = n + 1
            container.append((base if n == 0 else f"{base}_{n}", layer))
        out.append(("layers", container))
        return out
    if isinstance(obj, Layer):
        public, private = [], []
        for attr, value in sorted(vars(obj).items()):
            if attr in ("_layers", "_trainable_variables", "_non_trainable_variables",
                        "_inbound_nodes", "_outbound_nodes", "optimizer"):
                continue
            if isinstance(value, Layer) and value is not obj:
                (private if attr.startswith("_") else public).append((attr, value))
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
                counts = {}
                container = []
                for layer in value:
                    base = to_snake_case(type(layer).__name__)
                    n = counts.get(base, 0)
                    counts[base] = n + 1
                    container.append((base if n == 0 else f"{base}_{n}", layer))
                (private if attr.startswith("_") else public).append((attr, container))
        out.extend(public + private)
    return out


def _walk(obj, path, visit, visited):
    if id(obj) in visited:
        return
    visited.add(id(obj))
    visit(path, obj)
    for name, child in _children(obj):
        child_path = f"{path}/{name}" if path else name
        if isinstance(child, list):
            for sub_name, sub in child:
                _walk(sub, f"{child_path}/{sub_name}", visit, visited)
        else:
            _walk(child, child_path, visit, visited)


def write_weights(model, h5file, include_optimizer=True):
    """Write ``model``'s state (and its optimizer's) into an open h5py File."""

    def visit(path, obj):
        variables = _own_variables(obj)
        group_path = f"{path}/vars" if path else "vars"
        from cornu.models.input_layer import InputLayer
        from cornu.models.model import Model

        if not variables and not isinstance(obj, (Model, InputLayer)):
            return
        group = h5file.require_group(group_path)
        group.attrs["name"] = getattr(obj, "name", "")
        for i, v in enumerate(variables):
            group.create_dataset(str(i), data=np.asarray(v.numpy()))

    _walk(model, "", visit, set())
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and getattr(optimizer, "built", False):
        group = h5file.require_group("optimizer/vars")
        group.attrs["name"] = getattr(optimizer, "name", "optimizer")
        for i, v in enumerate(optimizer.variables):
            group.create_dataset(str(i), data=np.asarray(v.numpy()))


def read_weights(model, h5file, skip_mismatch=False, include_optimizer=True):
    """Assign variables from an open h5py File written by ``write_weights`` or Keras 3."""
    errors = []

    def visit(path, obj):
        variables = _own_variables(obj)
        if not variables:
            return
        group_path = f"{path}/vars" if path else "vars"
        group = h5file.get(group_path)
        name = getattr(obj, "name", path)
        if group is None or len(group) != len(variables):
            found = 0 if group is None else len(group)
            message = (
                f"Layer '{name}' (path '{path}') expected {len(variables)} variables, but "
                f"the file has {found}."
            )
            if skip_mismatch:
                return
            errors.append(message)
            return
        for i, v in enumerate(variables):
            value = _safe_dataset(group, str(i))
            if tuple(value.shape) != tuple(v.shape):
                message = (
                    f"Layer '{name}': variable {v.path} has shape {v.shape}, but the file "
                    f"holds shape {tuple(value.shape)}."
                )
                if skip_mismatch:
                    continue
                errors.append(message)
                continue
            v.assign(value.astype(v.dtype) if value.dtype != np.dtype(v.dtype) else value)

    _walk(model, "", visit, set())
    if errors:
        raise ValueError("Cannot load weights:\n" + "\n".join(errors))
    optimizer = getattr(model, "optimizer", None)
    group = h5file.get("optimizer/vars")
    if include_optimizer and optimizer is not None and group is not None and len(group):
        if not getattr(optimizer, "built", False):
            optimizer.build(model.trainable_variables)
        variables = optimizer.variables
        if len(variables) == len(group):
            for i, v in enumerate(variables):
                v.assign(_safe_dataset(group, str(i)).astype(v.dtype))
        elif not skip_mismatch:
            raise ValueError(
                f"The optimizer state in the file has {len(group)} variables, the model's "
                f"optimizer has {len(variables)}."
            )


def _safe_dataset(group, key):
    """Read a dataset, refusing links and external storage (untrusted files)."""
    link = group.get(key, getlink=True)
    if not isinstance(link, h5py.HardLink):
        raise ValueError(f"Refusing to follow the link {group.name}/{key} in the weights file")
    dataset = group[key]
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"{group.name}/{key} is not a dataset")
    if dataset.external or dataset.is_virtual:
        raise ValueError(f"Refusing external or virtual storage for {group.name}/{key}")
    return np.asarray(dataset[()])


def save_weights(model, filepath, overwrite=True):
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(
            f"save_weights: the filename must end in .weights.h5, received {filepath!r}"
        )
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    with atomic_path(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            write_weights(model, f)


def load_weights(model, filepath, skip_mismatch=False):
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras"):
        from cornu.saving.keras_file import load_weights_from_archive

        return load_weights_from_archive(model, filepath, skip_mismatch=skip_mismatch)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(
            f"load_weights: expected a .weights.h5 or .keras file, received {filepath!r}"
        )
    with h5py.File(filepath, "r") as f:
        read_weights(model, f, skip_mismatch=skip_mismatch)
