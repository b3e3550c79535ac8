"""Untrusted files that need the layer family: Lambda bytecode written by Keras 3
(CVE-2024-3660) in .keras and legacy .h5 files (CVE-2025-9905), a pickled module in a
TorchModuleWrapper config, a lookup layer whose vocabulary is a host file path, and
registry entries (datasets, applications) used as gadgets (CVE-2025-8747).

Each payload would create a marker file; safe mode must refuse without it appearing,
and ``safe_mode=False`` must then load the file (proving the payload was live and
the refusal came from safe mode).
"""
import base64
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import cornu
from cornu import ops

keras = pytest.importorskip("keras")


def _payload_lambda(marker):
    """``x -> 2x`` that also creates ``marker``, with the path a constant of its code."""
    source = f"lambda t: (open({str(marker)!r}, 'a').close(), t * 2.0)[1]"
    return eval(compile(source, "<payload>", "eval"))  # noqa: S307 (test payload)


def _keras_lambda_model(marker):
    inputs = keras.Input((3,), name="x")
    hidden = keras.layers.Dense(2, name="d")(inputs)
    return keras.Model(inputs, keras.layers.Lambda(_payload_lambda(marker), name="lam")(hidden))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_lambda_bytecode_needs_safe_mode_false(tmp_path, suffix, rng):
    marker = tmp_path / "marker"
    kmodel = _keras_lambda_model(marker)
    path = tmp_path / f"lambda{suffix}"
    kmodel.save(path)
    os.remove(marker)  # building the Keras model ran the payload once
    with pytest.raises(ValueError, match="safe mode|safe_mode"):
        cornu.saving.load_model(path)
    assert not marker.exists()
    loaded = cornu.saving.load_model(path, safe_mode=False)
    assert marker.exists()  # the bytecode ran: the payload was live
    x = rng.standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(x)),
                               keras.ops.convert_to_numpy(kmodel(x)), rtol=1e-6)
    assert cornu.serialization.in_safe_mode()  # and safe mode is back on afterwards


def test_lambda_record_inside_a_layer_config_is_refused(tmp_path):
    """CVE-2025-9906 shape: an activation slot holding bytecode, after a record that
    names Keras's enable_unsafe_deserialization."""
    marker = tmp_path / "marker"
    model = cornu.Sequential([cornu.Input((3,)), cornu.layers.Dense(2, name="d")])
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    config = json.loads(members["config.json"])
    code = _payload_lambda(marker).__code__
    import marshal

    bytecode = {"class_name": "__lambda__", "config": {
        "code": base64.b64encode(marshal.dumps(code)).decode(), "defaults": None,
        "closure": None}}
    dense = config["config"]["layers"][1]["config"]
    dense["kernel_regularizer"] = {"module": "keras.config", "class_name": "function",
                                   "config": "enable_unsafe_deserialization",
                                   "registered_name": "function"}
    dense["activation"] = bytecode
    members["config.json"] = json.dumps(config)
    evil = tmp_path / "evil.keras"
    with zipfile.ZipFile(evil, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError):
        cornu.saving.load_model(evil)
    assert not marker.exists()


class _Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_module_in_a_config_is_refused(tmp_path):
    marker = tmp_path / "marker"
    blob = pickle.dumps(_Payload(marker))
    pickle.loads(blob)  # the payload is live ...
    assert marker.exists()
    marker.unlink()
    record = {"module": "keras.layers", "class_name": "TorchModuleWrapper", "config": {
        "name": "wrapped", "module": base64.b64encode(blob).decode("ascii"),
        "output_shape": None}, "registered_name": None}
    with pytest.raises(ValueError, match="safe_mode=False"):
        cornu.saving.deserialize_keras_object(record)
    assert not marker.exists()  # ... and never ran


def test_vocabulary_file_outside_the_archive_is_refused(tmp_path):
    secret = tmp_path / "host_vocabulary.txt"
    secret.write_text("alpha\nbeta\n")
    inputs = cornu.Input((1,), dtype="string")
    lookup = cornu.layers.StringLookup(vocabulary=["a", "b"], name="lookup")
    model = cornu.Model(inputs, lookup(inputs))
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["vocabulary"] = str(secret)
    members["config.json"] = json.dumps(config)
    evil = tmp_path / "evil.keras"
    with zipfile.ZipFile(evil, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="outside of the model archive"):
        cornu.saving.load_model(evil)
    trusted = cornu.saving.load_model(evil, safe_mode=False)
    assert trusted.layers[-1].get_vocabulary()[1:] == ["alpha", "beta"]


@pytest.mark.parametrize("kind", ["dataset", "application"])
def test_registry_entries_that_fetch_files_are_not_reachable(kind):
    from cornu.plugins import registry

    names = registry.names(kind)
    if not names:
        pytest.skip(f"no {kind} plugin installed")
    for name in names:
        for record in ({"module": "keras.layers", "class_name": name, "config": {}},
                       {"module": None, "class_name": "function", "config": name,
                        "registered_name": "function"}):
            with pytest.raises(ValueError):
                cornu.saving.deserialize_keras_object(record)
