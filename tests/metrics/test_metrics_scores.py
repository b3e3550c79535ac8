"""F-scores, IoU, R2 and correlations: numpy and scikit-learn references, and Keras 3."""
import re
import warnings

import numpy as np
import pytest

from cornu import metrics


@pytest.fixture(scope="module")
def sklearn():
    """scikit-learn, or skip (the per-package nox session installs only pytest)."""
    sklearn = pytest.importorskip("sklearn")
    pytest.importorskip("sklearn.metrics")
    return sklearn


def _weights(rng, size, i):
    """Batch i's sample weights: None, then (B,), then (B,) again."""
    return None if i == 0 else rng.uniform(0.2, 2.0, size=(size,)).astype("float32")


def _concat(batch_list):
    y_true = np.concatenate([b[0] for b in batch_list])
    y_pred = np.concatenate([b[1] for b in batch_list])
    sw = np.concatenate([np.ones(len(b[0])) if b[2] is None else np.reshape(b[2], -1)
                         for b in batch_list])
    return y_true, y_pred, sw


def _run(metric, batch_list, reference, to_np, rtol=1e-5, atol=1e-6):
    """Update batch by batch; after each, compare with ``reference(batches so far)``."""
    for i, (y_true, y_pred, sw) in enumerate(batch_list):
        metric.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(to_np(metric.result()), reference(batch_list[: i + 1]),
                                   rtol=rtol, atol=atol)
    metric.reset_state()
    assert all(to_np(v).sum() == 0.0 for v in metric.variables)


def _keras_twin(name, kwargs, batch_list, to_np, keras, atol=1e-6):
    def default_name(metric):  # without the "_1" suffix of a second instance
        return re.sub(r"_\d+$", "", metric.name)

    assert default_name(getattr(metrics, name)(**kwargs)) == \
        default_name(getattr(keras.metrics, name)(**kwargs))
    ours = getattr(metrics, name)(name="m", **kwargs)
    ref = getattr(keras.metrics, name)(name="m", **kwargs)
    assert ours.get_config() == ref.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    for y_true, y_pred, sw in batch_list:
        ours.update_state(y_true, y_pred, sample_weight=sw)
        ref.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(to_np(ours.result()), to_np(ref.result()), rtol=1e-5,
                                   atol=atol)
    assert [v.path for v in ours.variables] == [v.path for v in ref.variables]
    assert [str(v.dtype) for v in ours.variables] == \
        [str(v.dtype).replace("torch.", "") for v in ref.variables]
    ours.reset_state()
    ref.reset_state()
    with warnings.catch_warnings():  # Keras's R2Score warns about its empty state
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(to_np(ours.result()), to_np(ref.result()), atol=atol)


# -- F-scores ------------------------------------------------------------------------------------
def _score_batches(rng, multilabel=False):
    out = []
    for i, size in enumerate((8, 6, 9)):
        if multilabel:
            y_true = rng.integers(0, 2, size=(size, 4)).astype("float32")
        else:
            y_true = np.eye(4, dtype="float32")[rng.integers(0, 4, size=size)]
        out.append((y_true, rng.uniform(size=(size, 4)).astype("float32"),
                    _weights(rng, size, i)))
    return out


def _binarize(y_pred, threshold):
    if threshold is None:
        return (y_pred == y_pred.max(-1, keepdims=True)).astype("float64")
    return (y_pred > threshold).astype("float64")


def _np_fbeta(batch_list, average, beta, threshold):
    y_true, y_pred, sw = _concat(batch_list)
    y_pred = _binarize(y_pred, threshold)
    w = sw[:, None]
    axis = None if average == "micro" else 0
    tp = (w * y_pred * y_true).sum(axis)
    fp = (w * y_pred * (1 - y_true)).sum(axis)
    fn = (w * (1 - y_pred) * y_true).sum(axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.nan_to_num((1 + beta ** 2) * tp / ((1 + beta ** 2) * tp + beta ** 2 * fn + fp))
    if average == "weighted":
        support = (w * y_true).sum(0)
        return (score * support).sum() / support.sum()
    return score if average is None else score.mean()


F_CASES = [("F1Score", {}), ("F1Score", {"average": "micro"}),
           ("F1Score", {"average": "macro", "threshold": 0.4}),
           ("F1Score", {"average": "weighted"}),
           ("FBetaScore", {"beta": 2.0, "average": "weighted", "threshold": 0.5}),
           ("FBetaScore", {"beta": 0.5})]
F_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in F_CASES]


