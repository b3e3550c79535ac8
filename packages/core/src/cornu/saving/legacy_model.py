"""Whole models in the legacy Keras HDF5 format (``model.save("x.h5")`` in Keras 2 and 3).

The file's root attribute ``model_config`` is the model's JSON config and the group
``model_weights`` holds the weights in the legacy layout (read by
``cornu.saving.legacy_h5``).  Loading honours ``safe_mode`` exactly as ``.keras``
files do: a ``Lambda`` stored as Python bytecode, or any class that would run code
from the file, is refused unless ``safe_mode=False`` (CVE-2025-9905 was Keras
ignoring safe mode on this path).  In safe mode the file is parsed by
``cornu.saving.h5_reader`` in a child process under a time and memory limit (a few
flipped bits can make libhdf5 loop forever), and every error names the file.
"""
import json
import os

from cornu.saving import h5_reader
from cornu.saving.weights import UnsafeFileError, errors_naming, safe_group, trusted_source

_MAX_CONFIG_BYTES = 64 << 20


def _text(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _upgrade_nodes(config):
    """Keras 2 Functional configs list inbound nodes as ``[[name, node, tensor, kwargs]]``;
    rewrite them in the Keras 3 form (``{"args": [...], "kwargs": {}}``)."""
    inner = config.get("config", {})
    if not isinstance(inner, dict) or "layers" not in inner:
        return config
    for layer in inner["layers"]:
        if not isinstance(layer, dict):
            continue
        _upgrade_nodes(layer)
        nodes = layer.get("inbound_nodes") or []
        upgraded = []
        for node in nodes:
            if isinstance(node, dict):
                upgraded.append(node)
                continue
            refs = []
            kwargs = {}
            for entry in node:
                name, node_index, tensor_index = entry[:3]
                if len(entry) > 3 and isinstance(entry[3], dict):
                    kwargs.update(entry[3])
                refs.append({"class_name": "__keras_tensor__",
                             "config": {"keras_history": [name, node_index, tensor_index]}})
            args = [refs[0]] if len(refs) == 1 else [refs]
            upgraded.append({"args": args, "kwargs": kwargs})
        layer["inbound_nodes"] = upgraded
    return config


def load_legacy_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild the model of a legacy ``.h5`` file and load its weights."""
    from cornu.saving import legacy_h5
    from cornu.saving.keras_file import _ALLOCATION_SLACK, model_from_config

    filepath = os.fspath(filepath)
    h5_reader.require_file(filepath)
    with errors_naming(filepath):
        f = h5_reader.read_h5(filepath, filepath, trusted=trusted_source(filepath, safe_mode))
        if "model_config" not in f.attrs:
            raise ValueError(
                f"{filepath} holds no model config (a weights-only HDF5 file): build the "
                "model and call model.load_weights() instead."
            )
        raw = f.attrs["model_config"]
        if len(raw) > _MAX_CONFIG_BYTES:
            raise UnsafeFileError(f"{filepath}: the model config is implausibly large")
        try:
            config = json.loads(_text(raw))
        except ValueError as err:
            raise ValueError(f"{filepath}: model_config is not valid JSON: {err}") from err
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"{filepath}: model_config does not describe a model")
        config = _upgrade_nodes(config)
        limit = 2 * os.path.getsize(filepath) + _ALLOCATION_SLACK
        model = model_from_config(config, custom_objects, False, safe_mode, limit, filepath)
        group = safe_group(f, "model_weights")
        if group is None:
            raise ValueError(f"{filepath}: the model_weights group is missing")
        legacy_h5.load_weights_from_hdf5_group(group, model)
        training = f.attrs.get("training_config")
        if compile and training is not None:
            _compile_from_training_config(model, json.loads(_text(training)), custom_objects)
    return model


def _compile_from_training_config(model, training, custom_objects):
    from cornu.serialization import custom_object_scope, deserialize_cornu_object

    optimizer = training.get("optimizer_config")
    with custom_object_scope(custom_objects or {}):
        if isinstance(optimizer, dict):
            optimizer = deserialize_cornu_object(optimizer, kind="optimizer")
        model.compile(
            optimizer=optimizer or "rmsprop",
            loss=_plain(training.get("loss")),
            metrics=_plain(training.get("metrics")),
            weighted_metrics=_plain(training.get("weighted_metrics")),
            loss_weights=training.get("loss_weights"),
        )


def _plain(value):
    """Loss/metric identifiers of a training config: names stay names, configs are rebuilt."""
    from cornu.serialization import deserialize_cornu_object

    if isinstance(value, dict) and "class_name" in value:
        kind = "loss" if "losses" in str(value.get("module")) else "metric"
        return deserialize_cornu_object(value, kind=kind)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
