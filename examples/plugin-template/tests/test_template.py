"""The template plugin, installed: every component resolves by name through cornu's
registry, computes what its formula says (NumPy references), and survives
``model.save`` / ``load_model`` by name."""
import json
import zipfile

import numpy as np
import pytest

import cornu
from cornu import layers
from cornu.plugins import manager, registry

DIST = "cornu-plugin-template"


def test_discovered_through_its_entry_point():
    info = manager.plugin_infos()[DIST]
    assert info.distribution == DIST and info.version == "0.1.0"
    assert info.hookspec_version == (cornu.plugins.HOOKSPEC_VERSION,)
    owned = {
        ("layer", "GatedDense"), ("activation", "bent_identity"), ("optimizer", "SignSGD"),
        ("optimizer", "sign_sgd"), ("loss", "PseudoHuber"), ("loss", "pseudo_huber"),
        ("metric", "WithinTolerance"), ("callback", "StopAtLoss"), ("dataset", "two_spirals"),
    }
    for kind, name in owned:
        assert registry.owner(kind, name) == DIST, (kind, name)


def test_activation(rng):
    x = rng.normal(size=(4, 5)).astype("float32")
    fn = cornu.activations.get("bent_identity")
    np.testing.assert_allclose(cornu.ops.convert_to_numpy(fn(x)),
                               (np.sqrt(x**2 + 1) - 1) / 2 + x, rtol=1e-6, atol=1e-6)


def test_layer_matches_numpy(rng):
    layer = registry.get("layer", "GatedDense")(3, activation="relu")
    x = rng.normal(size=(5, 4)).astype("float32")
    y = cornu.ops.convert_to_numpy(layer(x))
    kernel, gate_kernel, bias, gate_bias = layer.get_weights()
    assert kernel.shape == gate_kernel.shape == (4, 3)
    expected = np.maximum(x @ kernel + bias, 0) / (1 + np.exp(-(x @ gate_kernel + gate_bias)))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="GatedDense '.*': units must be a positive integer"):
        registry.get("layer", "GatedDense")(0)


def _pseudo_huber(y_true, y_pred, delta):
    return np.mean(delta**2 * (np.sqrt(1 + ((y_pred - y_true) / delta) ** 2) - 1), axis=-1)


def test_loss(rng):
    y_true = rng.normal(size=(6, 3)).astype("float32")
    y_pred = rng.normal(size=(6, 3)).astype("float32")
    by_name = cornu.losses.get("pseudo_huber")
    np.testing.assert_allclose(cornu.ops.convert_to_numpy(by_name(y_true, y_pred)),
                               _pseudo_huber(y_true, y_pred, 1.0), rtol=1e-5)
    loss = cornu.losses.get({"class_name": "PseudoHuber", "config": {"delta": 2.0}})
    weights = np.array([1, 0, 2, 1, 1, 0.5], "float32")
    expected = np.sum(_pseudo_huber(y_true, y_pred, 2.0) * weights) / 6
    np.testing.assert_allclose(float(loss(y_true, y_pred, sample_weight=weights)), expected,
                               rtol=1e-5)


def test_metric(rng):
    metric = cornu.metrics.get("within_tolerance")
    assert type(metric).__name__ == "WithinTolerance" and metric.tolerance == 0.1
    y_true = rng.normal(size=(8, 4)).astype("float32")
    y_pred = (y_true + rng.normal(scale=0.1, size=(8, 4))).astype("float32")
    weights = rng.uniform(size=8).astype("float32")
    metric.update_state(y_true[:5], y_pred[:5], weights[:5])
    metric.update_state(y_true[5:], y_pred[5:], weights[5:])
    per_sample = np.mean(np.abs(y_pred - y_true) <= 0.1, axis=-1)
    np.testing.assert_allclose(float(metric.result()),
                               np.sum(per_sample * weights) / np.sum(weights), rtol=1e-5)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_optimizer_matches_numpy(rng):
    optimizer = cornu.optimizers.get("signum")
    assert type(optimizer).__name__ == "SignSGD"
    optimizer = cornu.optimizers.get({"class_name": "SignSGD",
                                      "config": {"learning_rate": 0.1, "momentum": 0.5}})
    start = rng.normal(size=(3, 2)).astype("float32")
    variable = cornu.Variable(start, name="w")
    w, m = start.astype("float64"), np.zeros_like(start, dtype="float64")
    for _ in range(3):
        grad = rng.normal(size=(3, 2)).astype("float32")
        optimizer.apply([cornu.ops.convert_to_tensor(grad)], [variable])
        m = 0.5 * m + 0.5 * grad
        w = w - 0.1 * np.sign(m)
    np.testing.assert_allclose(variable.numpy(), w, rtol=1e-6, atol=1e-6)
    assert int(optimizer.iterations.numpy()) == 3


