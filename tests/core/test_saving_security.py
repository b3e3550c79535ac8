"""Untrusted files: every published Keras model-loading vulnerability as a crafted file.

Each payload, if it ran, would create a marker file (or read a host file that the
test deletes first); every test asserts a clear refusal and no marker.  Runs with
cornu-core and the test plugin only (the Lambda/TorchModuleWrapper/lookup-layer
variants are in tests/integration/test_saving_untrusted_layers.py).
"""
import base64
import json
import marshal
import os
import zipfile

import h5py
import numpy as np
import pytest

import cornu
from cornu.saving import UnsafeFileError
from cornu_testplugin import ScaledDense


def _model():
    return cornu.Sequential([cornu.Input((4,)), ScaledDense(3, name="a"),
                             ScaledDense(2, name="b")], name="net")


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_archive(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _good_archive(tmp_path):
    path = tmp_path / "good.keras"
    _model().save(path)
    return path


def _with_config(tmp_path, edit, name="evil.keras"):
    """A real archive whose config.json is replaced by ``edit(config)``."""
    members = _members(_good_archive(tmp_path))
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config)
    return _write_archive(tmp_path / name, members)


def _lambda_record(marker):
    """Keras's ``__lambda__`` record: marshalled bytecode that writes ``marker``."""
    source = f"lambda x: (open({str(marker)!r}, 'w').write('pwned'), x)[1]"
    code = eval(compile(source, "<payload>", "eval")).__code__  # noqa: S307 (test payload)
    return {"class_name": "__lambda__", "config": {
        "code": base64.b64encode(marshal.dumps(code)).decode("ascii"),
        "defaults": None, "closure": None}}


def test_the_lambda_payload_is_live(tmp_path):
    """The payload used below really writes its marker when run (outside cornu)."""
    marker = tmp_path / "marker"
    record = _lambda_record(marker)
    fn = type(lambda: 0)(marshal.loads(base64.b64decode(record["config"]["code"])), {})
    fn(1)
    assert marker.exists()


ARBITRARY_CALLS = {
    # CVE-2025-1550: a config naming an arbitrary module and function.
    "os.system": lambda m: {"module": "os", "class_name": "system",
                            "config": {"command": f"touch {m}"}, "registered_name": None},
    "subprocess.run": lambda m: {"module": "subprocess", "class_name": "run",
                                 "config": {"args": ["touch", str(m)]}, "registered_name": None},
    "builtins.exec": lambda m: {"module": "builtins", "class_name": "exec",
                                "config": {"source": f"open({str(m)!r}, 'w')"},
                                "registered_name": None},
    # CVE-2025-8747: an allowed helper (get_file) used as a gadget to write files.
    "keras.utils.get_file": lambda m: {
        "module": "keras.utils", "class_name": "get_file", "registered_name": None,
        "config": {"fname": m.name, "origin": "file://" + str(m.parent / "source.txt"),
                   "cache_dir": str(m.parent), "cache_subdir": "."}},
    "function get_file": lambda m: {"module": "keras.utils", "class_name": "function",
                                    "config": "get_file", "registered_name": "function"},
    # CVE-2025-9906: a config that switches safe mode off before a lambda.
    "enable_unsafe_deserialization": lambda m: {
        "module": "keras.config", "class_name": "function",
        "config": "enable_unsafe_deserialization", "registered_name": "function"},
    # CVE-2024-3660: a lambda's bytecode as a model layer.
    "__lambda__": _lambda_record,
}


@pytest.mark.parametrize("case", sorted(ARBITRARY_CALLS))
def test_configs_naming_code_are_refused(tmp_path, case):
    marker = tmp_path / "marker"
    (tmp_path / "source.txt").write_text("payload")
    record = ARBITRARY_CALLS[case](marker)

    def edit(config):
        layers = config["config"]["layers"]
        layers.insert(1, record)  # before the real layers
        if case == "enable_unsafe_deserialization":
            layers.insert(2, _lambda_record(marker))

    path = _with_config(tmp_path, edit)
    with pytest.raises(ValueError) as info:
        cornu.saving.load_model(path)
    message = str(info.value)
    assert "safe mode" in message or "Could not locate" in message \
        or "Cannot deserialize" in message or "Unknown" in message, message
    assert not marker.exists()
    # The same record through the plain deserialization API, and as a nested value.
    with pytest.raises(ValueError):
        cornu.saving.deserialize_keras_object(record)
    assert not marker.exists()


