"""The Model's step contract (Keras 3): train_step / test_step / predict_step overrides,
compute_loss / compute_metrics / metrics, steps_per_execution, no-loss and frozen models.

Each pattern runs on the process's backend (nox runs both) and, where Keras 3 has the
pattern, the same program runs in Keras 3 from the same initial weights as the reference.
"""
import re
import warnings

import numpy as np
import pytest

import cornu
from cornu import layers

keras = pytest.importorskip("keras")


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x @ rng.normal(size=(6, 1)) > 0).astype("float32")
    return x, y


def _weights(model, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()]


def _classifier(lib, model_cls=None):
    model_cls = model_cls or lib.Model
    inputs = lib.Input((6,))
    hidden = lib.layers.Dense(8, activation="relu")(inputs)
    outputs = lib.layers.Dense(1, activation="sigmoid")(hidden)
    return model_cls(inputs, outputs)


def _gradients(model, loss_fn, backend_name):
    """Gradients of ``loss_fn()`` w.r.t. the trainable weights, in the backend's idiom."""
    variables = model.trainable_weights
    if backend_name == "torch":
        model.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss, [v.value.grad for v in variables]
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn()
    return loss, tape.gradient(loss, variables)


def _reimplemented_default(lib, backend_name):
    class Reimplemented(lib.Model):
        steps_seen = 0

        def train_step(self, data):
            type(self).steps_seen += 1
            x, y, sample_weight = lib.utils.unpack_x_y_sample_weight(data)

            def loss_fn():
                y_pred = self(x, training=True)
                self._last_pred = y_pred
                return self.compute_loss(x, y, y_pred, sample_weight)

            loss, grads = _gradients(self, loss_fn, backend_name)
            self.optimizer.apply(grads, self.trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, self._last_pred)
            return {m.name: m.result() for m in self.metrics}

    return Reimplemented


