"""cornu.metrics: several weighted updates against numpy and against Keras 3's metrics."""
import numpy as np
import pytest

from cornu import metrics

EPS = 1e-7


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _l2n(x):
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), EPS ** 2))


def _hinge_labels(t):
    return 2.0 * t - 1.0 if np.all((t == 0) | (t == 1)) else t


def _topk(labels, scores, k):
    target = np.take_along_axis(scores, labels[:, None].astype(int), axis=-1)
    return ((scores > target).sum(-1) < k).astype("float64")


def _bce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return (np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))).mean(-1)
    p = np.clip(p, EPS, 1 - EPS)
    return (-(t * np.log(p) + (1 - t) * np.log(1 - p))).mean(-1)


def _cce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    p = softmax(p) if from_logits else p / p.sum(-1, keepdims=True)
    return -(t * np.log(np.clip(p, EPS, 1 - EPS))).sum(-1)


# Per-sample numpy values of each MeanMetricWrapper-style metric.
PER_SAMPLE = {
    "Accuracy": lambda t, p: (t == p).astype("float64"),
    "BinaryAccuracy": lambda t, p, threshold=0.5: ((p > threshold) == t).mean(-1),
    "CategoricalAccuracy": lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype("float64"),
    "SparseCategoricalAccuracy": lambda t, p: (t == p.argmax(-1)).astype("float64"),
    "TopKCategoricalAccuracy": lambda t, p, k=5: _topk(t.argmax(-1), p, k),
    "SparseTopKCategoricalAccuracy": lambda t, p, k=5: _topk(t, p, k),
    "MeanSquaredError": lambda t, p: ((t - p) ** 2).mean(-1),
    "MeanAbsoluteError": lambda t, p: np.abs(t - p).mean(-1),
    "MeanAbsolutePercentageError":
        lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "MeanSquaredLogarithmicError":
        lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2).mean(-1),
    "CosineSimilarity": lambda t, p: (_l2n(t) * _l2n(p)).sum(-1),
    "LogCoshError": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "KLDivergence": lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1),
    "Poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "BinaryCrossentropy": _bce,
    "CategoricalCrossentropy": _cce,
    "SparseCategoricalCrossentropy":
        lambda t, p, from_logits=False: _cce(np.eye(p.shape[-1])[t.astype(int)], p, from_logits),
    "Hinge": lambda t, p: np.maximum(1 - _hinge_labels(t) * p, 0).mean(-1),
    "SquaredHinge": lambda t, p: (np.maximum(1 - _hinge_labels(t) * p, 0) ** 2).mean(-1),
    "CategoricalHinge": lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
}

