"""``save_weights("w.safetensors")`` / ``load_weights``: the weights of a ``.weights.h5``
file, under the same paths, in the safetensors format.

The independent references: the ``safetensors`` library itself (it reads cornu's
files and writes the files cornu reads), h5py reading the ``.weights.h5`` that
cornu saves for the same model, and Keras 3, whose weights (moved into a
safetensors file by the library) must give cornu Keras's predictions.
"""
import json
import struct

import h5py
import numpy as np
import pytest

import cornu

safetensors_numpy = pytest.importorskip("safetensors.numpy")
keras = pytest.importorskip("keras")


def _model(lib, seed=0):
    lib.utils.set_random_seed(seed)
    inputs = lib.Input((6,))
    x = lib.layers.Dense(8, activation="relu", name="hidden")(inputs)
    x = lib.layers.BatchNormalization(name="norm")(x)
    outputs = lib.layers.Dense(3, name="out")(x)
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=lib.optimizers.Adam(1e-2), loss="mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(32, 6)).astype("float32"), rng.normal(size=(32, 3)).astype(
        "float32")


def _h5_datasets(path):
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return found


def test_same_tensors_under_the_same_paths_as_weights_h5(tmp_path):
    x, y = _data()
    model = _model(cornu)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)  # optimizer state is saved too
    model.save_weights(tmp_path / "w.weights.h5")
    model.save_weights(tmp_path / "w.safetensors")
    expected = _h5_datasets(tmp_path / "w.weights.h5")
    loaded = safetensors_numpy.load_file(str(tmp_path / "w.safetensors"))
    assert set(loaded) == set(expected)
    assert any(name.startswith("optimizer/vars/") for name in loaded)
    for name, array in expected.items():
        np.testing.assert_array_equal(loaded[name], array, err_msg=name)
        assert loaded[name].dtype == array.dtype


def test_round_trip_restores_predictions_and_optimizer_state(tmp_path):
    x, y = _data()
    model = _model(cornu)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save_weights(tmp_path / "w.safetensors")
    fresh = _model(cornu, seed=1)
    fresh.fit(x[:8], y[:8], epochs=1, batch_size=8, verbose=0)  # builds the optimizer
    fresh.load_weights(tmp_path / "w.safetensors")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    for a, b in zip(fresh.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(cornu.ops.convert_to_numpy(a),
                                      cornu.ops.convert_to_numpy(b))
    # training on from the loaded state follows the original exactly
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    fresh.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_keras_weights_through_the_safetensors_library(tmp_path):
    """Keras 3's ``.weights.h5``, rewritten by the safetensors library under the same
    paths, loads into cornu's model and gives Keras's predictions."""
    x, _ = _data()
    reference = _model(keras)
    reference.save_weights(str(tmp_path / "k.weights.h5"))
    tensors = {name: np.ascontiguousarray(a)  # the layers' (Keras's optimizer is unbuilt)
               for name, a in _h5_datasets(tmp_path / "k.weights.h5").items()
               if not name.startswith("optimizer/")}
    safetensors_numpy.save_file(tensors, str(tmp_path / "k.safetensors"))
    model = _model(cornu, seed=3)
    model.load_weights(tmp_path / "k.safetensors")
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               np.asarray(reference.predict(x, verbose=0)), rtol=1e-5,
                               atol=1e-5)


def test_skip_mismatch_and_mismatch_errors(tmp_path):
    model = _model(cornu)
    model.save_weights(tmp_path / "w.safetensors")
    other = cornu.Sequential([cornu.Input((6,)), cornu.layers.Dense(5)])
    with pytest.raises(ValueError, match="w.safetensors"):
        other.load_weights(tmp_path / "w.safetensors")
    before = [w.copy() for w in other.get_weights()]
    other.load_weights(tmp_path / "w.safetensors", skip_mismatch=True)
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_overwrite_false_keeps_the_file(tmp_path):
    model = _model(cornu)
    path = tmp_path / "w.safetensors"
    model.save_weights(path)
    content = path.read_bytes()
    with pytest.raises(FileExistsError):
        model.save_weights(path, overwrite=False)
    assert path.read_bytes() == content


def _write_raw(path, header, data=b""):
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data)


@pytest.mark.parametrize("case", [
    "empty", "huge_header", "not_json", "bad_dtype", "bad_shape", "span_mismatch",
    "overlap", "trailing", "past_end", "duplicate", "bad_metadata", "truncated",
])
def test_malformed_files_are_refused_naming_the_file(tmp_path, case):
    model = cornu.Sequential([cornu.Input((2,)), cornu.layers.Dense(2, name="d")])
    good = tmp_path / "good.safetensors"
    model.save_weights(good)
    path = tmp_path / f"{case}.safetensors"
    k = "layers/dense/vars/0"
    f32 = np.zeros(4, "float32").tobytes()
    if case == "empty":
        path.write_bytes(b"\x01\x02")
    elif case == "huge_header":
        path.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    elif case == "not_json":
        path.write_bytes(struct.pack("<Q", 4) + b"\xff{a}")
    elif case == "bad_dtype":
        _write_raw(path, {k: {"dtype": "Q9", "shape": [2, 2], "data_offsets": [0, 16]}}, f32)
    elif case == "bad_shape":
        _write_raw(path, {k: {"dtype": "F32", "shape": [-2, -2], "data_offsets": [0, 16]}},
                   f32)
    elif case == "span_mismatch":
        _write_raw(path, {k: {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 16]}}, f32)
    elif case == "overlap":
        _write_raw(path, {k: {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                          "layers/dense/vars/1": {"dtype": "F32", "shape": [2],
                                                  "data_offsets": [8, 16]}}, f32)
    elif case == "trailing":
        _write_raw(path, {k: {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}},
                   f32 + b"junk")
    elif case == "past_end":
        _write_raw(path, {k: {"dtype": "F32", "shape": [4, 2], "data_offsets": [0, 32]}}, f32)
    elif case == "duplicate":
        encoded = (b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},'
                   b' "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}')
        path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"\0" * 4)
    elif case == "bad_metadata":
        _write_raw(path, {"__metadata__": {"groups": 3}}, b"")
    elif case == "truncated":
        path.write_bytes(good.read_bytes()[:-5])
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=f"{case}.safetensors"):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # nothing half-loaded


def test_bfloat16_weights_round_trip(tmp_path):
    layer_model = cornu.Sequential([cornu.Input((3,)),
                                    cornu.layers.Dense(4, dtype="bfloat16", name="d")])
    layer_model.save_weights(tmp_path / "b.safetensors")
    with open(tmp_path / "b.safetensors", "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    assert header["layers/dense/vars/0"]["dtype"] == "BF16"
    fresh = cornu.Sequential([cornu.Input((3,)),
                              cornu.layers.Dense(4, dtype="bfloat16", name="d")])
    fresh.load_weights(tmp_path / "b.safetensors")
    for a, b in zip(fresh.get_weights(), layer_model.get_weights()):
        np.testing.assert_array_equal(np.asarray(a, "float32"), np.asarray(b, "float32"))
