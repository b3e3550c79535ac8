"""``compile(optimizer=None)`` leaves the model without an optimizer, as Keras 3 does
(SciKeras checks ``model.optimizer`` to say which argument is missing): evaluate and
predict run, fit says it needs an optimizer."""
import numpy as np
import pytest

import cornu
from cornu import layers


def _model(lib, L):
    model = lib.Sequential([lib.Input((3,)), L.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=None, loss="mse")
    return model


def test_no_optimizer_is_kept():
    model = _model(cornu, layers)
    assert model.optimizer is None
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(9.0)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.full((4, 1), 3.0))
    with pytest.raises(ValueError, match="optimizer=None.*fit\\(\\) needs an optimizer"):
        model.fit(x, y, verbose=0)


def test_the_default_is_still_rmsprop():
    model = cornu.Sequential([cornu.Input((3,)), layers.Dense(1)])
    model.compile(loss="mse")
    assert type(model.optimizer).__name__ == "RMSprop"


def test_matches_keras():
    import keras

    theirs = _model(keras, keras.layers)
    assert theirs.optimizer is None and _model(cornu, layers).optimizer is None
