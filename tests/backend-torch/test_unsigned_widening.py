"""uint16/uint32 values on torch are held in the next signed type (int32/int64), as
Keras's torch backend holds them: torch has almost no kernels for those dtypes (not
even the index_select that batching uses), and SciKeras fits uint16 targets."""
import numpy as np
import pytest
import torch

import cornu
from cornu import ops


@pytest.mark.parametrize("name, held", [("uint16", torch.int32), ("uint32", torch.int64)])
def test_numpy_and_cast_give_the_signed_type(name, held):
    values = np.array([0, 7, np.iinfo(name).max], name)
    x = ops.convert_to_tensor(values)
    assert x.dtype == held
    np.testing.assert_array_equal(ops.convert_to_numpy(x), values.astype(np.int64))
    assert ops.cast(ops.ones(2), name).dtype == held
    assert ops.convert_to_tensor([1, 2], dtype=name).dtype == held
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.take(x, [2, 0])), values[[2, 0]])


def test_matches_keras():
    keras = pytest.importorskip("keras")  # (the integration sessions install Keras)

    assert keras.config.backend() == "torch"  # tests/conftest.py sets KERAS_BACKEND
    for name in ("uint16", "uint32"):
        theirs = keras.ops.convert_to_tensor(np.arange(3, dtype=name)).dtype
        assert ops.convert_to_tensor(np.arange(3, dtype=name)).dtype == theirs


def test_fit_on_uint16_data():
    pytest.importorskip("cornu.layers")  # the backend's own session installs no family
    pytest.importorskip("cornu.optimizers")
    model = cornu.Sequential([cornu.Input((2,)), cornu.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(16, dtype="uint16").reshape(8, 2)
    history = model.fit(x, np.ones((8, 1), "uint16"), batch_size=3, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
