"""AUC and the ``...At...`` metrics: numpy and scikit-learn references, and Keras 3 exactly.

Keras's AUC is a Riemann sum over thresholds.  With predictions on a grid that
puts at most one prediction between two thresholds the sum is exact: the ROC
AUC (interpolation) equals the trapezoidal ROC AUC, and the PR AUC with
``majoring`` equals average precision, so those compare tightly with numpy and
scikit-learn; the default 200 thresholds compare with a tolerance.
"""
import numpy as np
import pytest

from cornu import metrics
from cornu.metrics import confusion_metrics

GRID = 1000  # buckets: AUC(num_thresholds=GRID + 1) has one threshold per 1/GRID


@pytest.fixture(scope="module")
def sklearn():
    """scikit-learn, or skip (the per-package nox session installs only pytest)."""
    sklearn = pytest.importorskip("sklearn")
    pytest.importorskip("sklearn.metrics")
    return sklearn


def _grid_scores(rng, shape):
    """Distinct scores, each in the middle of its own 1/GRID bucket."""
    n = int(np.prod(shape))
    return ((rng.permutation(GRID)[:n] + 0.5) / GRID).reshape(shape).astype("float32")


def _batches(rng, sizes=(40, 30, 50), labels=3, grid=True):
    """Binary multi-label batches with weights None, (B,) and (B, 1)."""
    total = sum(sizes)
    scores = _grid_scores(rng, (total, labels)) if grid else \
        rng.uniform(size=(total, labels)).astype("float32")
    y_true = rng.integers(0, 2, size=(total, labels)).astype("float32")
    out, start = [], 0
    for size, weight_shape in zip(sizes, (None, (sizes[1],), (sizes[2], 1))):
        stop = start + size
        sw = None if weight_shape is None else \
            rng.uniform(0.2, 2.0, size=weight_shape).astype("float32")
        out.append((y_true[start:stop], scores[start:stop], sw))
        start = stop
    return out


def _flat(batch_list, column=None):
    """Concatenated labels, scores and per-element weights (of one column or all)."""
    ts, ps, ws = [], [], []
    for y_true, y_pred, sw in batch_list:
        w = np.ones(len(y_true)) if sw is None else np.asarray(sw, "float64").reshape(-1)
        w = np.broadcast_to(w[:, None], y_true.shape)
        if column is not None:
            y_true, y_pred, w = y_true[:, column], y_pred[:, column], w[:, column]
        ts.append(y_true.reshape(-1))
        ps.append(y_pred.reshape(-1).astype("float64"))
        ws.append(w.reshape(-1))
    return np.concatenate(ts), np.concatenate(ps), np.concatenate(ws)


def _np_roc_auc(t, p, w):
    """The exact (weighted) ROC AUC: P(score of a positive > score of a negative)."""
    pos, neg = t != 0, t == 0
    wins = (p[pos][:, None] > p[neg][None, :]) * w[pos][:, None] * w[neg][None, :]
    return wins.sum() / (w[pos].sum() * w[neg].sum())


def _np_average_precision(t, p, w):
    order = np.argsort(-p)
    t, w = t[order] != 0, w[order]
    tp = np.cumsum(w * t)
    precision = tp / np.cumsum(w)
    return float((precision * w * t).sum() / tp[-1])


def _update(metric, batch_list):
    for y_true, y_pred, sw in batch_list:
        metric.update_state(y_true, y_pred, sample_weight=sw)
    return metric