def test_get_file_gadget_payload_is_live(tmp_path):
    """What the get_file record above would do if a loader called it: write the file."""
    marker = tmp_path / "marker"
    (tmp_path / "source.txt").write_text("payload")
    cornu.utils.get_file(**ARBITRARY_CALLS["keras.utils.get_file"](marker)["config"])
    assert marker.exists()


def test_a_config_cannot_turn_safe_mode_off(tmp_path):
    """CVE-2025-9906 variants: a 'safe_mode' key in a layer config, or a nested
    deserialize call, cannot switch safe mode off for what follows."""
    marker = tmp_path / "marker"

    def edit(config):
        config["config"]["layers"][1]["config"]["safe_mode"] = False
        config["safe_mode"] = False
        config["config"]["layers"].append(_lambda_record(marker))

    path = _with_config(tmp_path, edit)
    with pytest.raises(ValueError):
        cornu.saving.load_model(path)
    assert not marker.exists()
    assert cornu.serialization.in_safe_mode()


def test_legacy_h5_model_with_bytecode_is_refused(tmp_path):
    """CVE-2025-9905: the legacy HDF5 path honours safe mode too."""
    marker = tmp_path / "marker"
    config = json.loads(_model().to_json())
    config["config"]["layers"].append(_lambda_record(marker))
    path = tmp_path / "legacy.h5"
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "3.15.1"
        f.create_group("model_weights").attrs["layer_names"] = np.array([], dtype="S1")
    with pytest.raises(ValueError, match="safe mode"):
        cornu.saving.load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize("member", [
    "assets/" + "../" * 40 + "{target}",      # relative traversal (CVE-2025-12060)
    "{target_abs}",                            # absolute path
    "assets/..\\..\\{target}",                 # Windows separators
])
def test_archive_path_traversal_is_refused(tmp_path, member):
    target = tmp_path / "escaped" / "marker"
    target.parent.mkdir()
    name = member.format(target=str(target).lstrip("/"), target_abs=str(target))
    members = _members(_good_archive(tmp_path))
    members[name] = b"pwned"
    path = _write_archive(tmp_path / "traversal.keras", members)
    with pytest.raises(UnsafeFileError, match="escapes|refusing"):
        cornu.saving.load_model(path)
    assert not target.exists()
    with pytest.raises(UnsafeFileError):
        _model().load_weights(path)


def test_archive_symlink_member_is_refused(tmp_path):
    members = _members(_good_archive(tmp_path))
    path = tmp_path / "link.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        info = zipfile.ZipInfo("assets/layers/scaled_dense/vocabulary.txt")
        info.external_attr = (0o120777 << 16)  # a symlink to a host file
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        cornu.saving.load_model(path)


def test_zip_bomb_is_refused_before_decompression(tmp_path):
    """A member of 300 MiB of zeros deflated to ~300 KB."""
    members = _members(_good_archive(tmp_path))
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        with archive.open("assets/bomb.bin", "w", force_zip64=True) as f:
            chunk = bytes(1 << 20)
            for _ in range(300):
                f.write(chunk)
    assert os.path.getsize(path) < 2 << 20
    with pytest.raises(UnsafeFileError, match="decompression bomb"):
        cornu.saving.load_model(path)


def _weights_with(tmp_path, mutate):
    model = _model()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r+") as f:
        mutate(f, tmp_path)
    return model, path


def _external_link(f, tmp):
    secret = tmp / "secret.h5"
    with h5py.File(secret, "w") as s:
        s["data"] = np.zeros((4, 3), "float32")
    del f["layers/scaled_dense/vars/0"]
    f["layers/scaled_dense/vars/0"] = h5py.ExternalLink(str(secret), "data")
    secret.unlink()  # were the link followed, h5py would fail on the missing file instead


