"""OrbaxCheckpoint: real fits writing real Orbax checkpoints in Keras 3's layout, read back
by cornu and by Keras 3 (``import keras`` is the real Keras, on the same backend)."""
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

# cornu-callbacks' own session installs no layers or optimizers; the integration
# sessions (every package) run these.
pytest.importorskip("cornu.layers")
pytest.importorskip("cornu.optimizers")

import cornu  # noqa: E402
from cornu import callbacks  # noqa: E402

X = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5], [1.5]], "float32") + 0.25).astype("float32")


def make_model(lib=cornu, compile=True, lr=0.01):
    """The same network in cornu or Keras, with fixed names (so the paths agree)."""
    model = lib.Sequential([
        lib.Input((4,)),
        lib.layers.Dense(8, activation="relu", name="hidden"),
        lib.layers.BatchNormalization(name="bn"),
        lib.layers.Dense(1, name="out"),
    ], name="net")
    if compile:
        # (Optimizer names are made unique per process: "adam", "adam_1", ...)
        model.compile(optimizer=lib.optimizers.Adam(learning_rate=lr, name="adam"), loss="mse")
    return model


def steps(directory):
    return sorted(int(n) for n in os.listdir(directory) if n.isdigit())


def fit(model, cb, epochs=3, batch_size=4, **kwargs):
    return model.fit(X, Y, epochs=epochs, batch_size=batch_size, callbacks=[cb], verbose=0,
                     shuffle=False, **kwargs)


def assert_same_optimizer(a, b):
    va, vb = a.optimizer.variables, b.optimizer.variables
    assert len(va) == len(vb)
    for x, y in zip(va, vb):
        np.testing.assert_allclose(np.asarray(x.numpy(), "float64"),
                                   np.asarray(y.numpy(), "float64"), rtol=1e-6, atol=1e-7)


def test_importing_callbacks_does_not_import_orbax():
    code = "import sys, cornu.callbacks; print('orbax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_missing_orbax_names_the_package(monkeypatch, tmp_path):
    directory = tmp_path / "ckpt"
    fit(make_model(), callbacks.OrbaxCheckpoint(str(directory)), epochs=1)
    monkeypatch.setitem(sys.modules, "orbax.checkpoint", None)  # import now fails
    with pytest.raises(ImportError, match="OrbaxCheckpoint: .*pip install orbax-checkpoint"):
        callbacks.OrbaxCheckpoint(str(tmp_path / "other"))
    with pytest.raises(ImportError, match="Orbax checkpoint .*pip install orbax-checkpoint"):
        make_model().load_weights(str(directory))