# -- AUC against numpy and scikit-learn ---------------------------------------------------------
def test_auc_exact_on_a_grid_matches_numpy(rng, to_np):
    batch_list = _batches(rng)
    t, p, w = _flat(batch_list)
    roc = metrics.AUC(num_thresholds=GRID + 1)
    pr = metrics.AUC(num_thresholds=GRID + 1, curve="PR", summation_method="majoring")
    for y_true, y_pred, sw in batch_list:
        roc.update_state(y_true, y_pred, sample_weight=sw)
        pr.update_state(y_true, y_pred, sample_weight=sw)
    np.testing.assert_allclose(to_np(roc.result()), _np_roc_auc(t, p, w), rtol=1e-5)
    np.testing.assert_allclose(to_np(pr.result()), _np_average_precision(t, p, w), rtol=1e-5)
    # multi_label: the mean (or label_weights-weighted mean) of the per-label AUCs
    per_label = [_np_roc_auc(*_flat(batch_list, column=c)) for c in range(3)]
    multi = _update(metrics.AUC(num_thresholds=GRID + 1, multi_label=True), batch_list)
    np.testing.assert_allclose(to_np(multi.result()), np.mean(per_label), rtol=1e-5)
    label_weights = [0.5, 2.0, 1.0]
    weighted = _update(metrics.AUC(num_thresholds=GRID + 1, multi_label=True, num_labels=3,
                                   label_weights=label_weights), batch_list)
    np.testing.assert_allclose(to_np(weighted.result()),
                               np.average(per_label, weights=label_weights), rtol=1e-5)
    for metric in (roc, pr, multi, weighted):
        metric.reset_state()
        assert to_np(metric.result()) == 0.0
        assert all(to_np(v).sum() == 0.0 for v in metric.variables)


def test_auc_matches_sklearn(rng, to_np, sklearn):
    skm = sklearn.metrics
    batch_list = _batches(rng)
    t, p, w = _flat(batch_list)
    exact = _update(metrics.AUC(num_thresholds=GRID + 1), batch_list)
    np.testing.assert_allclose(to_np(exact.result()), skm.roc_auc_score(t, p, sample_weight=w),
                               rtol=1e-5)
    ap = _update(metrics.AUC(num_thresholds=GRID + 1, curve="pr", summation_method="majoring"),
                 batch_list)
    np.testing.assert_allclose(to_np(ap.result()),
                               skm.average_precision_score(t, p, sample_weight=w), rtol=1e-5)
    y_true = np.concatenate([b[0] for b in batch_list])
    y_score = np.concatenate([b[1] for b in batch_list])
    sw = np.concatenate([np.ones(len(b[0])) if b[2] is None else b[2].reshape(-1)
                         for b in batch_list])
    multi = _update(metrics.AUC(num_thresholds=GRID + 1, multi_label=True), batch_list)
    np.testing.assert_allclose(
        to_np(multi.result()),
        skm.roc_auc_score(y_true, y_score, average="macro", sample_weight=sw), rtol=1e-5)
    # The default 200 thresholds on continuous scores: a Riemann approximation.
    batch_list = _batches(rng, grid=False)
    t, p, w = _flat(batch_list)
    approx = _update(metrics.AUC(), batch_list)
    np.testing.assert_allclose(to_np(approx.result()), skm.roc_auc_score(t, p, sample_weight=w),
                               atol=5e-3)
    pr = _update(metrics.AUC(curve="PR"), batch_list)  # Davis & Goadrich interpolation
    np.testing.assert_allclose(to_np(pr.result()),
                               skm.average_precision_score(t, p, sample_weight=w), atol=3e-2)
    logits = _update(metrics.AUC(from_logits=True),
                     [(y, np.log(s / (1 - s)), sw) for y, s, sw in batch_list])
    np.testing.assert_allclose(to_np(logits.result()), to_np(approx.result()), atol=1e-6)


# -- AUC against Keras 3 -------------------------------------------------------------------------
AUC_CASES = [
    {},
    {"curve": "PR"},
    {"curve": "PR", "summation_method": "minoring"},
    {"curve": "ROC", "summation_method": "majoring"},
    {"curve": "PRGAIN"},
    {"num_thresholds": 7},
    {"thresholds": [0.7, 0.1, 0.35]},  # uneven: the comparison update
    {"thresholds": [0.25, 0.5, 0.75]},  # even: the bucketed update
    {"multi_label": True},
    {"multi_label": True, "num_labels": 3, "curve": "PR", "label_weights": [1.0, 0.0, 2.0]},
    {"multi_label": True, "thresholds": [0.3, 0.6]},
    {"label_weights": [0.5, 1.0, 2.0]},
    {"from_logits": True, "num_thresholds": 50},
]


