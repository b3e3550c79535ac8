"""Every registered optimizer, compiled by name, trains a small model; loss scaling in fit."""
import numpy as np
import pytest

import cornu
from cornu import optimizers

NAMES = [cls.__name__ for cls in optimizers.ALL_OPTIMIZERS
         if cls is not optimizers.LossScaleOptimizer]


def _data(seed=0, n=192):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    w = rng.normal(size=(6, 1)).astype("float32")
    y = (np.tanh(x @ w) + 0.05 * rng.normal(size=(n, 1))).astype("float32")
    return x, y


def _model(hidden=True):
    layers = [cornu.layers.Dense(16, activation="relu")] if hidden else []
    return cornu.Sequential([cornu.Input((6,)), *layers, cornu.layers.Dense(1)])


@pytest.mark.parametrize("name", NAMES)
def test_each_optimizer_by_name_decreases_the_loss(name):
    x, y = _data()
    cornu.utils.set_random_seed(0)
    # FTRL is made for linear models: its first step replaces the weights by its closed
    # form (about 0 here), which stalls a randomly initialized hidden layer for a while.
    model = _model(hidden=name != "Ftrl")
    model.compile(optimizer=name.lower(), loss="mse")
    assert type(model.optimizer).__name__ == name
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert len(losses) == 3 and all(np.isfinite(losses))
    assert losses[2] < losses[0], losses
    assert model.evaluate(x, y, verbose=0) < before


def test_loss_scale_optimizer_in_fit_matches_the_inner_optimizer():
    """fit() scales the loss up and the optimizer unscales: same weights as without."""
    x, y = _data(1)
    plain = _model()
    scaled = _model()
    scaled.set_weights(plain.get_weights())
    plain.compile(optimizer=optimizers.SGD(0.05, momentum=0.5), loss="mse")
    scaled.compile(optimizer=optimizers.LossScaleOptimizer(
        optimizers.SGD(0.05, momentum=0.5), initial_scale=2.0 ** 10, dynamic_growth_steps=5),
        loss="mse")
    h1 = plain.fit(x, y, epochs=2, batch_size=32, verbose=0, shuffle=False)
    h2 = scaled.fit(x, y, epochs=2, batch_size=32, verbose=0, shuffle=False)
    np.testing.assert_allclose(h2.history["loss"], h1.history["loss"], rtol=1e-5)
    for a, b in zip(plain.get_weights(), scaled.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert float(scaled.optimizer.dynamic_scale.numpy()) == 2.0 ** 12  # 12 finite steps
    assert int(np.asarray(cornu.ops.convert_to_numpy(scaled.optimizer.iterations))) == 12


def test_out_of_range_label_stops_fit(backend_name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype("float32")
    y = rng.integers(0, 3, size=(32,))
    y[17] = 3
    model = cornu.Sequential([cornu.Input((6,)), cornu.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=cornu.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    if backend_name == "tensorflow":
        import tensorflow as tf

        error = tf.errors.InvalidArgumentError  # raised by the assert in the tf.function
    else:
        error = ValueError
    with pytest.raises(error, match=r"received a label value of\W+3\W*, outside the valid "
                                    r"range \[0, 3\) for 3 classes"):
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
