"""The train/test/predict primitives (``trainer.make_step``, ``make_slicer``,
``concat_to_numpy``, ``value_and_grad``) through ``fit``/``evaluate``/``predict`` of a
tiny Sequential, against plain numpy SGD on the MSE.  ``fit`` only runs on a backend
that declares ``"gradients"``."""
import numpy as np
import pytest

from cornu import ops

from ._models import data, dense_model, mse, sgd_steps, weights

pytestmark = pytest.mark.usefixtures("families")


@pytest.mark.parametrize("batch_size,steps_per_execution", [(3, 1), (3, 2), (8, 1)])
def test_predict(batch_size, steps_per_execution):
    x, _ = data(8)
    model = dense_model(steps_per_execution=steps_per_execution)
    w, b = weights()
    out = model.predict(x, batch_size=batch_size, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (8, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out, x @ w + b, rtol=1e-5, atol=1e-5)


def test_predict_structured_outputs():
    """A model with a dict/list of outputs: ``concat_to_numpy`` gets per-batch
    structures and gives the same structure of whole numpy arrays."""
    import cornu

    x, _ = data(7)
    w, b = weights()
    inputs = cornu.Input((3,))
    dense = cornu.layers.Dense(2, name="dense")
    outputs = {"a": dense(inputs), "b": [cornu.ops.multiply(dense(inputs), 2.0)]}
    model = cornu.Model(inputs, outputs)
    dense.set_weights([w, b])
    out = model.predict(x, batch_size=3, verbose=0)
    assert sorted(out) == ["a", "b"] and isinstance(out["b"], list)
    assert isinstance(out["a"], np.ndarray) and out["a"].shape == (7, 2)
    np.testing.assert_allclose(out["a"], x @ w + b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["b"][0], 2 * (x @ w + b), rtol=1e-5, atol=1e-5)


def test_predict_on_batch_and_call():
    x, _ = data(4)
    model = dense_model()
    w, b = weights()
    np.testing.assert_allclose(np.asarray(model.predict_on_batch(x)), x @ w + b, rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(model(x)), x @ w + b, rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("batch_size,steps_per_execution", [(3, 1), (4, 2), (8, 1)])
def test_evaluate(batch_size, steps_per_execution):
    x, y = data(8)
    model = dense_model(metrics=["mae"], steps_per_execution=steps_per_execution)
    w, b = weights()
    logs = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae"}
    assert logs["loss"] == pytest.approx(mse(w, b, x, y), rel=1e-5)
    assert logs["mae"] == pytest.approx(float(np.mean(np.abs(x @ w + b - y))), rel=1e-5)
    loss, mae = model.test_on_batch(x, y)  # [loss, *metrics], as Keras
    assert float(loss) == pytest.approx(mse(w, b, x, y), rel=1e-5)
    np.testing.assert_array_equal(model.get_weights()[0], w)  # evaluate trains nothing


@pytest.mark.capability("gradients")
@pytest.mark.parametrize("batch_size,epochs,steps_per_execution", [(8, 1, 1), (4, 2, 1),
                                                                   (2, 1, 2)])
def test_fit_is_sgd(batch_size, epochs, steps_per_execution):
    x, y = data(8)
    model = dense_model(steps_per_execution=steps_per_execution)
    w, b = weights()
    epoch_losses = []
    for _ in range(epochs):
        w, b, losses = sgd_steps(w, b, x, y, batch_size)
        epoch_losses.append(np.mean(losses))
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    assert list(history.history) == ["loss"] and history.epoch == list(range(epochs))
    np.testing.assert_allclose(history.history["loss"], epoch_losses, rtol=1e-4)
    got_w, got_b = model.get_weights()
    np.testing.assert_allclose(got_w, w, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_b, b, rtol=1e-4, atol=1e-5)


@pytest.mark.capability("gradients")
def test_train_on_batch_then_predict():
    x, y = data(8)
    model = dense_model()
    w, b, (loss,) = sgd_steps(*weights(), x, y, 8)
    assert float(np.asarray(model.train_on_batch(x, y))) == pytest.approx(loss, rel=1e-4)
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ w + b, rtol=1e-4, atol=1e-5)


@pytest.mark.capability("gradients")
def test_fit_with_validation_data():
    x, y = data(8)
    model = dense_model()
    w, b, _ = sgd_steps(*weights(), x, y, 8)
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0,
                        validation_data=(x, y))
    assert history.history["val_loss"][0] == pytest.approx(mse(w, b, x, y), rel=1e-4)