def test_reimplemented_default_train_step_matches_fit_and_keras(backend_name):
    """A functional subclass whose train_step redoes the default step by hand trains to
    the weights of plain fit, and Keras 3 runs the same program to the same weights."""
    x, y = _data()
    results = {}
    for name, lib in (("cornu", cornu), ("keras", keras)):
        custom_cls = _reimplemented_default(lib, backend_name)
        custom = _classifier(lib, custom_cls)
        plain = _classifier(lib)
        start = _weights(plain)
        for model in (custom, plain):
            model.set_weights(start)
            model.compile(optimizer=lib.optimizers.SGD(0.1), loss="binary_crossentropy",
                          metrics=["mae"])
        h_custom = custom.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        h_plain = plain.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        assert custom_cls.steps_seen >= 1
        for a, b in zip(custom.get_weights(), plain.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h_custom.history["loss"], h_plain.history["loss"],
                                   rtol=1e-5)
        results[name] = (custom.get_weights(), h_custom.history)
    for a, b in zip(results["cornu"][0], results["keras"][0]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert set(results["cornu"][1]) == set(results["keras"][1]) == {"loss", "mae"}
    np.testing.assert_allclose(results["cornu"][1]["loss"], results["keras"][1]["loss"],
                               rtol=1e-4)


def test_train_step_receives_what_the_dataset_yields():
    seen = []

    class Recorder(cornu.Model):
        def train_step(self, data):
            seen.append(type(data).__name__ if not isinstance(data, tuple) else len(data))
            return super().train_step(data)

    x, y = _data(32)
    model = _classifier(cornu, Recorder)
    model.compile(optimizer="sgd", loss="binary_crossentropy", run_eagerly=True)
    model.fit(x, y, batch_size=16, verbose=0)
    model.fit(x, y, sample_weight=np.ones(32, "float32"), batch_size=16, verbose=0)
    assert seen == [2, 2, 3, 3]


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_override_runs_compiled_unless_run_eagerly(run_eagerly, backend_name):
    eager_flags = []

    class Probe(cornu.Model):
        def train_step(self, data):
            eager_flags.append(cornu.ops.convert_to_numpy is not None and _executing_eagerly())
            return super().train_step(data)

    x, y = _data(32)
    model = _classifier(cornu, Probe)
    model.compile(optimizer="sgd", loss="binary_crossentropy", run_eagerly=run_eagerly)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    if backend_name == "tensorflow" and not run_eagerly:
        assert eager_flags and not any(eager_flags)  # traced into the tf.function
        assert len(eager_flags) < 4  # traced once (or twice), not run per batch
    else:
        assert eager_flags == [True] * 4


def _executing_eagerly():
    import os

    if os.environ["CORNU_BACKEND"] != "tensorflow":
        return True
    import tensorflow as tf

    return tf.executing_eagerly()


def test_custom_logs_reach_callbacks_and_history():
    class Tracked(cornu.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.score = cornu.metrics.Mean(name="score")

        def train_step(self, data):
            super().train_step(data)
            self.score.update_state(2.0)
            return {"score": self.score.result()}

        @property
        def metrics(self):
            return [self.score]

    batch_logs = []

    class Spy(cornu.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batch_logs.append(dict(logs))

    x, y = _data(32)
    model = _classifier(cornu, Tracked)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[Spy()])
    assert history.history == {"score": [2.0, 2.0, 2.0]}
    assert [set(b) for b in batch_logs] == [{"score"}] * 6
    # reset each epoch: the mean of one epoch's two updates, not of all six
    assert float(model.score.count.numpy() if hasattr(model.score, "count")
                 else cornu.ops.convert_to_numpy(model.score.variables[1])) == 2.0


def test_metrics_property_includes_attribute_trackers_in_keras_order():
    class WithTracker(cornu.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.extra = cornu.metrics.Mean(name="extra")

    for lib, cls in ((cornu, WithTracker), (keras, None)):
        if cls is None:
            class KWithTracker(keras.Model):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.extra = keras.metrics.Mean(name="extra")

            cls = KWithTracker
        model = _classifier(lib, cls)
        model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["mae"])
        x, y = _data(32)
        model.fit(x, y, batch_size=16, verbose=0)
        names = [m.name for m in model.metrics]
        if lib is cornu:
            ours = names
        else:
            assert ours == names == ["loss", "compile_metrics", "extra"]


def test_compute_loss_override_without_training_argument():
    """Older Keras examples override compute_loss(x, y, y_pred, sample_weight, allow_empty)."""
    calls = []

    class OldStyle(cornu.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         allow_empty=False):
            calls.append(allow_empty)
            return super().compute_loss(x, y, y_pred, sample_weight)

    x, y = _data(32)
    model = _classifier(cornu, OldStyle)
    model.compile(optimizer="sgd", loss="binary_crossentropy", run_eagerly=True)
    model.fit(x, y, batch_size=16, verbose=0)
    model.evaluate(x, y, batch_size=16, verbose=0)
    assert calls == [False] * 4


def test_test_step_and_predict_step_overrides():
    class Custom(cornu.Model):
        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            return {"mean_prediction": cornu.ops.mean(y_pred)}

        def predict_step(self, data):
            return {"prob": self(data, training=False), "twice": 2 * self(data)}

    x, y = _data(32)
    model = _classifier(cornu, Custom)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    logs = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    probs = model(x)
    np.testing.assert_allclose(logs["mean_prediction"],
                               np.mean(cornu.ops.convert_to_numpy(probs)), rtol=1e-5)
    out = model.predict(x, batch_size=10, verbose=0)
    assert set(out) == {"prob", "twice"} and out["prob"].shape == (32, 1)
    np.testing.assert_allclose(out["twice"], 2 * out["prob"], rtol=1e-6)


@pytest.mark.parametrize("per_execution", [1, 3])
def test_steps_per_execution_groups_steps_as_keras(per_execution, backend_name):
    """Batch-level callbacks every N steps, with the step indices Keras passes; the
    weights are those of one step per call.  (Keras 3 runs N > 1 on tensorflow only.)"""
    x, y = _data(80)  # 5 batches of 16: groups of 3 and 2 (Keras reports the second
    # group's last step as 3 + 3 - 1 = 5)
    seen = {}
    libs = [("cornu", cornu, per_execution), ("cornu-1", cornu, 1)]
    if per_execution == 1 or backend_name == "tensorflow":
        libs.append(("keras", keras, per_execution))
    for name, lib, n in libs:
        class Spy(lib.callbacks.Callback):
            events = []

            def on_train_batch_begin(self, batch, logs=None):
                self.events.append(("begin", batch))

            def on_train_batch_end(self, batch, logs=None):
                self.events.append(("end", batch))

        model = _classifier(lib)
        model.set_weights(_weights(model))
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="binary_crossentropy",
                      steps_per_execution=n)
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                            callbacks=[Spy()])
        seen[name] = (Spy.events, history.history["loss"], model.get_weights())
    groups = [(0, 2), (3, 5)] if per_execution == 3 else [(i, i) for i in range(5)]
    expected = [e for b, end in groups for e in (("begin", b), ("end", end))] * 2
    assert seen["cornu"][0] == expected
    for other in set(seen) - {"cornu"}:
        np.testing.assert_allclose(seen["cornu"][1], seen[other][1], rtol=1e-4)
        for a, b in zip(seen["cornu"][2], seen[other][2]):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    if "keras" in seen:
        assert seen["keras"][0] == expected


