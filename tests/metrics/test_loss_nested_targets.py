"""A ``Loss`` whose targets are a structure (a dict of labels and a mask, the way
KerasRS's ranking losses take them): ``__call__`` converts each leaf, as Keras's
``Loss.__call__`` does (``tree.map_structure``), instead of the whole structure."""
import numpy as np
import pytest

import cornu
from cornu import ops


class MaskedSquaredError(cornu.losses.Loss):
    def call(self, y_true, y_pred):
        labels, mask = y_true["labels"], y_true["mask"]
        mask = ops.cast(mask, y_pred.dtype)
        return ops.sum(ops.square(labels - y_pred) * mask, axis=-1)


def _data():
    labels = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]], "float32")
    mask = np.array([[True, True, False], [True, False, False]])
    scores = np.zeros((2, 3), "float32")
    return labels, mask, scores


def test_dict_targets_are_converted_leaf_by_leaf():
    labels, mask, scores = _data()
    loss = MaskedSquaredError(reduction="none")
    out = loss({"labels": labels, "mask": ops.convert_to_tensor(mask)}, scores)
    np.testing.assert_allclose(ops.convert_to_numpy(out), [5.0, 0.0])
    mean = MaskedSquaredError()({"labels": labels, "mask": mask}, scores)
    assert float(ops.convert_to_numpy(mean)) == pytest.approx(2.5)


def test_nested_predictions_too():
    class FirstOfPair(cornu.losses.Loss):
        def call(self, y_true, y_pred):
            assert isinstance(y_pred, tuple) and len(y_pred) == 2
            return ops.mean(ops.abs(y_true - y_pred[0]), axis=-1)

    out = FirstOfPair()(np.ones((2, 2), "float32"),
                        (np.zeros((2, 2), "float32"), np.zeros((2,), "float32")))
    assert float(ops.convert_to_numpy(out)) == pytest.approx(1.0)


def test_matches_keras():
    keras = pytest.importorskip("keras")
    if getattr(keras, "__name__", "") != "keras":
        pytest.skip("no real Keras")

    class KerasMasked(keras.losses.Loss):
        def call(self, y_true, y_pred):
            mask = keras.ops.cast(y_true["mask"], y_pred.dtype)
            return keras.ops.sum(keras.ops.square(y_true["labels"] - y_pred) * mask, axis=-1)

    labels, mask, scores = _data()
    theirs = KerasMasked(reduction="none")({"labels": labels, "mask": mask}, scores)
    ours = MaskedSquaredError(reduction="none")({"labels": labels, "mask": mask}, scores)
    np.testing.assert_allclose(ops.convert_to_numpy(ours), keras.ops.convert_to_numpy(theirs))
