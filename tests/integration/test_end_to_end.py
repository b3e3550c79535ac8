"""Cross-package tests: the demo slice end to end, plugins by name, Keras 3 as the reference."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import cornu
from cornu import ops

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"


def test_demo_reaches_keras_accuracy_after_three_epochs(tmp_path, monkeypatch, capsys):
    mirror = SHARED_DATA / "fashion-mnist"
    if not mirror.is_dir():
        pytest.skip(f"no offline Fashion-MNIST copy at {mirror}")
    monkeypatch.setenv("CORNU_DATASETS_MIRROR", str(mirror))
    monkeypatch.setenv("CORNU_HOME", str(tmp_path / "home"))
    spec = importlib.util.spec_from_file_location("demo", ROOT / "examples" / "fashion_mnist.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    accuracy = demo.main(["--epochs", "3", "--verbose", "0", "--output", str(tmp_path / "out")])
    # Keras 3 reaches 0.836-0.841 on this script after 3 epochs.
    # Across seeds cornu measured 0.828-0.845 here (the optimizer and the layers match
    # Keras step for step, see test_training_matches_keras_step_for_step).
    assert accuracy >= 0.82
    assert (tmp_path / "out" / "learning_curves.png").stat().st_size > 10_000
    assert (tmp_path / "out" / "predictions.png").stat().st_size > 10_000
    assert "Total params: 266,610" in capsys.readouterr().out


def test_third_party_plugin_by_name_in_compile_config_and_saved_file(tmp_path):
    from cornu_testplugin import ScaledDense

    model = cornu.Sequential([cornu.Input((4,)), cornu.layers.Dense(8, activation="relu"),
                              ScaledDense(3, scale=0.5, name="scaled")])
    model.compile(optimizer="plain_gd", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = rng.normal(size=(64, 3)).astype("float32")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert list(history.history) == ["loss", "mae"]
    assert type(model.optimizer).__name__ == "PlainGD"
    config = json.loads(model.to_json())
    assert config["config"]["layers"][2]["class_name"] == "ScaledDense"
    clone = cornu.Sequential.from_config(config["config"])
    assert isinstance(clone.layers[1], ScaledDense) and clone.layers[1].scale == 0.5
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = cornu.saving.load_model(path)
    assert type(loaded.optimizer).__name__ == "PlainGD"
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_accuracy_string_resolves_from_the_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 5)).astype("float32")
    cases = {
        "sparse_categorical_crossentropy": (rng.integers(0, 3, 32), "SparseCategoricalAccuracy", 3),
        "categorical_crossentropy": (np.eye(3, dtype="float32")[rng.integers(0, 3, 32)],
                                     "CategoricalAccuracy", 3),
        "binary_crossentropy": (rng.integers(0, 2, (32, 1)).astype("float32"), "BinaryAccuracy", 1),
    }
    for loss, (y, expected, units) in cases.items():
        model = cornu.Sequential([cornu.Input((5,)), cornu.layers.Dense(
            units, activation="sigmoid" if units == 1 else "softmax")])
        model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
        logs = model.evaluate(x, y, verbose=0, return_dict=True)
        assert type(model.metrics[1].metrics[0]).__name__ == expected
        assert set(logs) == {"loss", "accuracy"}
        pred = model.predict(x, verbose=0)
        if expected == "SparseCategoricalAccuracy":
            reference = np.mean(pred.argmax(-1) == y)
        elif expected == "CategoricalAccuracy":
            reference = np.mean(pred.argmax(-1) == y.argmax(-1))
        else:
            reference = np.mean((pred > 0.5) == (y > 0.5))
        np.testing.assert_allclose(logs["accuracy"], reference, rtol=1e-6)


def _keras_mlp(keras):
    # Explicit names: Keras and cornu number default names per process.
    return keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28), name="flatten"),
        keras.layers.Dense(300, activation="relu", name="dense"),
        keras.layers.Dense(100, activation="relu", name="dense_1"),
        keras.layers.Dense(10, activation="softmax", name="dense_2"),
    ], name="mlp")


def test_matches_keras_forward_summary_and_weights_files(tmp_path):
    keras = pytest.importorskip("keras")
    kmodel = _keras_mlp(keras)
    ours = _keras_mlp(cornu)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in kmodel.get_weights()]
    ours.set_weights(kmodel.get_weights())
    x = np.random.default_rng(0).random((7, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    theirs_lines, our_lines = [], []
    kmodel.summary(print_fn=lambda line, **_: theirs_lines.extend(line.splitlines()))
    ours.summary(print_fn=lambda text: our_lines.extend(text.splitlines()))
    assert our_lines[0] == theirs_lines[0] == 'Model: "mlp"'
    for line in theirs_lines:
        if "(Flatten)" in line or "(Dense)" in line or "params" in line:
            assert line.rstrip() in [l.rstrip() for l in our_lines], line
    # A .weights.h5 written by Keras 3 loads into cornu, and the other way round.
    keras_file = tmp_path / "keras.weights.h5"
    kmodel.save_weights(keras_file)
    fresh = _keras_mlp(cornu)
    fresh.load_weights(keras_file)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    our_file = tmp_path / "cornu.weights.h5"
    ours.layers[1].set_weights([w * 0.5 for w in ours.layers[1].get_weights()])
    ours.save_weights(our_file)
    kfresh = _keras_mlp(keras)
    kfresh.load_weights(our_file)
    np.testing.assert_allclose(kfresh.predict(x, verbose=0), ours.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_training_matches_keras_step_for_step():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(3)
    x = rng.random((64, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    # Fixed initial weights: Adam turns near-zero gradients into lr-sized steps, so a
    # run is only comparable step for step from a known start.
    keras.utils.set_random_seed(0)
    kmodel = _keras_mlp(keras)
    ours = _keras_mlp(cornu)
    ours.set_weights(kmodel.get_weights())
    for model, lib in ((kmodel, keras), (ours, cornu)):
        model.compile(optimizer=lib.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    h_keras = kmodel.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert list(h_ours.history) == list(h_keras.history)
    np.testing.assert_allclose(h_ours.history["loss"], h_keras.history["loss"], rtol=1e-4)
    for a, b in zip(ours.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_cnn_slice_trains_and_checkpoints(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((96, 12, 12, 1), dtype=np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
    model = cornu.Sequential([
        cornu.Input((12, 12, 1)),
        cornu.layers.Conv2D(4, 3, activation="relu"),
        cornu.layers.MaxPooling2D(),
        cornu.layers.Flatten(),
        cornu.layers.Dropout(0.1),
        cornu.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    checkpoint = cornu.callbacks.ModelCheckpoint(
        str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras"), save_best_only=False)
    stopper = cornu.callbacks.EarlyStopping(monitor="loss", patience=50)
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[checkpoint, stopper])
    saved = sorted(p.name for p in tmp_path.glob("ckpt-*.keras"))
    assert len(saved) == 3 and saved[0].startswith("ckpt-01-")
    expected = f"ckpt-03-{history.history['val_loss'][-1]:.2f}.keras"
    assert saved[-1] == expected
    restored = cornu.saving.load_model(tmp_path / saved[-1])
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    assert ops.convert_to_numpy(model.layers[0].kernel).shape == (3, 3, 1, 4)


@pytest.mark.parametrize("options", [{"loss_scale_factor": 128.0}, {"use_ema": True},
                                     {"clipnorm": 0.5}])
def test_fit_with_optimizer_options_matches_keras(options):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(5)
    x = rng.random((48, 6), dtype=np.float32)
    y = rng.integers(0, 3, 48)

    def build(lib):
        return lib.Sequential([lib.layers.Input((6,)), lib.layers.Dense(5, activation="tanh"),
                               lib.layers.Dense(3, activation="softmax")])

    kmodel, ours = build(keras), build(cornu)
    ours.set_weights(kmodel.get_weights())
    for model, lib in ((kmodel, keras), (ours, cornu)):
        model.compile(optimizer=lib.optimizers.SGD(0.1, momentum=0.5, **options),
                      loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=12, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
