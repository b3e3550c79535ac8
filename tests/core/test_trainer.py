"""compile/fit/evaluate/predict against hand-computed numpy references."""
import numpy as np
import pytest

import cornu
from cornu import ops
from cornu_testplugin import PlainGD, ScaledDense


def mse(y_true, y_pred):
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def _linear_data(n=128, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    w = np.array([[1.0], [2.0], [-1.0]], "float32")
    return x, x @ w


def _model(lr=0.1):
    model = cornu.Sequential([cornu.Input((3,)), ScaledDense(1, name="d")])
    model.compile(optimizer=PlainGD(learning_rate=lr), loss=mse)
    return model


def test_train_on_batch_is_one_exact_gradient_step():
    x, y = _linear_data(16)
    model = _model(lr=0.05)
    w0 = model.get_weights()[0].astype("float64")
    loss = model.train_on_batch(x, y)
    residual = x @ w0 - y
    np.testing.assert_allclose(loss, np.mean(residual**2), rtol=1e-5)
    grad = 2.0 * x.T @ residual / len(x)
    np.testing.assert_allclose(model.get_weights()[0], w0 - 0.05 * grad, rtol=1e-5, atol=1e-6)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")

    def cube_loss(y_true, y_pred):  # a nonlinear loss exercises autograd/GradientTape
        return ops.mean(ops.power(ops.subtract(y_pred, y_true), 4), axis=-1)

    model = cornu.Sequential([cornu.Input((3,)), ScaledDense(2, scale=0.5)])
    model.compile(optimizer=PlainGD(learning_rate=1.0), loss=cube_loss)
    w0 = model.get_weights()[0].astype("float64")

    def numpy_loss(w):
        return np.mean(np.mean((0.5 * x @ w - y) ** 4, axis=-1))

    numeric = np.zeros_like(w0)
    eps = 1e-5
    for i in np.ndindex(w0.shape):
        d = np.zeros_like(w0)
        d[i] = eps
        numeric[i] = (numpy_loss(w0 + d) - numpy_loss(w0 - d)) / (2 * eps)
    model.train_on_batch(x, y)
    analytic = w0 - model.get_weights()[0]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-3, atol=1e-5)


def test_fit_history_validation_and_evaluate():
    x, y = _linear_data(200)
    model = _model()
    history = model.fit(x, y, batch_size=20, epochs=4, verbose=0, validation_split=0.2,
                        shuffle=False)
    assert history is model.history
    assert list(history.history) == ["loss", "val_loss"]
    assert len(history.history["loss"]) == 4 and history.epoch == [0, 1, 2, 3]
    assert history.params == {"verbose": 0, "epochs": 4, "steps": 8}
    assert history.history["loss"][-1] < history.history["loss"][0] / 10
    # the last 20% are held out: evaluate on them reproduces the final val_loss
    val = model.evaluate(x[160:], y[160:], verbose=0)
    np.testing.assert_allclose(val, history.history["val_loss"][-1], rtol=1e-5)
    w = model.get_weights()[0]
    # the loss is near zero, where float32 rounding of the residuals dominates: compare
    # against float64 math with an absolute floor far below the loss itself
    residual = x[160:].astype("float64") @ w.astype("float64") - y[160:]
    np.testing.assert_allclose(val, np.mean(residual ** 2), rtol=1e-4, atol=1e-9)
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss"}


def test_validation_data_freq_initial_epoch_and_steps():
    x, y = _linear_data(64)
    model = _model()
    history = model.fit(x, y, batch_size=8, epochs=5, initial_epoch=1, verbose=0,
                        validation_data=(x[:16], y[:16]), validation_freq=2,
                        steps_per_epoch=3)
    assert history.epoch == [1, 2, 3, 4]
    assert len(history.history["loss"]) == 4
    assert len(history.history["val_loss"]) == 2  # epochs 2 and 4 (1-based)
    assert int(model.optimizer.iterations.numpy()) == 12


def test_sample_weight_and_class_weight_weight_the_loss():
    x, y = _linear_data(10)
    model = _model()
    sw = np.linspace(0.0, 2.0, 10).astype("float32")
    w = model.get_weights()[0]
    per_sample = np.mean((x @ w - y) ** 2, axis=-1)
    got = model.evaluate(x, y, sample_weight=sw, batch_size=10, verbose=0)
    np.testing.assert_allclose(got, np.sum(per_sample * sw) / 10, rtol=1e-5)
    labels = np.array([0, 1] * 5)
    model2 = cornu.Sequential([cornu.Input((3,)), ScaledDense(2)])
    model2.compile(optimizer=PlainGD(0.1), loss=mse)
    before = model2.get_weights()[0].copy()
    onehot = np.eye(2, dtype="float32")[labels]
    model2.fit(x, onehot, class_weight={0: 0.0, 1: 0.0}, batch_size=10, verbose=0, epochs=1)
    np.testing.assert_array_equal(model2.get_weights()[0], before)  # zero weight: no update


def test_predict_and_predict_on_batch():
    x, _ = _linear_data(70)
    model = _model()
    w = model.get_weights()[0]
    out = model.predict(x, batch_size=32, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (70, 1)
    np.testing.assert_allclose(out, x @ w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), x[:5] @ w, rtol=1e-5, atol=1e-6)