@pytest.mark.parametrize("kwargs", AUC_CASES, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "default")
def test_auc_matches_keras(kwargs, rng, to_np, keras):
    ours = metrics.AUC(name="auc", **kwargs)
    ref = keras.metrics.AUC(name="auc", **kwargs)
    config, ref_config = ours.get_config(), ref.get_config()
    if ref_config["label_weights"] is not None:  # Keras keeps a tensor; cornu a list
        ref_config["label_weights"] = to_np(ref_config["label_weights"]).tolist()
    assert config == ref_config
    assert ours.thresholds == pytest.approx(ref.thresholds)
    assert type(ours).from_config(config).get_config() == config
    batch_list = _batches(rng, sizes=(6, 5, 7), grid=False)
    if kwargs.get("from_logits"):
        batch_list = [(t, 4.0 * p - 2.0, sw) for t, p, sw in batch_list]
    for y_true, y_pred, sw in batch_list:
        ours.update_state(y_true, y_pred, sample_weight=sw)
        ref.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(to_np(ours.result()), to_np(ref.result()), rtol=1e-5,
                                   atol=1e-6)
    assert [v.path for v in ours.variables] == [v.path for v in ref.variables]
    for a, b in zip(ours.variables, ref.variables):
        np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-5, atol=1e-5)
    ours.reset_state()
    ref.reset_state()
    np.testing.assert_allclose(to_np(ours.result()), to_np(ref.result()))


def test_auc_arguments_and_errors():
    metric = metrics.AUC(thresholds=[0.8, 0.2])
    assert metric.num_thresholds == 4
    assert metric.thresholds == pytest.approx([-1e-7, 0.2, 0.8, 1 + 1e-7])
    assert metric.get_config()["thresholds"] == [0.2, 0.8]
    assert metric.curve is confusion_metrics.AUCCurve.ROC
    assert metrics.AUC(curve="pr", summation_method="Minoring").get_config()["curve"] == "PR"
    assert metrics.AUC().name.startswith("auc")
    assert not metrics.AUC(multi_label=True).variables  # built on the first batch
    assert [tuple(v.shape) for v in metrics.AUC(multi_label=True, num_labels=2).variables] \
        == [(200, 2)] * 4
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="summation"):
        metrics.AUC(summation_method="mid")
    with pytest.raises(ValueError, match="num_labels"):
        metrics.AUC(num_labels=3)
    with pytest.raises(ValueError, match="rank 2"):
        metrics.AUC(multi_label=True).update_state(np.ones((2, 2, 2)), np.ones((2, 2, 2)))


# -- the bucketed update is the comparison update ------------------------------------------------
@pytest.mark.parametrize("multi_label", [False, True])
def test_bucketed_update_equals_threshold_comparison(multi_label, rng, to_np):
    from cornu import Variable

    thresholds = confusion_metrics._even_thresholds(11)
    y_true = rng.integers(0, 2, size=(9, 4)).astype("float32")
    # off the thresholds (and outside [0, 1], which both paths clip or compare alike)
    y_pred = (rng.integers(-1, 12, size=(9, 4)) / 10.0 + 0.05).astype("float32")
    sw = rng.uniform(size=(9,)).astype("float32")
    shape = (11, 4) if multi_label else (11,)
    counts = {}
    for evenly in (False, True):
        variables = {key: Variable(np.zeros(shape, "float32"), trainable=False, name=key)
                     for key in ("tp", "fp", "tn", "fn")}
        confusion_metrics.update_confusion_matrix_variables(
            variables, y_true, np.clip(y_pred, 0, 1), thresholds, sample_weight=sw,
            multi_label=multi_label, thresholds_distributed_evenly=evenly)
        counts[evenly] = {k: to_np(v) for k, v in variables.items()}
    for key in ("tp", "fp", "tn", "fn"):
        np.testing.assert_allclose(counts[True][key], counts[False][key], rtol=1e-5, atol=1e-6)
    total = sw.sum() * (1 if multi_label else 4)
    np.testing.assert_allclose(sum(counts[True].values()), total, rtol=1e-5)