# (class name, kwargs, data kind)
MEAN_CASES = [
    ("Accuracy", {}, "exact"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_float_labels"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "categorical_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("Hinge", {}, "hinge"),
    ("SquaredHinge", {}, "hinge"),
    ("CategoricalHinge", {}, "categorical_hinge"),
]
MEAN_IDS = [f"{n}-{k}-{'-'.join(f'{a}={b}' for a, b in kw.items())}" for n, kw, k in MEAN_CASES]


@pytest.fixture
def batches(data, rng):
    """Three batches of a kind, of sizes 6, 5 and 7, with weights None, (B,) and (B, 1)."""

    def make(kind):
        out = []
        for size, weight_shape in ((6, None), (5, (5,)), (7, (7, 1))):
            if kind == "exact":
                y_true = rng.integers(0, 3, size=(size,)).astype("float32")
                y_pred = np.where(rng.uniform(size=size) < 0.5, y_true, 3).astype("float32")
            elif kind == "sparse_float_labels":
                y_true, y_pred = data("sparse", batch=size)
                y_true = y_true.astype("float32")
            else:
                y_true, y_pred = data(kind, batch=size)
            sw = None if weight_shape is None else rng.uniform(0.0, 2.0, size=weight_shape).astype("float32")
            out.append((y_true, y_pred, sw))
        return out

    return make


def _np_weighted_mean(per_sample_batches):
    total = count = 0.0
    for values, sw in per_sample_batches:
        w = np.ones(len(values)) if sw is None else np.asarray(sw, dtype="float64").reshape(-1)
        total += (values * w).sum()
        count += w.sum()
    return total / count


@pytest.mark.parametrize("name,kwargs,kind", MEAN_CASES, ids=MEAN_IDS)
def test_mean_metric_matches_numpy(name, kwargs, kind, batches, to_np):
    metric = getattr(metrics, name)(**kwargs)
    seen = []
    fn = PER_SAMPLE[name]
    for y_true, y_pred, sw in batches(kind):
        metric.update_state(y_true, y_pred, sample_weight=sw)
        seen.append((fn(y_true.astype("float64"), y_pred.astype("float64"), **kwargs), sw))
        np.testing.assert_allclose(to_np(metric.result()), _np_weighted_mean(seen),
                                   rtol=1e-5, atol=1e-6)
    metric.reset_state()
    assert to_np(metric.result()) == 0.0
    assert all(to_np(v).sum() == 0.0 for v in metric.variables)
    y_true, y_pred, sw = batches(kind)[1]
    np.testing.assert_allclose(to_np(metric(y_true, y_pred, sample_weight=sw)),
                               _np_weighted_mean([(fn(y_true.astype("float64"), y_pred.astype("float64"), **kwargs), sw)]),
                               rtol=1e-5, atol=1e-6)


def _compare_with_keras(ours, ref, batch_list, to_np, atol=1e-6):
    assert [v.path for v in ours.variables] == [v.path for v in ref.variables]
    assert [tuple(v.shape) for v in ours.variables] == [tuple(v.shape) for v in ref.variables]
    for y_true, y_pred, sw in batch_list:
        ours.update_state(y_true, y_pred, sample_weight=sw)
        ref.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(to_np(ours.result()), to_np(ref.result()), rtol=1e-5, atol=atol)
    for a, b in zip(ours.variables, ref.variables):
        np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-5, atol=atol)
    ours.reset_state()
    ref.reset_state()
    np.testing.assert_allclose(to_np(ours.result()), to_np(ref.result()))
    y_true, y_pred, sw = batch_list[-1]
    np.testing.assert_allclose(to_np(ours(y_true, y_pred, sample_weight=sw)),
                               to_np(ref(y_true, y_pred, sample_weight=sw)), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("name,kwargs,kind", MEAN_CASES, ids=MEAN_IDS)
def test_mean_metric_matches_keras(name, kwargs, kind, batches, to_np, keras):
    ours = getattr(metrics, name)(**kwargs)
    ref = getattr(keras.metrics, name)(**kwargs)
    assert ours.name == ref.name
    assert ours.get_config() == ref.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    _compare_with_keras(ours, ref, batches(kind), to_np)


def test_root_mean_squared_error(batches, to_np, keras):
    batch_list = batches("regression")
    metric = metrics.RootMeanSquaredError()
    seen = []
    for y_true, y_pred, sw in batch_list:
        metric.update_state(y_true, y_pred, sw)
        seen.append((((y_true.astype("float64") - y_pred) ** 2).mean(-1), sw))
        np.testing.assert_allclose(to_np(metric.result()), np.sqrt(_np_weighted_mean(seen)),
                                   rtol=1e-5)
    ours, ref = metrics.RootMeanSquaredError(), keras.metrics.RootMeanSquaredError()
    assert ours.get_config() == ref.get_config()
    _compare_with_keras(ours, ref, batch_list, to_np)


# -- Mean and Sum ------------------------------------------------------------------------
def test_mean_and_sum_numpy(to_np):
    mean, total = metrics.Mean(), metrics.Sum()
    mean.update_state([1.0, 2.0, 3.0])
    total.update_state([1.0, 2.0, 3.0])
    assert to_np(mean.result()) == pytest.approx(2.0)
    assert to_np(total.result()) == pytest.approx(6.0)
    mean.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]), sample_weight=[1.0, 0.0])
    # rows reduce to their means (2, 6); weights 1, 0: total 6 + 2, count 3 + 1
    assert to_np(mean.result()) == pytest.approx(8.0 / 4.0)
    mean.update_state(10.0)
    assert to_np(mean.result()) == pytest.approx(18.0 / 5.0)
    total.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]), sample_weight=[[1.0, 0.0], [0.0, 2.0]])
    assert to_np(total.result()) == pytest.approx(6.0 + 1.0 + 14.0)
    mean.reset_state()
    total.reset_state()
    assert to_np(mean.result()) == 0.0 and to_np(total.result()) == 0.0
    assert mean.get_config() == {"name": "mean", "dtype": "float32"}
    assert [v.path for v in mean.variables] == ["mean/total", "mean/count"]
    assert not any(v.trainable for v in mean.variables)