def test_generator_input():
    x, y = _linear_data(64)

    def batches():
        while True:
            for i in range(0, 64, 16):
                yield x[i:i + 16], y[i:i + 16]

    model = _model()
    history = model.fit(batches(), steps_per_epoch=4, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert int(model.optimizer.iterations.numpy()) == 12
    loss = model.evaluate(((x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)), verbose=0)
    w = model.get_weights()[0]
    np.testing.assert_allclose(loss, np.mean((x @ w - y) ** 2), rtol=1e-4)


def test_framework_native_pipelines(backend_name):
    x, y = _linear_data(64)
    model = _model()
    if backend_name == "torch":
        import torch

        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
            batch_size=16)
        history = model.fit(loader, epochs=2, verbose=0)
        preds = model.predict(torch.utils.data.DataLoader(torch.from_numpy(x), batch_size=16),
                              verbose=0)
    else:
        import tensorflow as tf

        dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
        history = model.fit(dataset, epochs=2, verbose=0)
        preds = model.predict(tf.data.Dataset.from_tensor_slices(x).batch(16), verbose=0)
    assert len(history.history["loss"]) == 2
    assert int(model.optimizer.iterations.numpy()) == 8
    np.testing.assert_allclose(preds, model.predict(x, verbose=0), rtol=1e-6)


def test_callback_hooks_order_and_stop_training():
    events = []

    class Recorder(cornu.engine.callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch_begin {epoch}")

        def on_train_batch_end(self, batch, logs=None):
            events.append(f"batch_end {batch} {sorted(logs)}")
            if batch == 1 and len([e for e in events if e.startswith("epoch_begin")]) == 2:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_test_begin(self, logs=None):
            events.append("test_begin")

        def on_train_end(self, logs=None):
            events.append("train_end")

    x, y = _linear_data(32)
    model = _model()
    model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[Recorder()],
              validation_data=(x, y))
    assert events[0] == "train_begin" and events[-1] == "train_end"
    assert events[1:7] == [
        "epoch_begin 0", "batch_end 0 ['loss']", "batch_end 1 ['loss']",
        "batch_end 2 ['loss']", "batch_end 3 ['loss']", "test_begin",
    ]
    assert "epoch_end 0 ['loss', 'val_loss']" in events
    assert events.count("epoch_begin 1") == 1 and "epoch_begin 2" not in events


def test_progress_bar_output(capsys):
    x, y = _linear_data(64)
    model = _model()
    model.fit(x, y, batch_size=16, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "4/4" in out and "step" in out and "loss:" in out
    model.fit(x, y, batch_size=16, epochs=2, verbose=2)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("4/4")]
    assert len(lines) == 2 and all(" - loss: " in l for l in lines)


def test_errors_are_clear():
    x, y = _linear_data(8)
    model = cornu.Sequential([cornu.Input((3,)), ScaledDense(1)])
    with pytest.raises(ValueError, match=r"You must call `compile\(\)` before"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="Did you mean: PlainGD|plain_gd"):
        model.compile(optimizer="plain_dg", loss=mse)
    model.compile(optimizer=PlainGD(), loss=mse)
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(x, y[:5], verbose=0)


def test_set_random_seed_makes_runs_reproducible():
    x, y = _linear_data(32)
    weights = []
    for _ in range(2):
        cornu.utils.set_random_seed(7)
        model = _model()
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=True)
        weights.append(model.get_weights()[0])
    np.testing.assert_array_equal(weights[0], weights[1])


def test_dict_inputs_and_multiple_outputs_fit():
    a = cornu.Input((3,), name="a")
    b = cornu.Input((2,), name="b")

    class Concat(cornu.Layer):
        def call(self, xs):
            return ops.concatenate(xs, axis=-1)

    joined = Concat()([a, b])
    out1 = ScaledDense(1, name="first")(joined)
    out2 = ScaledDense(2, name="second")(joined)
    model = cornu.Model({"a": a, "b": b}, {"first": out1, "second": out2})
    model.compile(optimizer=PlainGD(0.05), loss={"first": mse, "second": mse},
                  loss_weights={"first": 1.0, "second": 0.5})
    rng = np.random.default_rng(0)
    xa = rng.normal(size=(40, 3)).astype("float32")
    xb = rng.normal(size=(40, 2)).astype("float32")
    y1 = xa[:, :1] - xb[:, :1]
    y2 = np.concatenate([xa[:, 1:2], xb[:, 1:2]], axis=-1)
    before, first_loss, second_loss = model.evaluate(
        {"a": xa, "b": xb}, {"first": y1, "second": y2}, verbose=0)
    w1, w2 = (layer.get_weights()[0] for layer in model.layers[-2:])
    xab = np.concatenate([xa, xb], axis=-1)
    expected = np.mean((xab @ w1 - y1) ** 2) + 0.5 * np.mean((xab @ w2 - y2) ** 2)
    np.testing.assert_allclose(before, expected, rtol=1e-5)
    np.testing.assert_allclose(first_loss, np.mean((xab @ w1 - y1) ** 2), rtol=1e-5)
    np.testing.assert_allclose(second_loss, np.mean((xab @ w2 - y2) ** 2), rtol=1e-5)
    history = model.fit({"a": xa, "b": xb}, {"first": y1, "second": y2}, epochs=5,
                        batch_size=8, verbose=0)
    assert history.history["loss"][-1] < before
    assert set(history.history) == {"loss", "first_loss", "second_loss"}
    preds = model.predict({"a": xa, "b": xb}, verbose=0)
    assert set(preds) == {"first", "second"} and preds["second"].shape == (40, 2)


def test_jit_compile_gives_the_same_training(backend_name):
    x, y = _linear_data(64)
    results = []
    for jit in (False, True):
        model = cornu.Sequential([cornu.Input((3,)), ScaledDense(1, name="d")])
        model.set_weights([np.full((3, 1), 0.1, "float32")])
        model.compile(optimizer=PlainGD(0.1), loss=mse, jit_compile=jit)
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.get_weights()[0]))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5)