def test_steps_per_execution_must_be_positive():
    model = _classifier(cornu)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=0)
    x, y = _data(16)
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.fit(x, y, verbose=0)


def test_compile_without_loss_trains_on_added_losses():
    class Regularised(cornu.layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            self.add_loss(cornu.ops.sum(cornu.ops.square(self.w)))
            return x * self.w

    inputs = cornu.Input((4,))
    model = cornu.Model(inputs, Regularised()(inputs))
    model.compile(optimizer=cornu.optimizers.SGD(0.1))
    x = np.ones((8, 4), "float32")
    history = model.fit(x, np.zeros((8, 4), "float32"), batch_size=8, epochs=3, verbose=0)
    # d/dw sum(w^2) = 2w: w <- w(1 - 0.2) per step; the loss is sum(w^2) before the step
    expected = [4 * 0.8 ** (2 * k) for k in range(3)]
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-5)


def test_model_without_trainable_weights_warns_and_still_evaluates():
    inputs = cornu.Input((4,))
    dense = layers.Dense(1)
    model = cornu.Model(inputs, dense(inputs))
    dense.trainable = False
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 4), "float32")
    before = model.get_weights()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, np.zeros((8, 1), "float32"), verbose=0)
    assert any("no trainable weights" in str(w.message) for w in caught)
    assert np.isfinite(history.history["loss"][0])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_pack_and_unpack_match_keras():
    a, b, c = np.zeros(2), np.ones(2), np.full(2, 2.0)
    for data in (a, (a,), (a, b), (a, b, c), [a, b]):
        ours = cornu.utils.unpack_x_y_sample_weight(data)
        theirs = keras.utils.unpack_x_y_sample_weight(data)
        assert len(ours) == len(theirs) == 3
        for o, t in zip(ours, theirs):
            assert o is t
    for args in ((a,), (a, b), (a, b, c), ((a, b),)):
        ours = cornu.utils.pack_x_y_sample_weight(*args)
        theirs = keras.utils.pack_x_y_sample_weight(*args)
        assert type(ours) is type(theirs)
    with pytest.raises(ValueError, match="sample_weight"):
        cornu.utils.unpack_x_y_sample_weight((a, b, c, a))


def test_compute_metrics_and_reset_metrics():
    x, y = _data(32)
    model = _classifier(cornu)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["binary_accuracy"])
    model.fit(x, y, verbose=0)
    pred = model(x)
    logs = model.compute_metrics(x, y, pred)
    assert set(logs) == {"loss", "binary_accuracy"}
    expected = np.mean((cornu.ops.convert_to_numpy(pred) > 0.5) == y)
    model.reset_metrics()
    logs = model.compute_metrics(x, y, pred)
    np.testing.assert_allclose(cornu.ops.convert_to_numpy(logs["binary_accuracy"]), expected,
                               rtol=1e-6)
    assert float(cornu.ops.convert_to_numpy(logs["loss"])) == 0.0  # tracker was reset