# -- PrecisionAtRecall & co. ------------------------------------------------------------------------
AT_CASES = [
    ("SensitivityAtSpecificity", {"specificity": 0.6}),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7, "num_thresholds": 50}),
    ("PrecisionAtRecall", {"recall": 0.4, "class_id": 1}),
    ("RecallAtPrecision", {"precision": 0.55}),
    ("RecallAtPrecision", {"precision": 0.99}),  # out of reach: 0
    ("PrecisionAtRecall", {"recall": 0.5, "num_thresholds": 1}),  # one threshold, 0.5
]
AT_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in AT_CASES]


def _np_at(name, kwargs, batch_list):
    n = kwargs.get("num_thresholds", 200)
    thresholds = np.array([0.5] if n == 1 else confusion_metrics._even_thresholds(n))
    t, p, w = _flat(batch_list, column=kwargs.get("class_id"))
    pos = p[None, :] > thresholds[:, None]
    t = t[None, :] != 0
    tp, fp = (w * (t & pos)).sum(1), (w * (~t & pos)).sum(1)
    tn, fn = (w * (~t & ~pos)).sum(1), (w * (t & ~pos)).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = {"sensitivity": np.nan_to_num(tp / (tp + fn)),
                "specificity": np.nan_to_num(tn / (tn + fp)),
                "precision": np.nan_to_num(tp / (tp + fp))}
    rate["recall"] = rate["sensitivity"]
    target, bound = {"SensitivityAtSpecificity": ("sensitivity", "specificity"),
                     "SpecificityAtSensitivity": ("specificity", "sensitivity"),
                     "PrecisionAtRecall": ("precision", "recall"),
                     "RecallAtPrecision": ("recall", "precision")}[name]
    feasible = rate[bound] >= kwargs[bound]
    return max(0.0, np.where(feasible, rate[target], 0.0).max())


@pytest.mark.parametrize("name,kwargs", AT_CASES, ids=AT_IDS)
def test_at_metrics_match_numpy(name, kwargs, rng, to_np):
    batch_list = _batches(rng, sizes=(12, 9, 15), grid=False)
    metric = getattr(metrics, name)(**kwargs)
    for i, (y_true, y_pred, sw) in enumerate(batch_list):
        metric.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(to_np(metric.result()),
                                   _np_at(name, kwargs, batch_list[: i + 1]), atol=1e-6)
    metric.reset_state()
    assert to_np(metric.result()) == 0.0


@pytest.mark.parametrize("name,kwargs", AT_CASES, ids=AT_IDS)
def test_at_metrics_match_keras(name, kwargs, rng, to_np, keras):
    ours = getattr(metrics, name)(name="m", **kwargs)
    ref = getattr(keras.metrics, name)(name="m", **kwargs)
    assert ours.get_config() == ref.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    assert [v.path for v in ours.variables] == [v.path for v in ref.variables]
    for y_true, y_pred, sw in _batches(rng, sizes=(12, 9, 15), grid=False):
        ours.update_state(y_true, y_pred, sample_weight=sw)
        ref.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(to_np(ours.result()), to_np(ref.result()), atol=1e-6)


def test_at_metrics_errors():
    for name, arg in (("SensitivityAtSpecificity", "specificity"),
                      ("SpecificityAtSensitivity", "sensitivity"),
                      ("PrecisionAtRecall", "recall"), ("RecallAtPrecision", "precision")):
        with pytest.raises(ValueError, match=arg):
            getattr(metrics, name)(1.5)
        with pytest.raises(ValueError, match="num_thresholds"):
            getattr(metrics, name)(0.5, num_thresholds=0)