@pytest.mark.parametrize("cls", ["Mean", "Sum"])
def test_mean_and_sum_match_keras(cls, rng, to_np, keras):
    cases = [
        (rng.normal(size=(6,)), None),
        (rng.normal(size=(5,)), rng.uniform(size=(5,))),
        (rng.normal(size=(4, 3)), rng.uniform(size=(4,))),
        (rng.normal(size=(4, 3)), rng.uniform(size=(4, 3))),
        (rng.normal(size=(2, 3, 2)), rng.uniform(size=(2, 3))),
        (rng.normal(size=(3,)), 2.0),  # a scalar weight: Keras treats the batch as one sample
        (np.float32(1.5), None),
    ]
    ours = getattr(metrics, cls)(name="m")
    ref = getattr(keras.metrics, cls)(name="m")
    assert ours.get_config() == ref.get_config()
    for values, sw in cases:
        values = np.asarray(values, dtype="float32")
        sw = sw if sw is None or np.isscalar(sw) else np.asarray(sw, dtype="float32")
        ours.update_state(values, sample_weight=sw)
        ref.update_state(values, sample_weight=sw)
        np.testing.assert_allclose(to_np(ours.result()), to_np(ref.result()), rtol=1e-5, atol=1e-6)
    for a, b in zip(ours.variables, ref.variables):
        np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-5, atol=1e-6)


def test_mean_metric_wrapper(rng, to_np, keras_optional):
    def scaled_error(y_true, y_pred, scale=1.0):
        from cornu import ops

        return ops.multiply(ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1), scale)

    metric = metrics.MeanMetricWrapper(scaled_error, name="se", scale=3.0)
    t, p = rng.normal(size=(5, 2)).astype("float32"), rng.normal(size=(5, 2)).astype("float32")
    sw = rng.uniform(size=(5,)).astype("float32")
    metric.update_state(t, p, sample_weight=sw)
    want = (3 * np.abs(t - p).mean(-1) * sw).sum() / sw.sum()
    np.testing.assert_allclose(to_np(metric.result()), want, rtol=1e-5)
    config = metric.get_config()
    assert config["name"] == "se" and config["scale"] == 3.0 and config["dtype"] == "float32"

    wrapper = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="x", threshold=0.3)
    config = wrapper.get_config()
    assert config == {"name": "x", "dtype": "float32", "threshold": 0.3,
                      "fn": {"module": "builtins", "class_name": "function",
                             "config": "binary_accuracy", "registered_name": "function"}}
    back = metrics.MeanMetricWrapper.from_config(config)
    assert back._fn is metrics.binary_accuracy and back._fn_kwargs == {"threshold": 0.3}
    if keras_optional is not None:
        assert config == keras_optional.metrics.MeanMetricWrapper(
            keras_optional.metrics.binary_accuracy, name="x", threshold=0.3).get_config()


@pytest.fixture
def keras_optional(backend):
    try:
        import keras
    except ImportError:
        return None
    return keras


# -- confusion metrics ----------------------------------------------------------------------
def _np_confusion(batch_list, thresholds, class_id=None, top_k=None):
    counts = {k: np.zeros(len(thresholds)) for k in ("tp", "fp", "tn", "fn")}
    for y_true, y_pred, sw in batch_list:
        t, p = y_true.astype("float64"), y_pred.astype("float64")
        if top_k is not None:
            kth = np.sort(p, axis=-1)[:, -top_k][:, None]
            p = np.where(p >= kth, p, -1e10)
        if class_id is not None:
            t, p = t[:, class_id], p[:, class_id]
        w = np.ones(len(t)) if sw is None else np.asarray(sw, dtype="float64").reshape(-1)
        w = np.broadcast_to(w.reshape((-1,) + (1,) * (t.ndim - 1)), t.shape).reshape(-1)
        t, p = t.reshape(-1) != 0, p.reshape(-1)
        for i, th in enumerate(thresholds):
            pos = p > th
            counts["tp"][i] += (w * (t & pos)).sum()
            counts["fp"][i] += (w * (~t & pos)).sum()
            counts["tn"][i] += (w * (~t & ~pos)).sum()
            counts["fn"][i] += (w * (t & ~pos)).sum()
    return counts


CONFUSION_CASES = [
    ("TruePositives", {}), ("FalsePositives", {}), ("TrueNegatives", {}), ("FalseNegatives", {}),
    ("TruePositives", {"thresholds": [0.2, 0.5, 0.8]}),
    ("FalseNegatives", {"thresholds": [0.0, 0.5, 1.0]}),  # evenly spaced: Keras's bucket path
    ("Precision", {}), ("Recall", {}),
    ("Precision", {"thresholds": [0.3, 0.6]}), ("Recall", {"thresholds": [0.3, 0.6]}),
    ("Precision", {"class_id": 1}), ("Recall", {"class_id": 2, "thresholds": 0.4}),
    ("Precision", {"top_k": 2}), ("Recall", {"top_k": 1, "class_id": 0}),
]
CONF_IDS = [f"{n}-{'-'.join(f'{a}={b}' for a, b in kw.items())}" for n, kw in CONFUSION_CASES]


