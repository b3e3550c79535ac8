"""Saving round-trips: ``.weights.h5`` and ``.keras`` give the same predictions."""
import numpy as np
import pytest

import cornu

from ._models import data, dense_model

pytestmark = pytest.mark.usefixtures("families")


def test_weights_h5_round_trip(tmp_path):
    x, _ = data(5)
    model = dense_model()
    expected = model.predict(x, verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    other = dense_model()
    other.set_weights([np.zeros_like(w) for w in other.get_weights()])
    other.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(other.predict(x, verbose=0), expected)


def test_keras_file_round_trip(tmp_path):
    x, y = data(5)
    model = dense_model(metrics=["mae"])
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = cornu.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    assert [w.shape for w in loaded.get_weights()] == [(3, 2), (2,)]
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
