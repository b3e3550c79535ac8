"""Weights in the legacy Keras (2.x) HDF5 layout: the ``.h5`` files Keras publishes.

Layout (what ``keras.src.legacy.saving.legacy_h5_format`` reads and writes)::

    /                       attrs: layer_names (bytes array, possibly split into
                                   layer_names0, layer_names1, ... when large),
                                   backend, keras_version
    /<layer name>/          attrs: weight_names (bytes, e.g. b"conv1/kernel:0")
    /<layer name>/<weight name>   one dataset per weight (the name may hold "/")
    /top_level_model_weights/     the model's own variables (Keras 3 files)

A layer's weights are stored in the legacy order, trainable weights first, then
the non-trainable ones (``BatchNormalization``: gamma, beta, moving_mean,
moving_variance).  Loading is by position within a layer; layers are matched
either in order (the layers that own weights, as ``model.load_weights("x.h5")``
does in Keras 3) or by name (``by_name=True``).  Datasets are read through the
same guard as ``.weights.h5`` files: links and external storage are refused, and
the file is parsed by ``cornu.saving.h5_reader`` (in a child process under a time
and memory limit unless this process wrote it).
"""
import os
import warnings

import h5py
import numpy as np

from cornu import CornuWarning
from cornu.saving import h5_reader
from cornu.saving.atomic import atomic_path
from cornu.saving.h5_reader import is_group

__all__ = [
    "keras_layer_order",
    "load_weights",
    "load_weights_from_hdf5_group",
    "load_weights_from_hdf5_group_by_name",
    "read_layer_values",
    "save_weights",
    "save_weights_to_hdf5_group",
    "set_layer_values",
]

#: HDF5 object headers hold at most 64 KiB; longer attributes are split in chunks.
HDF5_OBJECT_HEADER_LIMIT = 64512


def keras_layer_order(model):
    """``model.layers`` in the order Keras gives a Functional model's layers.

    Keras sorts the operations of a graph by depth (the longest path to an
    output, deepest first) and, at equal depth, by the order a depth-first walk
    from the outputs first reaches them.  Legacy files list their layers in that
    order and in-order loading pairs layers by it.  Models that are not a graph
    of nodes (Sequential, subclassed) keep their own ``layers`` order.
    """
    outputs = getattr(model, "outputs", None)
    inputs = getattr(model, "inputs", None)
    layers = list(model.layers)
    if not outputs or not inputs or not all(hasattr(t, "_keras_history") for t in outputs):
        return layers
    input_ids = {id(t) for t in inputs}
    first_seen, post_order, finished = {}, [], set()

    def visit(tensor):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in finished:
            return
        finished.add(id(node))
        if node.input_tensors and id(tensor) in input_ids:
            return  # a model input produced by a layer outside the model
        first_seen.setdefault(id(layer), len(first_seen))
        for t in node.input_tensors:
            visit(t)
        post_order.append(node)

    for t in outputs:
        visit(t)
    in_graph = {id(n) for n in post_order}
    node_depth, layer_depth = {}, {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.operation), 0))
        layer_depth[id(node.operation)] = depth
        node_depth[id(node)] = depth
        for t in node.input_tensors:
            parent_layer, parent_index, _ = t._keras_history
            parent = parent_layer._inbound_nodes[parent_index]
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    rank = {id(layer): (-layer_depth.get(id(layer), 0), first_seen.get(id(layer), -1))
            for layer in layers}
    return sorted(layers, key=lambda layer: rank[id(layer)])


