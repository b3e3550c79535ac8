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
    ("AUC", {}, "binary"),
    ("AUC", {"curve": "PR", "thresholds": [0.2, 0.3, 0.9]}, "binary"),
    ("AUC", {"multi_label": True, "label_weights": [1.0, 2.0, 0.0, 1.0]}, "binary"),  # lazy
    ("AUC", {"from_logits": True, "multi_label": True, "num_labels": 4}, "binary_logits"),
    ("PrecisionAtRecall", {"recall": 0.5}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5, "class_id": 2}, "binary"),
    ("F1Score", {"average": "macro"}, "categorical"),
    ("FBetaScore", {"beta": 2.0, "threshold": 0.4, "average": "weighted"}, "binary"),
    ("MeanIoU", {"num_classes": 4, "sparse_y_pred": False, "dtype": "float32"}, "sparse"),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [1, 2], "dtype": "float32"},
     "categorical"),
    ("BinaryIoU", {"dtype": "float32"}, "binary"),
    ("R2Score", {"num_regressors": 2}, "regression"),
    ("PearsonCorrelation", {}, "regression"),
    ("ConcordanceCorrelation", {}, "regression"),
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

    # A metric that creates its variables on the first update (F1Score, R2Score, a
    # multi-label AUC) makes tf.function trace once more after creating them.
    lazy = getattr(graph, "_built", True) is False
    for y_true, y_pred, sw in batches:
        eager.update_state(y_true, y_pred, sample_weight=sw)
        args = (y_true, y_pred) + ((sw,) if weighted else ())
        in_graph = step(*args)
        np.testing.assert_allclose(to_np(in_graph), to_np(eager.result()), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_np(graph.result()), to_np(eager.result()),
                                   rtol=1e-5, atol=1e-6)
    assert len(traces) == (2 if lazy else 1), "update_state must not retrace per step"
    tf.function(graph.reset_state)()
    assert all(np.all(to_np(v) == 0.0) for v in graph.variables)
    if name != "R2Score":  # 0 / 0 on an empty state, as in Keras
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