def _soft_link(f, tmp):
    f["elsewhere"] = f["layers/scaled_dense/vars/0"][()]
    del f["layers/scaled_dense/vars/0"]
    f["layers/scaled_dense/vars/0"] = h5py.SoftLink("/elsewhere")


def _external_storage(f, tmp):
    host = tmp / "host_file.bin"
    host.write_bytes(bytes(48))
    del f["layers/scaled_dense/vars/0"]
    f.create_dataset("layers/scaled_dense/vars/0", shape=(4, 3), dtype="float32",
                     external=[(str(host), 0, 48)])
    host.unlink()


def _virtual(f, tmp):
    secret = tmp / "secret.h5"
    with h5py.File(secret, "w") as s:
        s["data"] = np.zeros((4, 3), "float32")
    layout = h5py.VirtualLayout(shape=(4, 3), dtype="float32")
    layout[:] = h5py.VirtualSource(str(secret), "data", shape=(4, 3))
    del f["layers/scaled_dense/vars/0"]
    f.create_virtual_dataset("layers/scaled_dense/vars/0", layout)
    secret.unlink()


def _group_link(f, tmp):
    del f["layers/scaled_dense_1"]
    f["layers/scaled_dense_1"] = h5py.SoftLink("/layers/scaled_dense")


def _shape_bomb(f, tmp):
    """CVE-2026-0897: 4 TiB declared, a few bytes stored (chunked, compressed, empty)."""
    group = f.require_group("layers/scaled_dense/vars")
    del group["0"]
    group.create_dataset("0", shape=(1 << 20, 1 << 20), dtype="float32", chunks=(64, 64),
                         compression="gzip")


def _shape_bomb_unmatched(f, tmp):
    """A bomb where nothing checks the shape against a variable: a layer's own store."""
    group = f.require_group("vars")
    group.create_dataset("0", shape=(1 << 20, 1 << 20), dtype="float32", chunks=(64, 64),
                         compression="gzip")


HDF5_ATTACKS = {
    "external link": (_external_link, "ExternalLink"),
    "soft link": (_soft_link, "SoftLink"),
    "external storage": (_external_storage, "external storage"),
    "virtual dataset": (_virtual, "virtual dataset"),
    "group soft link": (_group_link, "SoftLink"),
    "shape bomb": (_shape_bomb, "shape"),
}


@pytest.mark.parametrize("attack", sorted(HDF5_ATTACKS))
def test_hdf5_attacks_are_refused_in_weights_files_and_archives(tmp_path, attack):
    """CVE-2026-1669 (links, external storage, virtual datasets) and shape bombs."""
    mutate, message = HDF5_ATTACKS[attack]
    model, path = _weights_with(tmp_path, mutate)
    with pytest.raises(ValueError, match=message):
        model.load_weights(path)
    members = _members(_good_archive(tmp_path))
    members["model.weights.h5"] = path.read_bytes()
    archive = _write_archive(tmp_path / "evil.keras", members)
    with pytest.raises(ValueError, match=message):
        cornu.saving.load_model(archive)


def test_shape_bomb_in_an_unchecked_store_is_refused(tmp_path):
    from cornu.saving.weights import _ReadStore, safe_group

    _, path = _weights_with(tmp_path, _shape_bomb_unmatched)
    with h5py.File(path) as f:
        store = _ReadStore(safe_group(f, "vars"))
        with pytest.raises(UnsafeFileError, match="shape bomb"):
            store["0"]


def test_configs_asking_for_unbounded_allocation_are_refused(tmp_path):
    """A config whose layers would allocate ~4 TB from a file of a few KB."""

    def edit(config):
        layers = config["config"]["layers"]
        layers[0]["config"]["batch_shape"] = [None, 1 << 20]
        layers[1]["config"]["units"] = 1 << 20

    path = _with_config(tmp_path, edit)
    with pytest.raises(ValueError, match="unbounded allocation"):
        cornu.saving.load_model(path)

    def edit_build(config):
        del config["config"]["layers"][0]
        config["config"].pop("build_input_shape", None)
        config["build_config"] = {"input_shape": [None, 1 << 30]}
        config["config"]["layers"][0].pop("build_config", None)
        config["config"]["layers"][1].pop("build_config", None)

    path = _with_config(tmp_path, edit_build, "build.keras")
    with pytest.raises(ValueError, match="unbounded allocation"):
        cornu.saving.load_model(path)