def test_callback_by_name():
    # Callbacks resolve by name through the registry; like Keras, cornu never
    # deserializes a callback from a saved model (they are not part of one).
    cls = registry.get("callback", "StopAtLoss")
    callback = cls.from_config(cls(threshold=1e9).get_config())
    model = cornu.Sequential([cornu.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 2), "float32")
    history = model.fit(x, x[:, :1], epochs=5, verbose=0, callbacks=[callback])
    assert len(history.history["loss"]) == 1 and callback.stopped_epoch == 0
    never = cls(threshold=-1.0)
    history = model.fit(x, x[:, :1], epochs=3, verbose=0, callbacks=[never])
    assert len(history.history["loss"]) == 3 and never.stopped_epoch is None


def test_dataset_by_name():
    dataset = registry.get("dataset", "two_spirals")
    (x_train, y_train), (x_test, y_test) = dataset.load_data(num_samples=200, test_split=0.25)
    assert x_train.shape == (150, 2) and x_test.shape == (50, 2)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int32
    x, y = np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
    assert np.bincount(y).tolist() == [100, 100]
    # Each point lies on its spiral: angle - label*pi == r * turns * 2pi (mod 2pi).
    radius = np.linalg.norm(x, axis=1)
    angle = np.arctan2(x[:, 1], x[:, 0]) - y * np.pi
    turn = radius * 1.5 * 2 * np.pi
    np.testing.assert_allclose(np.cos(angle), np.cos(turn), atol=1e-5)
    np.testing.assert_allclose(np.sin(angle), np.sin(turn), atol=1e-5)
    again = dataset.load_data(num_samples=200, test_split=0.25)
    np.testing.assert_array_equal(again[0][0], x_train)


def test_compile_fit_save_and_load_by_name(tmp_path):
    (x, y), _ = registry.get("dataset", "two_spirals").load_data(num_samples=64, noise=0.01)
    y = y.astype("float32")[:, None]
    cornu.utils.set_random_seed(0)
    model = cornu.Sequential([
        cornu.Input((2,)),
        layers.Dense(16, activation="bent_identity"),
        registry.get("layer", "GatedDense")(8, activation="tanh"),
        layers.Dense(1),
    ])
    model.compile(optimizer="sign_sgd", loss="pseudo_huber", metrics=["within_tolerance"])
    before = [np.array(w, copy=True) for w in model.get_weights()]
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "within_tolerance"}
    assert any(np.abs(a - b).max() > 0 for a, b in zip(before, model.get_weights()))

    path = tmp_path / "model.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    text = json.dumps(config)
    for name in ("GatedDense", "bent_identity", "SignSGD", "pseudo_huber", "within_tolerance"):
        assert name in text, name  # saved by name, not by pickled code

    loaded = cornu.saving.load_model(path)
    assert type(loaded.layers[1]).__name__ == "GatedDense"
    assert loaded.layers[0].activation.__name__ == "bent_identity"
    assert type(loaded.optimizer).__name__ == "SignSGD" and loaded.optimizer.momentum == 0.9
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    expected = model.evaluate(x, y, verbose=0, return_dict=True)
    got = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert got.keys() == expected.keys() == {"loss", "within_tolerance"}
    for key in expected:
        assert got[key] == pytest.approx(expected[key], rel=1e-5, abs=1e-6)
