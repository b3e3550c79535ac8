"""cornu-callbacks with real layers and optimizers, and the Keras 3 hook order."""
import os

import numpy as np
import pytest

import cornu
from cornu import callbacks

HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_test_begin",
    "on_test_end", "on_predict_begin", "on_predict_end", "on_train_batch_begin",
    "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


def _recorder(base):
    calls = []

    def make(name):
        def hook(self, *args, **kwargs):
            calls.append((name, *args[:1]) if args and isinstance(args[0], int) else (name,))
        return hook

    cls = type("Recorder", (base,), {name: make(name) for name in HOOKS})
    return cls(), calls


def _drive(lib, recorder):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(x[:8], y[:8]),
              callbacks=[recorder])
    model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[recorder])
    model.predict(x, batch_size=8, verbose=0, callbacks=[recorder])


def test_hook_order_matches_keras():
    os.environ.setdefault("KERAS_BACKEND", cornu.backend.backend_name())
    keras = pytest.importorskip("keras")
    cornu_recorder, cornu_calls = _recorder(callbacks.Callback)
    keras_recorder, keras_calls = _recorder(keras.callbacks.Callback)
    _drive(cornu, cornu_recorder)
    _drive(keras, keras_recorder)
    assert cornu_calls == keras_calls
    assert cornu_calls[:4] == [("on_train_begin",), ("on_epoch_begin", 0),
                               ("on_train_batch_begin", 0), ("on_train_batch_end", 0)]


def test_reduce_lr_on_plateau_changes_the_optimizer_rate():
    x = np.random.default_rng(1).normal(size=(32, 4)).astype("float32")
    y = np.random.default_rng(2).normal(size=(32, 1)).astype("float32")
    model = cornu.Sequential([cornu.Input((4,)), cornu.layers.Dense(1)])
    model.compile(optimizer=cornu.optimizers.Adam(learning_rate=0.01), loss="mse")
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[cb])
    np.testing.assert_allclose(history.history["learning_rate"], [0.01, 0.01, 0.005])
    assert float(np.asarray(model.optimizer.learning_rate)) == pytest.approx(0.0025)
    # the new rate is used by the compiled step: a step with rate 0 changes nothing
    model.optimizer.learning_rate = 0.0
    before = model.get_weights()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_swap_ema_weights_evaluates_with_the_averages(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    model = cornu.Sequential([cornu.Input((4,)), cornu.layers.Dense(1)])
    model.compile(optimizer=cornu.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9),
                  loss="mse")
    for i in range(4):  # train_on_batch: fit would copy the averages in at its end
        model.train_on_batch(x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8])
    raw = model.get_weights()
    ema = [np.asarray(v.numpy()) for v in model.optimizer._model_variables_moving_average]
    assert not np.allclose(raw[0], ema[0])
    swap = callbacks.SwapEMAWeights()
    loss = model.evaluate(x, y, verbose=0, callbacks=[swap])
    for a, b in zip(raw, model.get_weights()):  # swapped back afterwards
        np.testing.assert_array_equal(a, b)
    model.set_weights(ema)
    np.testing.assert_allclose(loss, model.evaluate(x, y, verbose=0), rtol=1e-6)
    model.set_weights(raw)
    np.testing.assert_allclose(model.predict(x, verbose=0, callbacks=[swap]),
                               x @ ema[0] + ema[1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="use_ema=True"):
        plain = cornu.Sequential([cornu.Input((4,)), cornu.layers.Dense(1)])
        plain.compile(optimizer="sgd", loss="mse")
        plain.fit(x, y, verbose=0, epochs=1)
        plain.evaluate(x, y, verbose=0, callbacks=[callbacks.SwapEMAWeights()])
