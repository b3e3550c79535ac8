"""fit, predict and evaluate on TensorFlow trace their step once for every batch size: the
last, partial batch and arrays of another length in a later call reuse the first trace
(traced with an unknown batch dimension), so TensorFlow's "triggered tf.function
retracing" warning never comes; the outputs are the model's own on the same inputs."""
import logging

import numpy as np
import pytest
import tensorflow as tf

# The backend's own nox session installs no family; the integration sessions run these.
pytest.importorskip("cornu.layers")
pytest.importorskip("cornu.optimizers")

import cornu  # noqa: E402
from cornu import layers  # noqa: E402


def _model():
    return cornu.Sequential([cornu.Input((20,)), layers.Dense(8, activation="relu"),
                             layers.Dense(3)])


def _traces(step_function):
    return sum(f.experimental_get_tracing_count() for f in step_function.compiled)


@pytest.fixture
def tf_log():
    """The messages TensorFlow logs (its retracing warning goes to its logger)."""
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    tf.get_logger().addHandler(handler)
    yield messages
    tf.get_logger().removeHandler(handler)


def test_predict_traces_once_with_a_partial_last_batch(rng, tf_log):
    model = _model()
    x = rng.standard_normal((1001, 20)).astype("float32")  # 3 full batches + 233
    out = model.predict(x, batch_size=256, verbose=0)
    assert _traces(model.predict_function) == 1
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-5, atol=1e-6)
    # Other lengths (and a single partial batch) in later calls: the same trace.
    for n in (777, 256, 5, 1):
        part = model.predict(x[:n], batch_size=256, verbose=0)
        np.testing.assert_allclose(part, out[:n], rtol=1e-5, atol=1e-6)
    assert _traces(model.predict_function) == 1
    assert not [m for m in tf_log if "retracing" in m], tf_log


def test_many_models_predicting_give_no_retracing_warning(rng, tf_log):
    x = rng.standard_normal((1001, 20)).astype("float32")
    for _ in range(7):  # before the fix: 2 traces each, and TensorFlow's warning
        model = _model()
        model.predict(x, batch_size=256, verbose=0)
        assert _traces(model.predict_function) == 1
    assert not [m for m in tf_log if "retracing" in m], tf_log


def test_predict_on_a_dataset_traces_once(rng):
    model = _model()
    x = rng.standard_normal((600, 20)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(256)  # 256, 256, 88
    out = model.predict(dataset, verbose=0)
    assert _traces(model.predict_function) == 1
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-5, atol=1e-6)


def test_steps_per_execution_traces_once_per_group_length(rng):
    model = _model()
    model.compile(loss="mse", steps_per_execution=2)
    x = rng.standard_normal((1001, 20)).astype("float32")
    y = rng.standard_normal((1001, 3)).astype("float32")
    out = model.predict(x, batch_size=256, verbose=0)  # (predict steps batch by batch)
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-5, atol=1e-6)
    model.predict(x[:700], batch_size=256, verbose=0)
    assert _traces(model.predict_function) == 1
    model.evaluate(x, y, batch_size=256, verbose=0)  # groups of 2 and 2 (1 partial)
    model.evaluate(x[:900], y[:900], batch_size=256, verbose=0)  # 2 and 2 (partial)
    model.evaluate(x[:700], y[:700], batch_size=256, verbose=0)  # 2 and 1 (partial)
    assert _traces(model.test_function) == 2  # one per group length (2 and 1)


def test_evaluate_traces_once_with_a_partial_last_batch(rng):
    model = _model()
    model.compile(loss="mse", metrics=["mae"])
    x = rng.standard_normal((1001, 20)).astype("float32")
    y = rng.standard_normal((1001, 3)).astype("float32")
    loss, mae = model.evaluate(x, y, batch_size=256, verbose=0)
    model.evaluate(x[:500], y[:500], batch_size=256, verbose=0)
    assert _traces(model.test_function) == 1
    pred = model(x).numpy()
    np.testing.assert_allclose(loss, np.mean((pred - y) ** 2), rtol=1e-4)
    np.testing.assert_allclose(mae, np.mean(np.abs(pred - y)), rtol=1e-4)


def test_fit_traces_once_with_a_partial_last_batch(rng, tf_log):
    x = rng.standard_normal((1001, 20)).astype("float32")
    y = rng.standard_normal((1001, 3)).astype("float32")
    cornu.utils.set_random_seed(1)
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, batch_size=256, epochs=2, shuffle=False, verbose=0)
    model.fit(x[:600], y[:600], batch_size=256, epochs=1, shuffle=False, verbose=0)
    assert _traces(model.train_function) == 1
    assert not [m for m in tf_log if "retracing" in m], tf_log
    # The same losses as eager steps (run_eagerly traces nothing).
    cornu.utils.set_random_seed(1)
    eager = _model()
    eager.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    expected = eager.fit(x, y, batch_size=256, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-5)


class _StaticBatch(cornu.Layer):
    """Needs a known batch size when traced (as some hand-written layers do)."""

    def call(self, x):
        if x.shape[0] is None:
            raise ValueError("this layer needs a static batch size")
        return x * 2.0

    def compute_output_shape(self, input_shape):  # (the symbolic build does not call it)
        return input_shape


def test_a_step_that_needs_a_static_batch_size_still_predicts(rng):
    model = cornu.Sequential([cornu.Input((4,)), _StaticBatch()])
    x = rng.standard_normal((512, 4)).astype("float32")  # full batches only
    np.testing.assert_allclose(model.predict(x, batch_size=256, verbose=0), x * 2.0)


def test_a_step_that_needs_a_static_batch_size_still_trains(rng):
    model = cornu.Sequential([cornu.Input((4,)), _StaticBatch(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.standard_normal((512, 4)).astype("float32")
    history = model.fit(x, x[:, :1], batch_size=256, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