@pytest.mark.parametrize("kwargs, match", [
    ({"save_freq": "batch"}, "save_freq"),
    ({"save_freq": 0}, "save_freq"),
    ({"save_freq": True}, "save_freq"),
    ({"max_to_keep": 0}, "max_to_keep"),
    ({"max_to_keep": "all"}, "max_to_keep"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=f"OrbaxCheckpoint: {match}"):
        callbacks.OrbaxCheckpoint(str(tmp_path / "ckpt"), **kwargs)
    with pytest.raises(ValueError, match="directory"):
        callbacks.OrbaxCheckpoint("")


def test_keras_defaults():
    import inspect

    keras = pytest.importorskip("keras")  # the reference (absent in tests-callbacks)

    ours = inspect.signature(callbacks.OrbaxCheckpoint).parameters
    theirs = inspect.signature(keras.callbacks.OrbaxCheckpoint).parameters
    assert list(ours) == list(theirs)
    assert {k: v.default for k, v in ours.items()} == {k: v.default for k, v in theirs.items()}
    assert cornu.callbacks.OrbaxCheckpoint is callbacks.OrbaxCheckpoint


def test_epoch_saves_restore_predictions_and_optimizer(tmp_path):
    directory = tmp_path / "ckpt"
    model = make_model()
    before = set(threading.enumerate())
    fit(model, callbacks.OrbaxCheckpoint(str(directory), max_to_keep=None))
    assert steps(directory) == [0, 1, 2]
    for step in (0, 1, 2):
        assert {"pytree", "model_config"} <= set(os.listdir(directory / str(step)))
    # The background saves were waited for: no thread of Orbax's is left running.
    left = [t for t in set(threading.enumerate()) - before if t.is_alive() and not t.daemon]
    assert not left, left

    restored = cornu.saving.load_model(str(directory))  # the latest step
    np.testing.assert_allclose(restored.predict(X, verbose=0), model.predict(X, verbose=0),
                               rtol=1e-6, atol=1e-6)
    assert_same_optimizer(model, restored)
    assert int(restored.optimizer.iterations.numpy()) == 12

    fresh = make_model()
    fresh.load_weights(str(directory))
    np.testing.assert_allclose(fresh.predict(X, verbose=0), model.predict(X, verbose=0),
                               rtol=1e-6, atol=1e-6)
    assert_same_optimizer(model, fresh)
    # Training on from the restored state is training on from the saved one.
    model.fit(X, Y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    fresh.fit(X, Y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_step_folder_loads_that_step(tmp_path):
    directory = tmp_path / "ckpt"
    model = make_model()
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.get_weights()))
    model.fit(X, Y, epochs=2, batch_size=4, verbose=0, shuffle=False, callbacks=[
        callbacks.OrbaxCheckpoint(str(directory), max_to_keep=None, save_on_background=False),
        record])
    assert steps(directory) == [0, 1]
    for path, expected in ((directory / "0", seen[0]), (directory, seen[1])):
        fresh = make_model()
        fresh.load_weights(str(path))
        for a, b in zip(fresh.get_weights(), expected):
            np.testing.assert_array_equal(a, b)


def test_integer_save_freq_counts_batches_across_fits(tmp_path):
    directory = tmp_path / "ckpt"
    model = make_model()
    fit(model, callbacks.OrbaxCheckpoint(str(directory), save_freq=3, max_to_keep=None),
        epochs=2)  # 4 batches an epoch: saves after batches 3 and 6
    assert steps(directory) == [3, 6]
    # A new callback counts on from the optimizer's iterations (8), as Keras does.
    fit(model, callbacks.OrbaxCheckpoint(str(directory), save_freq=3, max_to_keep=None),
        epochs=1)
    assert steps(directory) == [3, 6, 11]


def test_max_to_keep_prunes_old_steps(tmp_path):
    directory = tmp_path / "ckpt"
    model = make_model()
    fit(model, callbacks.OrbaxCheckpoint(str(directory), max_to_keep=2), epochs=5)
    assert steps(directory) == [3, 4]
    fit(make_model(), callbacks.OrbaxCheckpoint(str(tmp_path / "one")), epochs=3)
    assert steps(tmp_path / "one") == [2]  # Keras's default: max_to_keep=1


@pytest.mark.parametrize("mode, expected", [("min", [0, 1, 2, 3]), ("max", [0])])
def test_save_best_only_follows_monitor_and_mode(tmp_path, mode, expected):
    directory = tmp_path / "ckpt"
    model = make_model(lr=0.01)
    history = fit(model, callbacks.OrbaxCheckpoint(
        str(directory), monitor="loss", mode=mode, save_best_only=True, max_to_keep=None),
        epochs=4)
    losses = history.history["loss"]
    assert all(b < a for a, b in zip(losses, losses[1:]))  # the premise: loss falls
    assert steps(directory) == expected


def test_save_best_only_threshold_and_missing_monitor(tmp_path):
    model = make_model()
    fit(model, callbacks.OrbaxCheckpoint(str(tmp_path / "a"), monitor="loss",
                                         save_best_only=True, initial_value_threshold=0.0),
        epochs=2)
    assert not os.path.isdir(tmp_path / "a") or steps(tmp_path / "a") == []
    with pytest.warns(Warning, match="val_loss available, skipping save at epoch 0"):
        fit(model, callbacks.OrbaxCheckpoint(str(tmp_path / "b"), save_best_only=True),
            epochs=1)
    assert not os.path.isdir(tmp_path / "b") or steps(tmp_path / "b") == []


def test_save_weights_only_holds_no_optimizer_or_config(tmp_path):
    directory = tmp_path / "ckpt"
    model = make_model()
    fit(model, callbacks.OrbaxCheckpoint(str(directory), save_weights_only=True), epochs=2)
    step_dir = directory / "1"
    assert "model_config" not in os.listdir(step_dir)
    import orbax.checkpoint as ocp

    tree = ocp.v1.load_checkpointables(str(step_dir), {"pytree": None})["pytree"]
    assert set(tree) == {"trainable_variables", "non_trainable_variables"}
    with pytest.raises(ValueError, match="save_weights_only=True"):
        cornu.saving.load_model(str(directory))
    fresh = make_model()
    fresh.load_weights(str(directory))
    np.testing.assert_allclose(fresh.predict(X, verbose=0), model.predict(X, verbose=0),
                               rtol=1e-6, atol=1e-6)
    assert int(fresh.optimizer.iterations.numpy()) == 0  # no optimizer state saved


def test_load_into_another_model_names_the_missing_variables(tmp_path):
    directory = tmp_path / "ckpt"
    fit(make_model(), callbacks.OrbaxCheckpoint(str(directory)), epochs=1)
    other = cornu.Sequential([cornu.Input((4,)), cornu.layers.Dense(1, name="lone")],
                             name="other")
    with pytest.raises(ValueError, match="other/lone/kernel"):
        other.load_weights(str(directory))


def test_state_tree_paths_are_keras_paths():
    keras = pytest.importorskip("keras")  # the reference (absent in tests-callbacks)

    def paths(tree, prefix=""):
        out = []
        for key, value in tree.items():
            out += paths(value, f"{prefix}{key}/") if isinstance(value, dict) \
                else [prefix + key]
        return sorted(out)

    class Block(cornu.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.proj = cornu.layers.Dense(2, name="proj")

        def build(self, shape):
            self.proj.build(shape)
            self.scale = self.add_weight(shape=(2,), name="scale")

        def call(self, x):
            return self.proj(x) * self.scale

    class KBlock(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.proj = keras.layers.Dense(2, name="proj")

        def build(self, shape):
            self.proj.build(shape)
            self.scale = self.add_weight(shape=(2,), name="scale")

        def call(self, x):
            return self.proj(x) * self.scale

    def functional(lib, block):
        i = lib.Input((4,))
        h = lib.layers.Dense(3, name="f_in")(i)
        h = lib.Sequential([lib.layers.Dense(2, name="s_a"), block(name="blk")],
                           name="inner")(h)
        return lib.Model(i, lib.layers.Dense(1, name="f_out")(h), name="fun")

    def sequential(lib, block):  # built lazily, by fit: inside the model's own scope
        return lib.Sequential([lib.layers.Dense(3, name="q_in"), block(name="qblk"),
                               lib.layers.BatchNormalization(name="q_bn")], name="seq")

    def subclassed(lib, block):
        class Net(lib.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.body = block(name="body")
                self.head = lib.layers.Dense(1, name="head")

            def call(self, x):
                return self.head(self.body(x))

        return Net(name="sub")

    for build in (functional, sequential, subclassed):
        trees = {}
        for lib, block in ((cornu, Block), (keras, KBlock)):
            model = build(lib, block)
            model.compile(optimizer=lib.optimizers.Adam(name="adam"), loss="mse")
            model.fit(X, Y, epochs=1, verbose=0)
            trees[lib.__name__] = model.get_state_tree("numpy_array")
        ours, theirs = trees["cornu"], trees["keras"]
        for key in ("trainable_variables", "non_trainable_variables", "optimizer_variables"):
            assert paths(ours[key]) == paths(theirs[key]), (build.__name__, key)
        assert paths(ours["metrics_variables"]) == ["loss/count", "loss/total"]


def test_keras_written_checkpoint_loads_into_cornu(tmp_path):
    keras = pytest.importorskip("keras")  # the reference (absent in tests-callbacks)

    directory = tmp_path / "keras_ckpt"
    kmodel = make_model(keras)
    kmodel.fit(X, Y, epochs=2, batch_size=4, verbose=0, shuffle=False,
               callbacks=[keras.callbacks.OrbaxCheckpoint(str(directory))])
    expected = np.asarray(kmodel.predict(X, verbose=0))

    model = make_model()
    model.load_weights(str(directory))
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-5)
    assert_same_optimizer(model, kmodel)

    loaded = cornu.saving.load_model(str(directory))
    np.testing.assert_allclose(loaded.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-5)
    assert_same_optimizer(loaded, kmodel)


def test_cornu_written_checkpoint_loads_into_keras(tmp_path):
    keras = pytest.importorskip("keras")  # the reference (absent in tests-callbacks)

    directory = tmp_path / "cornu_ckpt"
    model = make_model()
    fit(model, callbacks.OrbaxCheckpoint(str(directory)), epochs=2)
    expected = model.predict(X, verbose=0)

    kmodel = make_model(keras)
    kmodel.optimizer.build(kmodel.trainable_variables)
    kmodel.load_weights(str(directory))
    np.testing.assert_allclose(np.asarray(kmodel.predict(X, verbose=0)), expected,
                               rtol=1e-5, atol=1e-5)
    assert_same_optimizer(model, kmodel)



def make_functional(lib):
    inputs = lib.Input((4,), name="x")
    hidden = lib.layers.Dense(8, activation="relu", name="f_hidden")(inputs)
    model = lib.Model(inputs, lib.layers.Dense(1, name="f_out")(hidden), name="fnet")
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.01, momentum=0.9, name="sgd"),
                  loss="mse")
    return model


def test_cornu_written_checkpoint_loads_as_a_keras_model(tmp_path):
    # keras.saving.load_model on a Functional model (a Sequential rebuilt by Keras
    # names its variables without the model's scope, so Keras 3.15's own load_model
    # does not restore a Sequential's checkpoint, not even one Keras wrote).
    keras = pytest.importorskip("keras")  # the reference (absent in tests-callbacks)

    directory = tmp_path / "cornu_ckpt"
    model = make_functional(cornu)
    fit(model, callbacks.OrbaxCheckpoint(str(directory), save_freq=2), epochs=2)
    assert steps(directory) == [8]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kloaded = keras.saving.load_model(str(directory))
    np.testing.assert_allclose(np.asarray(kloaded.predict(X, verbose=0)),
                               model.predict(X, verbose=0), rtol=1e-5, atol=1e-5)
    assert_same_optimizer(model, kloaded)


def test_checkpoint_of_a_keras_reloaded_sequential_loads_into_cornu(tmp_path):
    # Keras's model rebuilt from a .keras file names its variables "hidden/kernel"
    # (not "net/hidden/kernel"); cornu reads either spelling.
    keras = pytest.importorskip("keras")  # the reference (absent in tests-callbacks)

    kmodel = make_model(keras)
    kmodel.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    kmodel.save(str(tmp_path / "net.keras"))
    reloaded = keras.saving.load_model(str(tmp_path / "net.keras"))
    assert reloaded.layers[0].kernel.path == "hidden/kernel"
    directory = tmp_path / "keras_ckpt"
    reloaded.fit(X, Y, epochs=1, batch_size=4, verbose=0, shuffle=False,
                 callbacks=[keras.callbacks.OrbaxCheckpoint(str(directory))])

    model = make_model()
    model.load_weights(str(directory))
    np.testing.assert_allclose(model.predict(X, verbose=0),
                               np.asarray(reloaded.predict(X, verbose=0)), rtol=1e-5, atol=1e-5)
    assert_same_optimizer(model, reloaded)


def test_assets_travel_with_the_checkpoint(tmp_path):
    # An adapted StringLookup keeps its vocabulary in assets, not in variables.
    keras = pytest.importorskip("keras")  # the reference (absent in tests-callbacks)
    lookup = cornu.layers.StringLookup(name="lookup")
    lookup.adapt(np.array(["cat", "dog", "bird", "dog"]))
    inputs = cornu.Input((1,), dtype="string", name="word")
    embedded = cornu.layers.Embedding(5, 2, name="emb")(lookup(inputs))
    outputs = cornu.layers.Dense(1, name="o")(cornu.layers.Flatten(name="flat")(embedded))
    model = cornu.Model(inputs, outputs, name="words")
    model.compile(optimizer="sgd", loss="mse")
    words = np.array([["cat"], ["dog"], ["bird"], ["fish"]])
    directory = tmp_path / "ckpt"
    model.fit(words, np.ones((4, 1), "float32"), epochs=1, verbose=0,
              callbacks=[callbacks.OrbaxCheckpoint(str(directory))])
    assert "assets" in os.listdir(directory / "0")
    vocabulary = ["[UNK]", "dog", "cat", "bird"]
    restored = cornu.saving.load_model(str(directory))
    assert restored.get_layer("lookup").get_vocabulary() == vocabulary
    np.testing.assert_allclose(restored.predict(words, verbose=0),
                               model.predict(words, verbose=0), rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmodel = keras.saving.load_model(str(directory))
    assert [str(w) for w in kmodel.get_layer("lookup").get_vocabulary()] == vocabulary
