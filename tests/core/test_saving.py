"""Weights files, .keras archives and configs, written and read back for real."""
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import cornu
from cornu import ops
from cornu_testplugin import PlainGD, ScaledDense


def mse(y_true, y_pred):
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def _trained_model():
    model = cornu.Sequential([cornu.Input((4,)), ScaledDense(3, name="a"),
                              ScaledDense(2, scale=0.5, name="b")], name="net")
    model.compile(optimizer=PlainGD(0.05), loss=mse)
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(32, 4)).astype("float32"),
              rng.normal(size=(32, 2)).astype("float32"), epochs=1, batch_size=8, verbose=0)
    return model


def test_weights_file_round_trip_and_keras_layout(tmp_path):
    model = _trained_model()
    path = tmp_path / "net.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        assert f["layers/scaled_dense/vars"].attrs["name"] == "a"
        assert f["layers/scaled_dense_1/vars"].attrs["name"] == "b"
        assert f["layers/scaled_dense/vars/0"].shape == (4, 3)
        assert f["vars"].attrs["name"] == "net"
        assert "optimizer/vars/0" in f  # iterations
    fresh = cornu.Sequential([cornu.Input((4,)), ScaledDense(3), ScaledDense(2, scale=0.5)])
    fresh.load_weights(path)
    x = np.random.rand(5, 4).astype("float32")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_mismatch_names_the_layer_and_skip_mismatch(tmp_path):
    model = _trained_model()
    path = tmp_path / "net.weights.h5"
    model.save_weights(path)
    other = cornu.Sequential([cornu.Input((4,)), ScaledDense(3, name="x"), ScaledDense(5, name="y")])
    with pytest.raises(ValueError) as info:
        other.load_weights(path)
    assert "'y'" in str(info.value) and "(3, 5)" in str(info.value)
    before = other.layers[1].get_weights()[0].copy()
    other.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].get_weights()[0], model.layers[0].get_weights()[0])
    np.testing.assert_array_equal(other.layers[1].get_weights()[0], before)


def test_keras_archive_round_trip(tmp_path):
    model = _trained_model()
    path = tmp_path / "net.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist()[:3] == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
        config = json.loads(archive.read("config.json"))
        assert config["class_name"] == "Sequential"
        assert config["compile_config"]["optimizer"]["class_name"] == "PlainGD"
        assert "keras_version" in json.loads(archive.read("metadata.json"))
    loaded = cornu.saving.load_model(path, custom_objects={"mse": mse})
    assert [l.name for l in loaded.layers] == ["a", "b"]
    assert loaded.layers[1].scale == 0.5
    x = np.random.rand(6, 4).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 4


def test_interrupted_save_keeps_the_last_good_file(tmp_path, monkeypatch):
    model = _trained_model()
    path = tmp_path / "net.weights.h5"
    model.save_weights(path)
    good = path.read_bytes()
    model.layers[0].set_weights([np.zeros((4, 3), "float32")])
    original = h5py.Group.create_dataset
    calls = []

    def failing(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise OSError("simulated crash mid-save")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", failing)
    with pytest.raises(OSError, match="simulated"):
        model.save_weights(path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["net.weights.h5"]  # no temporary left behind


def test_untrusted_weights_file_with_external_link_is_refused(tmp_path):
    model = _trained_model()
    path = tmp_path / "net.weights.h5"
    model.save_weights(path)
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f["data"] = np.zeros((4, 3), "float32")
    with h5py.File(path, "r+") as f:
        del f["layers/scaled_dense/vars/0"]
        f["layers/scaled_dense/vars/0"] = h5py.ExternalLink(str(secret), "data")
    with pytest.raises(ValueError, match="Refusing"):
        model.load_weights(path)


def test_lambda_config_is_refused_in_safe_mode():
    from cornu.serialization import deserialize_cornu_object

    with pytest.raises(ValueError, match="safe mode"):
        deserialize_cornu_object({"class_name": "__lambda__", "config": {"code": "..."}})


def test_registered_custom_class_round_trips_through_config():
    @cornu.saving.register_cornu_serializable(package="tests")
    class Doubler(cornu.Layer):
        def call(self, x):
            return ops.multiply(x, 2.0)

    model = cornu.Sequential([cornu.Input((2,)), Doubler(name="dbl")])
    config = cornu.saving.serialize_cornu_object(model)
    assert config["config"]["layers"][1]["registered_name"] == "tests>Doubler"
    clone = cornu.saving.deserialize_cornu_object(json.loads(json.dumps(config)))
    out = clone(np.ones((1, 2), "float32"))
    np.testing.assert_array_equal(ops.convert_to_numpy(out), [[2.0, 2.0]])