def _confusion_batches(rng):
    out = []
    for size, weight_shape in ((6, None), (5, (5,)), (7, (7, 1))):
        y_true = rng.integers(0, 2, size=(size, 3)).astype("float32")
        y_pred = rng.uniform(size=(size, 3)).astype("float32")
        sw = None if weight_shape is None else rng.uniform(0.0, 2.0, size=weight_shape).astype("float32")
        out.append((y_true, y_pred, sw))
    return out


@pytest.mark.parametrize("name,kwargs", CONFUSION_CASES, ids=CONF_IDS)
def test_confusion_metric_matches_numpy(name, kwargs, rng, to_np):
    batch_list = _confusion_batches(rng)
    metric = getattr(metrics, name)(**kwargs)
    thresholds = kwargs.get("thresholds", 0.5 if kwargs.get("top_k") is None else -1e10)
    thresholds = thresholds if isinstance(thresholds, list) else [thresholds]
    for i in range(len(batch_list)):
        metric.update_state(*batch_list[i][:2], sample_weight=batch_list[i][2])
        counts = _np_confusion(batch_list[: i + 1], thresholds, kwargs.get("class_id"),
                               kwargs.get("top_k"))
        if name == "Precision":
            want = counts["tp"] / (counts["tp"] + counts["fp"])
        elif name == "Recall":
            want = counts["tp"] / (counts["tp"] + counts["fn"])
        else:
            want = counts[{"TruePositives": "tp", "FalsePositives": "fp",
                           "TrueNegatives": "tn", "FalseNegatives": "fn"}[name]]
        want = want[0] if len(thresholds) == 1 else want
        np.testing.assert_allclose(to_np(metric.result()), want, rtol=1e-5, atol=1e-6)
    metric.reset_state()
    assert np.all(to_np(metric.result()) == 0.0)


@pytest.mark.parametrize("name,kwargs", CONFUSION_CASES, ids=CONF_IDS)
def test_confusion_metric_matches_keras(name, kwargs, rng, to_np, keras):
    ours = getattr(metrics, name)(name="m", **kwargs)
    ref = getattr(keras.metrics, name)(name="m", **kwargs)
    assert ours.get_config() == ref.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    _compare_with_keras(ours, ref, _confusion_batches(rng), to_np, atol=1e-5)


def test_confusion_default_names_and_errors(keras_optional):
    assert metrics.TruePositives().name.startswith("true_positives")
    assert metrics.Precision().name.startswith("precision")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="class_id"):
        metrics.Precision(class_id=0).update_state(np.array([1.0, 0.0]), np.array([0.3, 0.6]))