def legacy_weights(layer):
    """A layer's (or model's) variables in the legacy order: trainable, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def load_attributes_from_hdf5_group(group, name):
    """The string list stored as attribute ``name`` (or its chunks ``name0``, ``name1``...)."""

    def decode(values):
        return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]

    if name in group.attrs:
        return decode(group.attrs[name])
    data = []
    chunk = 0
    while f"{name}{chunk}" in group.attrs:
        data.extend(decode(group.attrs[f"{name}{chunk}"]))
        chunk += 1
    return data


def save_attributes_to_hdf5_group(group, name, data):
    """Store a list of byte strings as attribute ``name``, chunked when too large."""
    too_long = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise RuntimeError(
            f"Attributes longer than {HDF5_OBJECT_HEADER_LIMIT} bytes cannot be saved to "
            f"an HDF5 file: {too_long}"
        )
    array = np.asarray(data)
    chunks = 1
    parts = np.array_split(array, chunks)
    while any(p.nbytes > HDF5_OBJECT_HEADER_LIMIT for p in parts):
        chunks += 1
        parts = np.array_split(array, chunks)
    if chunks > 1:
        for i, part in enumerate(parts):
            group.attrs[f"{name}{i}"] = part
    else:
        group.attrs[name] = data


def _safe_group(group, name):
    link = group.get(name, getlink=True)
    if link is None:
        raise ValueError(f"The weights file has no group {group.name.rstrip('/')}/{name}")
    if not isinstance(link, h5py.HardLink):
        raise ValueError(f"Refusing to follow the link {group.name}/{name} in the weights file")
    sub = group[name]
    if not is_group(sub):
        raise ValueError(f"{group.name}/{name} is not a group")
    return sub


def read_layer_values(layer_group):
    """The weight arrays of one layer group, in the order of its ``weight_names``."""
    from cornu.saving.weights import _safe_dataset

    values = []
    for weight_name in load_attributes_from_hdf5_group(layer_group, "weight_names"):
        parent, _, leaf = weight_name.rpartition("/")
        group = layer_group
        for part in filter(None, parent.split("/")):
            group = _safe_group(group, part)
        values.append(_safe_dataset(group, leaf))
    return values


def _assign(variables, values, what, skip_mismatch):
    for variable, value in zip(variables, values):
        expected, received = tuple(variable.shape), tuple(value.shape)
        if expected != received:
            message = (
                f"Shape mismatch in {what} for weight {variable.path}: the weight expects "
                f"shape {expected}, the file holds shape {received}."
            )
            if skip_mismatch:
                warnings.warn("Skipping: " + message, stacklevel=3, category=CornuWarning)
                continue
            raise ValueError(message)
        variable.assign(value)


def _check_count(variables, values, what, skip_mismatch):
    if len(variables) == len(values):
        return True
    message = (
        f"Weight count mismatch for {what}: the layer expects {len(variables)} weight(s), "
        f"the file holds {len(values)}."
    )
    if skip_mismatch:
        warnings.warn("Skipping: " + message, stacklevel=3, category=CornuWarning)
        return False
    raise ValueError(message)


def set_layer_values(variables, values, what, skip_mismatch=False):
    """Assign ``values`` (a layer group's arrays) to ``variables``, checking count and shapes."""
    if _check_count(variables, values, what, skip_mismatch):
        _assign(variables, values, what, skip_mismatch)


def _top_level(group, model, skip_mismatch):
    if "top_level_model_weights" not in group:
        return
    own = [v for v in list(model._trainable_variables) + list(model._non_trainable_variables)]
    values = read_layer_values(_safe_group(group, "top_level_model_weights"))
    set_layer_values(own, values, "the model's top-level weights", skip_mismatch)


def load_weights_from_hdf5_group(group, model, skip_mismatch=False):
    """Load a legacy weights group into ``model``, matching layers in order.

    The model's layers that own weights are paired, in order, with the file's
    layers that hold weights (how Keras 3 loads ``.h5`` weights files by default).

    Raises:
        ValueError: the numbers of weighted layers differ, or a layer's weight
            count or a weight's shape differs (unless ``skip_mismatch``).
    """
    layers = [layer for layer in keras_layer_order(model) if legacy_weights(layer)]
    entries = []
    for name in load_attributes_from_hdf5_group(group, "layer_names"):
        values = read_layer_values(_safe_group(group, name))
        if values:
            entries.append((name, values))
    if len(entries) != len(layers):
        raise ValueError(
            f"Layer count mismatch when loading weights from file: model '{model.name}' has "
            f"{len(layers)} layers with weights, but the file holds {len(entries)}."
        )
    for k, (layer, (name, values)) in enumerate(zip(layers, entries)):
        variables = legacy_weights(layer)
        what = f"layer #{k} (named '{layer.name}' in the model, '{name}' in the file)"
        set_layer_values(variables, values, what, skip_mismatch)
    _top_level(group, model, skip_mismatch)


def load_weights_from_hdf5_group_by_name(group, model, skip_mismatch=False):
    """Load a legacy weights group into ``model``, matching layers by name.

    Layers of the file with no layer of that name in the model are ignored, and
    so are the model's layers absent from the file (Keras semantics).

    Returns:
        The names of the model's layers that received weights.
    """
    index = {}
    for layer in model.layers:
        index.setdefault(layer.name, []).append(layer)
    loaded = []
    for k, name in enumerate(load_attributes_from_hdf5_group(group, "layer_names")):
        targets = index.get(name)
        if not targets:
            continue
        values = read_layer_values(_safe_group(group, name))
        for layer in targets:
            variables = legacy_weights(layer)
            what = f"layer #{k} (named '{name}')"
            if _check_count(variables, values, what, skip_mismatch):
                _assign(variables, values, what, skip_mismatch)
                if variables:
                    loaded.append(name)
    _top_level(group, model, skip_mismatch)
    return loaded


def save_weights_to_hdf5_group(group, model):
    """Write ``model``'s weights into ``group`` in the legacy layout (as Keras 3 does)."""
    from cornu import __version__ as version
    from cornu.backend import backend_name

    save_attributes_to_hdf5_group(
        group, "layer_names",
        [layer.name.encode("utf8") for layer in keras_layer_order(model)],
    )
    group.attrs["backend"] = str(backend_name()).encode("utf8")
    group.attrs["keras_version"] = str(version).encode("utf8")
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        _save_subset(group.create_group(layer.name), legacy_weights(layer))
    own = list(model._trainable_variables) + list(model._non_trainable_variables)
    _save_subset(group.create_group("top_level_model_weights"), own)


def _save_subset(group, variables):
    names = [str(v.path).encode("utf8") for v in variables]
    save_attributes_to_hdf5_group(group, "weight_names", names)
    for name, variable in zip(names, variables):
        group.create_dataset(name.decode("utf8"), data=np.asarray(variable.numpy()))


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Load a legacy ``.h5`` weights file (or a whole-model ``.h5``'s weights) into ``model``.

    Args:
        model: the model to fill.
        filepath: the ``.h5`` / ``.hdf5`` file.
        by_name: match layers by name instead of in order.
        skip_mismatch: skip (with a warning) layers whose weight count or shapes differ.

    Returns:
        With ``by_name``, the names of the layers that received weights; else None.
    """
    from cornu.saving.weights import errors_naming, trusted_source

    filepath = os.fspath(filepath)
    h5_reader.require_file(filepath)
    with errors_naming(filepath):
        f = h5_reader.read_h5(filepath, filepath, trusted=trusted_source(filepath))
        group = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
        if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
            raise ValueError(
                f"{filepath} is not a Keras HDF5 weights file: it has no "
                "'layer_names' attribute (a Keras 3 weights file must be named *.weights.h5)."
            )
        if by_name:
            return load_weights_from_hdf5_group_by_name(group, model, skip_mismatch)
        return load_weights_from_hdf5_group(group, model, skip_mismatch)


def save_weights(model, filepath, overwrite=True):
    """Write ``model``'s weights to a legacy ``.h5`` file (atomically)."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    with atomic_path(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            save_weights_to_hdf5_group(f, model)
    h5_reader.remember(filepath)