@pytest.mark.parametrize("name,kwargs", F_CASES, ids=F_IDS)
def test_fbeta_matches_numpy_and_sklearn(name, kwargs, rng, to_np):
    beta, average = kwargs.get("beta", 1.0), kwargs.get("average")
    threshold = kwargs.get("threshold")
    batch_list = _score_batches(rng, multilabel=threshold is not None)
    _run(getattr(metrics, name)(**kwargs), batch_list,
         lambda seen: _np_fbeta(seen, average, beta, threshold), to_np, atol=1e-5)
    try:
        import sklearn.metrics as skm
    except ImportError:
        return
    metric = getattr(metrics, name)(**kwargs)
    for y_true, y_pred, sw in batch_list:
        metric.update_state(y_true, y_pred, sample_weight=sw)
    y_true, y_pred, sw = _concat(batch_list)
    want = skm.fbeta_score(y_true.astype(int), _binarize(y_pred, threshold).astype(int),
                           beta=beta, average=average, sample_weight=sw, zero_division=0)
    np.testing.assert_allclose(to_np(metric.result()), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,kwargs", F_CASES, ids=F_IDS)
def test_fbeta_matches_keras(name, kwargs, rng, to_np, keras):
    batch_list = _score_batches(rng, multilabel=kwargs.get("threshold") is not None)
    _keras_twin(name, kwargs, batch_list, to_np, keras)


def test_fbeta_arguments():
    assert metrics.F1Score().get_config() == {"name": "f1_score", "dtype": "float32",
                                              "average": None, "threshold": None}
    assert metrics.FBetaScore(beta=2.0).name == "fbeta_score"
    for kwargs, match in (({"average": "median"}, "average"), ({"beta": 1}, "beta"),
                          ({"beta": -1.0}, "beta"), ({"threshold": 1}, "threshold"),
                          ({"threshold": 1.5}, "threshold")):
        with pytest.raises(ValueError, match=match):
            metrics.FBetaScore(**kwargs)
    with pytest.raises(ValueError, match="2D"):
        metrics.F1Score().update_state(np.ones((3,)), np.ones((3,)))
    # a row of zeros predicts nothing (no argmax tie makes it positive)
    metric = metrics.F1Score(average="micro")
    metric.update_state(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]]))
    assert float(np.asarray(metric.result())) == 0.0


# -- IoU -------------------------------------------------------------------------------------------
def _iou_batches(rng, num_classes=4, one_hot=False, int_weights=True):
    out = []
    for i, size in enumerate((10, 7, 12)):
        labels = rng.integers(0, num_classes, size=size)
        preds = np.where(rng.uniform(size=size) < 0.5, labels,
                         rng.integers(0, num_classes, size=size))
        if int_weights:
            sw = None if i == 0 else rng.integers(0, 3, size=size)
        else:
            sw = _weights(rng, size, i)
        if one_hot:
            labels = np.eye(num_classes, dtype="float32")[labels]
            preds = np.eye(num_classes)[preds] + rng.uniform(0, 0.5, (size, num_classes))
            preds = preds.astype("float32")
        out.append((labels, preds, sw))
    return out


def _np_iou(batch_list, num_classes, target_ids, ignore_class=None, one_hot=False):
    y_true, y_pred, sw = _concat(batch_list)
    if one_hot:
        y_true, y_pred = y_true.argmax(-1), y_pred.argmax(-1)
    y_true, y_pred = y_true.astype(int).reshape(-1), y_pred.astype(int).reshape(-1)
    keep = np.ones_like(y_true, bool) if ignore_class is None else y_true != ignore_class
    cm = np.zeros((num_classes, num_classes))
    np.add.at(cm, (y_true[keep], y_pred[keep]), sw[keep])
    tp = np.diag(cm)
    denominator = (cm.sum(0) + cm.sum(1) - tp)[target_ids]
    valid = denominator > 0
    return (tp[target_ids][valid] / denominator[valid]).sum() / max(valid.sum(), 1)


IOU_CASES = [
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, False),
    ("MeanIoU", {"num_classes": 4}, False),
    ("MeanIoU", {"num_classes": 4, "ignore_class": 1}, False),
    ("MeanIoU", {"num_classes": 5}, False),  # class 4 never occurs: left out of the mean
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [1, 3]}, True),
    ("OneHotMeanIoU", {"num_classes": 4}, True),
]
IOU_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw, _ in IOU_CASES]


@pytest.mark.parametrize("name,kwargs,one_hot", IOU_CASES, ids=IOU_IDS)
def test_iou_matches_numpy(name, kwargs, one_hot, rng, to_np):
    num_classes = kwargs["num_classes"]
    target_ids = kwargs.get("target_class_ids", list(range(num_classes)))
    batch_list = _iou_batches(rng, num_classes=4, one_hot=one_hot)
    if one_hot and num_classes != 4:
        pytest.skip("one-hot data has 4 classes")
    _run(getattr(metrics, name)(**kwargs), batch_list,
         lambda seen: _np_iou(seen, num_classes, target_ids, kwargs.get("ignore_class"), one_hot),
         to_np)


