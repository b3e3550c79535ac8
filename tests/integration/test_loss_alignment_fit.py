"""The compiled loss aligns (N,) targets with (N, 1) outputs (issue 18, item 10): models
that need cornu-layers and cornu-optimizers, so they live with the integration tests; the
loss functions and classes themselves are tested in tests/metrics/test_loss_alignment.py."""
import numpy as np
import pytest

import cornu
from cornu import losses


def _np_bce(t, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def _np(x):
    return np.asarray(cornu.ops.convert_to_numpy(x), dtype=np.float64)


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


# -- the compiled loss ------------------------------------------------------------------
def _sigmoid_model(seed=0):
    from cornu import layers

    model = cornu.Sequential([cornu.Input((3,)), layers.Dense(1, activation="sigmoid")])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=(3, 1)).astype("float32"), np.zeros(1, "float32")])
    return model


def _binary_data(n=32):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x.sum(-1) > 0).astype("float32")
    return x, y


COMPILED = ["binary_crossentropy", "mse", "mae", "hinge", "squared_hinge", "poisson",
            "kl_divergence", "huber", "log_cosh", "binary_focal_crossentropy",
            losses.binary_crossentropy, losses.BinaryCrossentropy()]


@pytest.mark.parametrize("loss", COMPILED, ids=lambda l: l if isinstance(l, str) else
                         getattr(l, "__name__", type(l).__name__))
@pytest.mark.parametrize("y_shape", ["N", "N1"])
def test_compiled_loss_evaluates_flat_labels_on_a_sigmoid_output(loss, y_shape):
    x, y = _binary_data()
    model = _sigmoid_model()
    model.compile(optimizer="sgd", loss=loss)
    pred = model.predict(x, verbose=0).astype(np.float64)
    assert pred.shape == (32, 1)
    name = loss if isinstance(loss, str) else "binary_crossentropy"
    fn = losses.get(name)
    expected = _np(fn(y[:, None], pred)).mean()
    y_in = y if y_shape == "N" else y[:, None]
    got = model.evaluate(x, y_in, batch_size=8, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_fit_with_flat_labels_on_a_sigmoid_output():
    x, y = _binary_data(64)
    model = _sigmoid_model()
    model.compile(optimizer=cornu.optimizers.SGD(0.5), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0)
    losses_seen = history.history["loss"]
    assert len(losses_seen) == 4 and np.all(np.isfinite(losses_seen))
    assert losses_seen[-1] < losses_seen[0]
    pred = model.predict(x, verbose=0).astype(np.float64)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], _np_bce(y[:, None], pred).mean(), rtol=1e-4)
    np.testing.assert_allclose(logs["accuracy"], ((pred[:, 0] > 0.5) == y).mean(), rtol=1e-6)
    # sample weights of shape (N,) against the (N, 1) output
    sw = np.linspace(0.5, 1.5, 64).astype("float32")
    weighted = model.evaluate(x, y, sample_weight=sw, batch_size=64, verbose=0,
                              return_dict=True)["loss"]
    np.testing.assert_allclose(weighted, (_np_bce(y[:, None], pred) * sw).mean(), rtol=1e-4)



@pytest.mark.parametrize("loss", ["binary_crossentropy", "mse", "hinge", "poisson",
                                  "binary_focal_crossentropy"])
def test_compiled_loss_against_keras(loss, keras):
    x, y = _binary_data()
    model = _sigmoid_model()
    kmodel = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    kmodel.set_weights(model.get_weights())
    for m in (model, kmodel):
        m.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    c = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    k = kmodel.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    assert set(c) == set(k)
    for key in k:
        np.testing.assert_allclose(c[key], k[key], rtol=1e-4, atol=1e-6)
    # one epoch of SGD from the same weights ends at the same weights
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    kmodel.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