def test_corrupt_json_and_missing_members_give_clear_errors(tmp_path):
    members = _members(_good_archive(tmp_path))
    broken = dict(members, **{"config.json": b"{\"class_name\": "})
    with pytest.raises(ValueError, match="not valid JSON"):
        cornu.saving.load_model(_write_archive(tmp_path / "a.keras", broken))
    missing = {k: v for k, v in members.items() if k != "model.weights.h5"}
    with pytest.raises(ValueError, match="model.weights.h5 is missing"):
        cornu.saving.load_model(_write_archive(tmp_path / "b.keras", missing))
    wrong = dict(members, **{"config.json": b"[1, 2]"})
    with pytest.raises(ValueError, match="does not describe a model"):
        cornu.saving.load_model(_write_archive(tmp_path / "c.keras", wrong))
    with pytest.raises(ValueError, match="File not found"):
        cornu.saving.load_model(tmp_path / "nothing.keras")
    (tmp_path / "text.keras").write_text("hello")
    with pytest.raises(ValueError, match="not a .keras archive"):
        cornu.saving.load_model(tmp_path / "text.keras")


def test_fuzzed_archives_fail_cleanly(tmp_path):
    """Truncations and bit flips of a real archive: each load succeeds or raises a
    ValueError naming the problem; nothing else escapes, nothing crashes."""
    good = _good_archive(tmp_path).read_bytes()
    rng = np.random.default_rng(7)
    mutants = [good[:n] for n in sorted(set(rng.integers(1, len(good), 25).tolist()))]
    for _ in range(60):
        data = bytearray(good)
        for position in rng.integers(0, len(data), int(rng.integers(1, 4))):
            data[position] ^= 1 << int(rng.integers(0, 8))
        mutants.append(bytes(data))
    outcomes = {"loaded": 0, "refused": 0}
    for i, data in enumerate(mutants):
        path = tmp_path / f"m{i}.keras"
        path.write_bytes(data)
        try:
            model = cornu.saving.load_model(path)
        except ValueError as err:
            assert str(err), "an error without a message"
            outcomes["refused"] += 1
        else:
                    # A flip in zip metadata outside the CRCs (a date, an attribute) can leave a
            # valid file: it must then load completely.
            assert model.predict(np.ones((1, 4), "float32"), verbose=0).shape == (1, 2)
            outcomes["loaded"] += 1
        path.unlink()
    assert outcomes["refused"] >= 70, outcomes


def test_truncated_weights_files_fail_cleanly(tmp_path):
    model, path = _weights_with(tmp_path, lambda f, tmp: None)
    good = path.read_bytes()
    for n in (10, len(good) // 3, len(good) // 2, len(good) - 100):
        cut = tmp_path / f"cut{n}.weights.h5"
        cut.write_bytes(good[:n])
        with pytest.raises(ValueError, match="HDF5|corrupt|truncated"):
            model.load_weights(cut)


def test_datasets_registry_kinds_are_not_reachable_from_configs():
    from cornu.serialization import SERIALIZABLE_KINDS

    assert {"dataset", "application", "callback"}.isdisjoint(SERIALIZABLE_KINDS)
    with pytest.raises(ValueError):
        cornu.saving.deserialize_keras_object(
            {"module": "keras.datasets.mnist", "class_name": "load_data",
             "config": {"path": "/tmp/x.npz"}})


def test_safe_mode_false_is_explicit_and_scoped():
    """Turning safe mode off for one call does not leak to the next."""
    from cornu.serialization import deserialize_cornu_object, in_safe_mode

    with pytest.raises(ValueError):
        deserialize_cornu_object({"class_name": "Nope", "config": {}}, safe_mode=False)
    assert in_safe_mode()
