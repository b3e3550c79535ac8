"""One loss for a model whose output is a nested structure (a dict of dicts, as
KerasRS's DistributedEmbedding returns its features): the loss is applied to each
leaf and the total is their sum, as in Keras 3."""
import numpy as np
import pytest

import cornu
from cornu import layers


def _model(lib, L):
    inp = lib.Input((3,), name="x")
    d1 = L.Dense(2, kernel_initializer="ones", name="d1")(inp)
    d2 = L.Dense(4, kernel_initializer="ones", name="d2")(inp)
    model = lib.Model(inp, {"group": {"a": d1, "b": d2}})
    model.compile(optimizer="sgd", loss="mse")
    return model


def _data():
    x = np.ones((4, 3), "float32")
    y = {"group": {"a": np.zeros((4, 2), "float32"), "b": np.ones((4, 4), "float32")}}
    return x, y


def test_the_loss_is_summed_over_the_leaves():
    model = _model(cornu, layers)
    x, y = _data()
    # d1 gives 3s against 0s (mse 9), d2 gives 3s against 1s (mse 4)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["loss"] == pytest.approx(13.0)
    history = model.fit(x, y, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_mismatched_targets_are_refused():
    model = _model(cornu, layers)
    x, _ = _data()
    with pytest.raises((ValueError, TypeError)):
        model.evaluate(x, {"group": {"a": np.zeros((4, 2), "float32")}}, verbose=0)


def test_matches_keras():
    keras = pytest.importorskip("keras")
    if getattr(keras, "__name__", "") != "keras":
        pytest.skip("no real Keras")
    x, y = _data()
    theirs = _model(keras, keras.layers).evaluate(x, y, verbose=0, return_dict=True)["loss"]
    ours = _model(cornu, layers).evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert ours == pytest.approx(theirs)
