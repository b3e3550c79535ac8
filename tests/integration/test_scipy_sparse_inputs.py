"""SciPy sparse matrices as fit/evaluate/predict inputs (Keras's array adapter takes
them; SciKeras passes scikit-learn's sparse data through): the model sees their dense
values."""
import numpy as np
import pytest

import cornu
from cornu import layers

sparse = pytest.importorskip("scipy.sparse")


def _model():
    model = cornu.Sequential([cornu.Input((4,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("kind", ["csr_matrix", "csr_array", "coo_matrix"])
def test_sparse_x_gives_the_dense_results(kind):
    dense = np.array([[1, 0, 0, 2], [0, 0, 3, 0], [0, 0, 0, 0]], "float32")
    x = getattr(sparse, kind)(dense)
    model = _model()
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(dense, verbose=0))
    y = np.ones((3, 1), "float32")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(dense, y, verbose=0))
    model.fit(x, y, epochs=1, verbose=0)


def test_sparse_targets_and_structures():
    x = {"a": sparse.csr_matrix(np.eye(4, dtype="float32"))}
    inputs = {"a": cornu.Input((4,), name="a")}
    model = cornu.Model(inputs, layers.Dense(2)(inputs["a"]))
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, sparse.csr_matrix(np.ones((4, 2), "float32")), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
