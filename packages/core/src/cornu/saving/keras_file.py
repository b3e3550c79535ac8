"""Whole models in ``.keras`` archives (the Keras 3 zip layout).

The archive holds, stored uncompressed and in this order, ``metadata.json``,
``config.json`` (the model config with ``compile_config`` and
``build_config``) and ``model.weights.h5``.  Loading resolves every class
through ``custom_objects`` and the plugin registry; nothing is imported by
module path, and lambdas are refused unless ``safe_mode=False``.
"""
import datetime
import io
import json
import os
import zipfile

import h5py

from cornu.saving.atomic import atomic_path
from cornu.saving.weights import read_weights, write_weights

KERAS_VERSION = "3.15.1"  # the file-format version written into metadata.json
_MAX_MEMBER_BYTES = 4 << 30


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    filepath = os.fspath(filepath)
    if filepath.endswith(".weights.h5"):
        raise ValueError("save(): use save_weights() for a .weights.h5 file")
    if filepath.endswith(".h5"):
        raise ValueError(
            "save(): the legacy HDF5 (.h5) model format is not written by cornu; use a "
            ".keras filename"
        )
    if not filepath.endswith(".keras"):
        raise ValueError(f"save(): the filename must end in .keras, received {filepath!r}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    from cornu.serialization import serialize_cornu_object
    from cornu.version import __version__

    config = serialize_cornu_object(model)
    compile_config = model.get_compile_config() if include_optimizer else None
    config["compile_config"] = compile_config
    build = model.get_build_config()
    if build is not None:
        config["build_config"] = build
    metadata = {
        "keras_version": KERAS_VERSION,
        "cornu_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        write_weights(model, f, include_optimizer=include_optimizer)
    with atomic_path(filepath) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("metadata.json", json.dumps(metadata))
            archive.writestr("config.json", json.dumps(config))
            archive.writestr("model.weights.h5", weights.getvalue())


def _read_member(archive, name):
    info = archive.getinfo(name)
    if info.file_size > _MAX_MEMBER_BYTES:
        raise ValueError(f"Refusing to read {name}: {info.file_size} bytes is too large")
    return archive.read(name)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by ``model.save`` (cornu or Keras 3)."""
    from cornu.serialization import deserialize_cornu_object

    filepath = os.fspath(filepath)
    if not zipfile.is_zipfile(filepath):
        raise ValueError(
            f"{filepath} is not a .keras archive (a zip file). Weights-only files load "
            "with model.load_weights()."
        )
    with zipfile.ZipFile(filepath, "r") as archive:
        names = set(archive.namelist())
        for required in ("config.json", "model.weights.h5"):
            if required not in names:
                raise ValueError(f"{filepath} is not a valid .keras file: {required} is missing")
        config = json.loads(_read_member(archive, "config.json"))
        weights = _read_member(archive, "model.weights.h5")
    compile_config = config.pop("compile_config", None)
    model = deserialize_cornu_object(config, custom_objects=custom_objects, kind="layer",
                                     safe_mode=safe_mode)
    if not model.built and config.get("build_config"):
        model.build_from_config(config["build_config"])
    if compile and compile_config:
        from cornu.serialization import custom_object_scope

        with custom_object_scope(custom_objects or {}):
            model.compile_from_config(compile_config)
    with h5py.File(io.BytesIO(weights), "r") as f:
        read_weights(model, f, include_optimizer=compile)
    return model


def load_weights_from_archive(model, filepath, skip_mismatch=False):
    with zipfile.ZipFile(filepath, "r") as archive:
        weights = _read_member(archive, "model.weights.h5")
    with h5py.File(io.BytesIO(weights), "r") as f:
        read_weights(model, f, skip_mismatch=skip_mismatch)