def _jit_program():
    return """
import warnings, json, logging, numpy as np, cornu
from cornu import layers
records = []
handler = logging.Handler(); handler.emit = lambda r: records.append(r.getMessage())
logging.getLogger("cornu").addHandler(handler); logging.getLogger("cornu").setLevel(logging.INFO)
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 8)).astype("float32"); y = rng.normal(size=(64, 1)).astype("float32")
out = {}
for jit in (False, True):
    model = cornu.Sequential([cornu.Input((8,)), layers.Dense(4, activation="relu"),
                              layers.Dense(1)])
    model.set_weights([np.random.default_rng(1).normal(0, 0.3, w.shape).astype("float32")
                       for w in model.get_weights()])
    model.compile(cornu.optimizers.Adam(0.01), "mse", jit_compile=jit)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0)
    out[str(jit)] = {"loss": history.history["loss"], "log": list(records),
                     "weights": [w.tolist() for w in model.get_weights()],
                     "warnings": [str(w.message) for w in caught if "jit_compile" in str(w.message)]}
print(json.dumps(out))
"""


def test_torch_jit_keeps_the_faster_of_compiled_and_eager(backend_name):
    """The chooser behind jit_compile=True on torch: after the warm-up it alternates the
    two steps, times them, and then runs only the one with the lower median time."""
    if backend_name != "torch":
        pytest.skip("the compiled-or-eager choice is the torch backend's (tensorflow: XLA)")
    import time

    from cornu.backends.torch.trainer import FasterOf

    for slow in ("compiled", "eager"):
        calls = []

        def make(kind, calls=calls, slow=slow):
            def step(batch):
                calls.append(kind)
                time.sleep(0.004 if kind == slow else 0.0005)
                return batch * 2
            return step

        chooser = FasterOf(make("compiled"), make("eager"), "m", warmup=2, probes=3)
        assert [chooser(i) for i in range(12)] == [i * 2 for i in range(12)]
        assert calls[:2] == ["compiled", "compiled"]                    # warm-up
        assert sorted(calls[2:8]) == ["compiled"] * 3 + ["eager"] * 3   # timed, alternating
        fast = "eager" if slow == "compiled" else "compiled"
        assert chooser.choice == fast and calls[8:] == [fast] * 4
        assert min(chooser.timings[slow]) > max(chooser.timings[fast])


@pytest.mark.parametrize("compiler", ["working", "missing"])
def test_torch_jit_compile_runs_the_whole_step_or_falls_back(compiler, backend_name, tmp_path):
    """jit_compile=True on torch compiles the whole train step (torch.compile with its
    inductor C++ backend) to the weights of the eager step, times it against the eager
    step and keeps the faster (logging what it measured); with no working C++ compiler
    it warns once, naming the reason, and trains eagerly to the same weights."""
    if backend_name != "torch":
        pytest.skip("torch.compile is the torch backend's compiler (tensorflow: XLA)")
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, OMP_NUM_THREADS="1", TORCHINDUCTOR_CACHE_DIR=str(tmp_path))
    if compiler == "missing":
        env["CXX"] = str(tmp_path / "no-such-c++")
    proc = subprocess.run([sys.executable, "-c", _jit_program()], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    eager, jit = out["False"], out["True"]
    np.testing.assert_allclose(jit["loss"], eager["loss"], rtol=1e-5)
    for a, b in zip(jit["weights"], eager["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert eager["warnings"] == [] and eager["log"] == []
    (message,) = jit["log"]  # 24 steps: 3 warm-up, 16 timed, then the choice
    match = re.search(r"runs the (\w+) step \(median ([\d.]+) ms compiled, ([\d.]+) ms eager",
                      message)
    choice, compiled, eager_ms = match.group(1), float(match.group(2)), float(match.group(3))
    assert choice == ("compiled" if compiled <= eager_ms else "eager")
    if compiler == "missing":
        assert len(jit["warnings"]) == 1
        assert "could not compile" in jit["warnings"][0]
        assert "C++ compiler" in jit["warnings"][0]
    else:
        assert jit["warnings"] == []