def test_iou_matches_sklearn(rng, to_np, sklearn):
    skm = sklearn.metrics
    batch_list = _iou_batches(rng, int_weights=False)
    metric = metrics.MeanIoU(num_classes=4, dtype="float32")  # float weights: a float matrix
    for y_true, y_pred, sw in batch_list:
        metric.update_state(y_true, y_pred, sample_weight=sw)
    y_true, y_pred, sw = _concat(batch_list)
    np.testing.assert_allclose(
        to_np(metric.total_cm),
        skm.confusion_matrix(y_true, y_pred, labels=range(4), sample_weight=sw), rtol=1e-5)
    per_class = skm.jaccard_score(y_true, y_pred, labels=range(4), average=None,
                                  sample_weight=sw, zero_division=0)
    np.testing.assert_allclose(to_np(metric.result()), per_class.mean(), rtol=1e-5)
    binary = metrics.BinaryIoU(target_class_ids=[1], threshold=0.3)
    t = rng.integers(0, 2, size=(20,))
    p = rng.uniform(size=(20,)).astype("float32")
    binary.update_state(t, p)
    np.testing.assert_allclose(to_np(binary.result()), skm.jaccard_score(t, p >= 0.3), rtol=1e-5)


@pytest.mark.parametrize("name,kwargs,one_hot", IOU_CASES + [
    ("BinaryIoU", {}, None), ("BinaryIoU", {"target_class_ids": [0], "threshold": 0.3}, None),
    ("MeanIoU", {"num_classes": 4, "dtype": "float32"}, False),
], ids=IOU_IDS + ["BinaryIoU", "BinaryIoU-0", "MeanIoU-float32"])
def test_iou_matches_keras(name, kwargs, one_hot, rng, to_np, keras):
    if one_hot is None:
        batch_list = [(rng.integers(0, 2, size=(n, 1)), rng.uniform(size=(n, 1)).astype("float32"),
                       None if i == 0 else rng.integers(0, 3, size=(n,)))
                      for i, n in enumerate((6, 5, 8))]
    else:
        batch_list = _iou_batches(rng, one_hot=one_hot,
                                  int_weights="float" not in kwargs.get("dtype", ""))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _keras_twin(name, kwargs, batch_list, to_np, keras)


def test_iou_details(rng, to_np):
    metric = metrics.MeanIoU(num_classes=3)
    assert metric.dtype in ("int32", "int64") and metric.total_cm.dtype == metric.dtype
    # out-of-range ids count for nothing
    metric.update_state(np.array([0, 1, 5, -1]), np.array([0, 2, 1, 0]))
    np.testing.assert_array_equal(to_np(metric.total_cm), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    with pytest.warns(UserWarning, match="float"):
        metric.update_state([0], [0], sample_weight=np.array([0.5], "float32"))
    with pytest.raises(ValueError, match="out of range"):
        metrics.IoU(num_classes=2, target_class_ids=[2])


# -- R2 --------------------------------------------------------------------------------------------
def _np_r2(batch_list, aggregation="uniform_average", num_regressors=0):
    y_true, y_pred, sw = _concat(batch_list)
    w = sw[:, None]
    mean = (w * y_true).sum(0) / w.sum()
    total = (w * (y_true - mean) ** 2).sum(0)
    raw = 1 - (w * (y_true - y_pred) ** 2).sum(0) / total
    score = {"uniform_average": raw.mean(), None: raw,
             "variance_weighted_average": (raw * total).sum() / total.sum()}[aggregation]
    n = y_true.size  # Keras counts every element
    if 0 < num_regressors < n - 1:
        score = 1 - (1 - score) * (n - 1) / (n - num_regressors - 1)
    return score


def _regression_batches(rng, outputs=3):
    out = []
    for i, size in enumerate((7, 5, 8)):
        y_true = rng.normal(size=(size, outputs)).astype("float32")
        out.append((y_true, (y_true + rng.normal(scale=0.7, size=y_true.shape)).astype("float32"),
                    _weights(rng, size, i)))
    return out


R2_CASES = [{}, {"class_aggregation": "variance_weighted_average"}, {"class_aggregation": None},
            {"num_regressors": 3}, {"num_regressors": 100}]


@pytest.mark.parametrize("kwargs", R2_CASES, ids=lambda kw: str(kw))
def test_r2_matches_numpy(kwargs, rng, to_np):
    _run(metrics.R2Score(**kwargs), _regression_batches(rng),
         lambda seen: _np_r2(seen, kwargs.get("class_aggregation", "uniform_average"),
                             kwargs.get("num_regressors", 0)), to_np, rtol=1e-4, atol=1e-5)


def test_r2_matches_sklearn(rng, to_np, sklearn):
    batch_list = _regression_batches(rng)
    y_true, y_pred, sw = _concat(batch_list)
    for aggregation, multioutput in (("uniform_average", "uniform_average"),
                                     ("variance_weighted_average", "variance_weighted"),
                                     (None, "raw_values")):
        metric = metrics.R2Score(class_aggregation=aggregation)
        for t, p, w in batch_list:
            metric.update_state(t, p, sample_weight=w)
        want = sklearn.metrics.r2_score(y_true, y_pred, sample_weight=sw, multioutput=multioutput)
        np.testing.assert_allclose(to_np(metric.result()), want, rtol=1e-4)


@pytest.mark.parametrize("kwargs", R2_CASES[:4], ids=lambda kw: str(kw))
def test_r2_matches_keras(kwargs, rng, to_np, keras):
    _keras_twin("R2Score", kwargs, _regression_batches(rng), to_np, keras, atol=1e-5)


def test_r2_arguments():
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="2D"):
        metrics.R2Score().update_state(np.ones((2, 2, 2)), np.ones((2, 2, 2)))