# -- base class, registry, serialization ------------------------------------------------------
def test_metric_base_class(to_np):
    class Counter(metrics.Metric):
        def __init__(self, name=None, dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.seen = self.add_variable((), "zeros", name="seen")
            self.inner = metrics.Sum(name="inner_sum")

        def update_state(self, values):
            from cornu import ops

            self.seen.assign_add(ops.cast(ops.shape(values)[0], "float32"))
            self.inner.update_state(values)

        def result(self):
            return self.seen.value * 1.0

    counter = Counter()
    assert counter.name.startswith("counter")
    assert [v.path for v in counter.variables] == [f"{counter.name}/seen", "inner_sum/total"]
    assert to_np(counter(np.ones(4))) == 4.0
    assert to_np(counter.inner.result()) == 4.0
    counter.reset_state()
    assert to_np(counter.result()) == 0.0 and to_np(counter.inner.result()) == 0.0
    assert repr(counter).startswith("<Counter name=")

    class Broken(metrics.Metric):
        def __init__(self):
            self.x = 1  # allowed before super().__init__(), as in Keras
            self.v = self.add_variable((), "zeros", name="v")

    with pytest.raises(RuntimeError, match="super"):
        Broken()


def test_stateless_api(to_np):
    metric = metrics.Mean()
    metric.update_state([1.0, 2.0])
    start = [v.value for v in metric.variables]
    start_np = [to_np(v) for v in metric.variables]
    new = metric.stateless_update_state([np.float32(10.0), np.float32(2.0)], [4.0, 6.0])
    assert [float(to_np(v)) for v in new] == [20.0, 4.0]
    assert [to_np(v) for v in metric.variables] == start_np  # unchanged
    assert float(to_np(metric.stateless_result(new))) == 5.0
    assert [float(to_np(v)) for v in metric.stateless_reset_state()] == [0.0, 0.0]
    assert float(to_np(metric.result())) == 1.5
    assert start[0] is metric.variables[0].value
    with pytest.raises(ValueError, match="1:1"):
        metric.stateless_result([1.0])


def test_get_serialize_deserialize():
    assert isinstance(metrics.get("mse"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("MAE"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("bce"), metrics.BinaryCrossentropy)
    assert isinstance(metrics.get("categorical_accuracy"), metrics.CategoricalAccuracy)
    assert isinstance(metrics.get("Precision"), metrics.Precision)
    assert isinstance(metrics.get("root_mean_squared_error"), metrics.RootMeanSquaredError)
    assert metrics.get("huber") is metrics.huber
    assert metrics.get(None) is None
    precision = metrics.Precision(thresholds=[0.2, 0.7], name="p")
    config = metrics.serialize(precision)
    assert config == {"module": "keras.metrics", "class_name": "Precision",
                      "config": {"name": "p", "dtype": "float32", "thresholds": [0.2, 0.7],
                                 "top_k": None, "class_id": None},
                      "registered_name": None}
    back = metrics.deserialize(config)
    assert isinstance(back, metrics.Precision) and back.thresholds == [0.2, 0.7]
    assert metrics.serialize(metrics.sparse_categorical_accuracy)["config"] == \
        "sparse_categorical_accuracy"
    with pytest.raises(ValueError, match="Unknown metric"):
        metrics.get("not_a_metric")


def test_keras_names_signatures_and_registry(keras):
    import inspect

    from cornu.plugins import registry

    for name in [c for c, _, _ in MEAN_CASES] + [c for c, _ in CONFUSION_CASES] + [
            "Mean", "Sum", "RootMeanSquaredError", "MeanMetricWrapper"]:
        ours, ref = getattr(metrics, name), getattr(keras.metrics, name)
        assert list(inspect.signature(ours.__init__).parameters) == \
            list(inspect.signature(ref.__init__).parameters), name
    for key in ("mse", "MSE", "mae", "mape", "msle", "bce", "accuracy", "binary_accuracy",
                "sparse_top_k_categorical_accuracy", "Recall", "true_positives"):
        ref_obj = keras.metrics.get(key)
        ours = registry.get("metric", key)
        assert ours.__name__ == type(ref_obj).__name__, key


def test_torch_no_grad_and_device(backend, rng, to_np):
    if backend.NAME != "torch":
        pytest.skip("torch only")
    import torch

    metric = metrics.SparseCategoricalAccuracy()
    labels = torch.as_tensor(rng.integers(0, 3, size=(8,)))
    logits = torch.randn(8, 3, requires_grad=True)
    metric.update_state(labels, logits)  # outside no_grad: the state never requires grad
    with torch.no_grad():
        metric.update_state(labels, logits)
    assert not any(v.value.requires_grad for v in metric.variables)
    want = (labels.numpy() == logits.detach().numpy().argmax(-1)).mean()
    np.testing.assert_allclose(to_np(metric.result()), want, rtol=1e-6)
    assert not metric.result().requires_grad


@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_crossentropy_ignore_class_matches_keras(weighted, rng, to_np, keras):
    ours = metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    ref = keras.metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    assert ours.get_config() == ref.get_config()
    batch_list = []
    for size in (6, 5, 7):
        labels = rng.integers(0, 4, size=(size,))
        logits = rng.normal(size=(size, 4)).astype("float32")
        sw = rng.uniform(0.5, 1.5, size=(size,)).astype("float32") if weighted else None
        batch_list.append((labels, logits, sw))
    _compare_with_keras(ours, ref, batch_list, to_np)


def test_masked_predictions_in_metrics(rng, to_np, keras_optional):
    from cornu import ops

    y_true = rng.normal(size=(6, 3)).astype("float32")
    y_pred = rng.normal(size=(6, 3)).astype("float32")
    mask = np.array([1, 0, 1, 1, 0, 1], dtype=bool)
    masked = ops.convert_to_tensor(y_pred)
    masked._keras_mask = ops.convert_to_tensor(mask)
    metric = metrics.MeanSquaredError()
    metric.update_state(y_true, masked)
    np.testing.assert_allclose(to_np(metric.result()),
                               ((y_true - y_pred) ** 2).mean(-1)[mask].mean(), rtol=1e-5)
