"""On tensorflow, metrics update inside the train step's ``tf.function``: graph-safe only.

Each metric is updated eagerly and, in a twin instance, inside one ``tf.function``
with a dynamic batch dimension, called for several batches; the results must
agree after every call and the function must trace once.
"""
import numpy as np
import pytest

from cornu import losses, metrics
from cornu.backend import get_backend

if get_backend().NAME != "tensorflow":
    pytest.skip("tf.function checks run on the tensorflow backend", allow_module_level=True)

import tensorflow as tf  # noqa: E402

CASES = [
    ("Accuracy", {}, "sparse_pairs"),
    ("BinaryAccuracy", {"threshold": 0.3}, "binary"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("RootMeanSquaredError", {}, "regression"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 0}, "sparse"),
    ("Hinge", {}, "hinge"),
    ("SquaredHinge", {}, "hinge"),
    ("CategoricalHinge", {}, "categorical_hinge"),
    ("TruePositives", {"thresholds": [0.2, 0.6]}, "binary"),
    ("FalsePositives", {}, "binary"),
    ("TrueNegatives", {"thresholds": [0.0, 0.5, 1.0]}, "binary"),
    ("FalseNegatives", {}, "binary"),
    ("Precision", {"thresholds": [0.3, 0.7]}, "binary"),
    ("Recall", {"class_id": 1}, "binary"),
    ("Precision", {"top_k": 2}, "binary"),
]


def _spec(array):
    return tf.TensorSpec((None,) + array.shape[1:], tf.as_dtype(array.dtype))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name,kwargs,kind", CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_update_state_in_tf_function_equals_eager(name, kwargs, kind, weighted, data, rng, to_np):
    eager = getattr(metrics, name)(**kwargs)
    graph = getattr(metrics, name)(**kwargs)
    batches = []
    for size in (6, 4, 9):
        y_true, y_pred = data("sparse" if kind == "sparse_pairs" else kind, batch=size)
        if kind == "sparse_pairs":
            y_pred = np.where(rng.uniform(size=size) < 0.5, y_true, 7).astype("int64")
        sw = rng.uniform(0.0, 2.0, size=(size,)).astype("float32") if weighted else None
        batches.append((y_true, y_pred, sw))
    traces = []
    signature = [_spec(batches[0][0]), _spec(batches[0][1])]
    if weighted:
        signature.append(tf.TensorSpec((None,), tf.float32))

    @tf.function(input_signature=signature)
    def step(y_true, y_pred, *sample_weight):
        traces.append(1)
        graph.update_state(y_true, y_pred, sample_weight=sample_weight[0] if weighted else None)
        return graph.result()

    for y_true, y_pred, sw in batches:
        eager.update_state(y_true, y_pred, sample_weight=sw)
        args = (y_true, y_pred) + ((sw,) if weighted else ())
        in_graph = step(*args)
        np.testing.assert_allclose(to_np(in_graph), to_np(eager.result()), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_np(graph.result()), to_np(eager.result()),
                                   rtol=1e-5, atol=1e-6)
    assert len(traces) == 1, "update_state must not retrace per step"
    tf.function(graph.reset_state)()
    assert np.all(to_np(graph.result()) == 0.0)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean",
                                       "mean_with_sample_weight", "none"])
@pytest.mark.parametrize("loss", [
    losses.SparseCategoricalCrossentropy(from_logits=True),
    losses.SparseCategoricalCrossentropy(ignore_class=1),
    losses.CategoricalCrossentropy(label_smoothing=0.1),
    losses.MeanSquaredError(),
    losses.Hinge(),
], ids=lambda loss: type(loss).__name__)
def test_losses_in_tf_function_with_dynamic_batch(loss, reduction, data, rng, to_np):
    loss = type(loss).from_config({**loss.get_config(), "reduction": reduction})
    kind = {"SparseCategoricalCrossentropy": "sparse_logits",
            "CategoricalCrossentropy": "categorical", "MeanSquaredError": "regression",
            "Hinge": "hinge"}[type(loss).__name__]
    y_true, y_pred = data(kind, batch=5)
    sw = rng.uniform(size=(5,)).astype("float32")
    fn = tf.function(lambda t, p, w: loss(t, p, w),
                     input_signature=[_spec(y_true), _spec(y_pred), tf.TensorSpec((None,))])
    np.testing.assert_allclose(to_np(fn(y_true, y_pred, sw)), to_np(loss(y_true, y_pred, sw)),
                               rtol=1e-5, atol=1e-6)