# -- correlations ------------------------------------------------------------------------------------
def _np_pearson(t, p):
    return np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(t, p)])


def _np_concordance(t, p):
    mt, mp = t.mean(-1), p.mean(-1)
    cov = ((t - mt[:, None]) * (p - mp[:, None])).mean(-1)
    return 2 * cov / (t.var(-1) + p.var(-1) + (mt - mp) ** 2 + 1e-7)


@pytest.mark.parametrize("name,fn", [("PearsonCorrelation", _np_pearson),
                                     ("ConcordanceCorrelation", _np_concordance)])
def test_correlations_match_numpy_and_keras(name, fn, rng, to_np, keras_optional):
    batch_list = [(t.astype("float64"), p.astype("float64"), sw)
                  for t, p, sw in _regression_batches(rng, outputs=6)]

    def reference(seen):
        y_true, y_pred, sw = _concat(seen)
        return np.average(fn(y_true, y_pred), weights=sw)

    _run(getattr(metrics, name)(), batch_list, reference, to_np, rtol=1e-4, atol=1e-5)
    function = getattr(metrics, "pearson_correlation" if name.startswith("P")
                       else "concordance_correlation")
    y_true, y_pred, _ = batch_list[0]
    np.testing.assert_allclose(to_np(function(y_true, y_pred)), fn(y_true, y_pred), rtol=1e-4)
    np.testing.assert_allclose(to_np(function(y_true.T, y_pred.T, axis=0)), fn(y_true, y_pred),
                               rtol=1e-4)
    if keras_optional is not None:
        _keras_twin(name, {"axis": -1}, [(t.astype("float32"), p.astype("float32"), sw)
                                         for t, p, sw in batch_list], to_np, keras_optional,
                    atol=1e-5)


@pytest.fixture
def keras_optional(backend):
    try:
        import keras
    except ImportError:
        return None
    return keras


# -- names, signatures, registry ------------------------------------------------------------------
NEW_METRICS = ["AUC", "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
               "SpecificityAtSensitivity", "FBetaScore", "F1Score", "IoU", "MeanIoU",
               "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "R2Score", "PearsonCorrelation",
               "ConcordanceCorrelation"]


def test_keras_signatures_and_registry(keras):
    import inspect

    from cornu.plugins import registry

    for name in NEW_METRICS:
        ours, ref = getattr(metrics, name), getattr(keras.metrics, name)
        assert inspect.signature(ours.__init__).parameters.keys() == \
            inspect.signature(ref.__init__).parameters.keys(), name
        assert [p.default for p in inspect.signature(ours.__init__).parameters.values()] == \
            [p.default for p in inspect.signature(ref.__init__).parameters.values()], name
        assert registry.get("metric", name) is ours
    for fn in ("pearson_correlation", "concordance_correlation"):
        assert list(inspect.signature(getattr(metrics, fn)).parameters) == \
            list(inspect.signature(getattr(keras.metrics, fn)).parameters)
    for key in ("auc", "AUC", "f1_score", "r2_score", "pearson_correlation",
                "concordance_correlation"):
        assert registry.get("metric", key).__name__ == type(keras.metrics.get(key)).__name__
    from keras.src.metrics import ALL_OBJECTS_DICT  # classes that need arguments

    for key in ("mean_io_u", "one_hot_io_u", "binary_io_u", "precision_at_recall"):
        assert registry.get("metric", key).__name__ == ALL_OBJECTS_DICT[key].__name__


def test_wrapped_correlation_function_round_trips_as_a_function():
    wrapper = metrics.MeanMetricWrapper(metrics.pearson_correlation, name="pc")
    clone = metrics.MeanMetricWrapper.from_config(wrapper.get_config())
    assert clone._fn is metrics.pearson_correlation
