"""Confusion-matrix metrics: true/false positives/negatives, precision and recall.

The counts are kept per threshold in one vector variable each; an update
compares the flattened predictions against all thresholds at once
(``(thresholds, 1) > (1, predictions)``), a handful of ops per batch.
"""
import numpy as np

from cornu import config, ops
from cornu.losses.loss import squeeze_or_expand_to_same_rank
from cornu.metrics.metric import Metric

NEG_INF = -1e10

TRUE_POSITIVES = "tp"
FALSE_POSITIVES = "fp"
TRUE_NEGATIVES = "tn"
FALSE_NEGATIVES = "fn"
_CONDITIONS = (TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES)


def _to_list(x):
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return [x]


def parse_init_thresholds(thresholds, default_threshold=0.5):
    """The thresholds as a list; each given threshold must lie in [0, 1]."""
    if thresholds is not None:
        invalid = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if invalid:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return _to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds):
    """Whether the thresholds are ``0, 1/(n-1), ..., 1`` (n >= 3)."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _filter_top_k(x, k):
    """Keep the top ``k`` entries of the last axis; the others become ``NEG_INF``."""
    _, top_k_idx = ops.top_k(x, k)
    top_k_mask = ops.sum(ops.one_hot(top_k_idx, x.shape[-1], dtype=ops.dtype(x)), axis=-2)
    return ops.add(ops.multiply(x, top_k_mask), ops.multiply(NEG_INF, ops.subtract(1.0, top_k_mask)))


def update_confusion_matrix_variables(variables_to_update, y_true, y_pred, thresholds,
                                      top_k=None, class_id=None, sample_weight=None,
                                      thresholds_distributed_evenly=False):
    """Add the (weighted) confusion counts of one batch to the given variables.

    Args:
        variables_to_update: ``{"tp" | "fp" | "tn" | "fn": Variable of shape (T,)}``.
        y_true: labels (nonzero is positive).
        y_pred: scores; positive where ``y_pred > threshold``.
        thresholds: a tensor of shape ``(T,)`` (or a list).
        top_k: only the top ``k`` scores of the last axis count as positive.
        class_id: restrict to one class (the last axis).
        sample_weight: per-sample (or broadcastable) weights.
        thresholds_distributed_evenly: predictions are clipped to [0, 1], as in
            Keras's bucketed implementation for evenly spaced thresholds.
    """
    invalid = [key for key in variables_to_update if key not in _CONDITIONS]
    if invalid or not variables_to_update:
        raise ValueError(
            f"Invalid confusion matrix keys: {invalid or list(variables_to_update)}. "
            f"Valid keys are {list(_CONDITIONS)}"
        )
    dtype = next(iter(variables_to_update.values())).dtype
    y_true = ops.cast(y_true, dtype)
    y_pred = ops.cast(y_pred, dtype)
    thresholds = ops.cast(thresholds, dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = ops.expand_dims(ops.cast(sample_weight, dtype), axis=-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if len(y_pred.shape) == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if thresholds_distributed_evenly:
        y_pred = ops.clip(y_pred, 0.0, 1.0)

    preds = ops.reshape(y_pred, (1, -1))
    label_is_pos = ops.reshape(ops.cast(y_true, "bool"), (1, -1))
    pred_is_pos = ops.greater(preds, ops.reshape(thresholds, (-1, 1)))  # (T, N)
    weights = None
    if sample_weight is not None:
        if tuple(sample_weight.shape) != tuple(y_pred.shape):
            sample_weight = ops.broadcast_to(sample_weight, ops.shape(y_pred))
        weights = ops.reshape(sample_weight, (1, -1))

    def add(var, label, pred):
        hit = ops.logical_and(label, pred)
        if weights is None:
            counts = ops.sum(ops.cast(hit, dtype), axis=1)
        else:
            counts = ops.sum(ops.where(hit, weights, ops.zeros_like(weights)), axis=1)
        var.assign_add(counts)

    if TRUE_POSITIVES in variables_to_update:
        add(variables_to_update[TRUE_POSITIVES], label_is_pos, pred_is_pos)
    if FALSE_NEGATIVES in variables_to_update or TRUE_NEGATIVES in variables_to_update:
        pred_is_neg = ops.logical_not(pred_is_pos)
    if FALSE_POSITIVES in variables_to_update or TRUE_NEGATIVES in variables_to_update:
        label_is_neg = ops.logical_not(label_is_pos)
    if FALSE_POSITIVES in variables_to_update:
        add(variables_to_update[FALSE_POSITIVES], label_is_neg, pred_is_pos)
    if TRUE_NEGATIVES in variables_to_update:
        add(variables_to_update[TRUE_NEGATIVES], label_is_neg, pred_is_neg)
    if FALSE_NEGATIVES in variables_to_update:
        add(variables_to_update[FALSE_NEGATIVES], label_is_pos, pred_is_neg)


class _ThresholdsMixin:
    def _init_thresholds(self, thresholds, default_threshold):
        self.init_thresholds = thresholds
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=default_threshold)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        # Built once, eagerly: no host-to-device copy per update (a constant in tf graphs).
        self._thresholds_tensor = ops.convert_to_tensor(
            np.asarray(self.thresholds, dtype=self.dtype)
        )

    def _update(self, variables, y_true, y_pred, sample_weight, top_k=None, class_id=None):
        update_confusion_matrix_variables(
            variables, y_true, y_pred, self._thresholds_tensor, top_k=top_k,
            class_id=class_id, sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
        )


class _ConfusionMatrixConditionCount(_ThresholdsMixin, Metric):
    """Counts one confusion-matrix condition per threshold."""

    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._init_thresholds(thresholds, 0.5)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),),
                                             initializer="zeros", name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the condition's (weighted) count for each threshold."""
        self._update({self._condition: self.accumulator}, y_true, y_pred, sample_weight)

    def result(self):
        value = ops.copy(self.accumulator.value)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true positives, per threshold.

    Args:
        thresholds: a float or list of floats in [0, 1] (default 0.5); a
            prediction is positive when it is above the threshold.
    """

    _condition = TRUE_POSITIVES


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false positives, per threshold."""

    _condition = FALSE_POSITIVES


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true negatives, per threshold."""

    _condition = TRUE_NEGATIVES


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false negatives, per threshold."""

    _condition = FALSE_NEGATIVES


class _TruePositiveRatio(_ThresholdsMixin, Metric):
    """``true_positives / (true_positives + <second count>)`` per threshold."""

    _second = None

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.top_k = top_k
        self.class_id = class_id
        self._init_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros",
                                                name="true_positives")
        second = "false_positives" if self._second == FALSE_POSITIVES else "false_negatives"
        setattr(self, second, self.add_variable(shape=(n,), initializer="zeros", name=second))
        self._second_variable = getattr(self, second)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate true positives and the second count for each threshold."""
        self._update(
            {TRUE_POSITIVES: self.true_positives, self._second: self._second_variable},
            y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id,
        )

    def result(self):
        tp = self.true_positives
        value = ops.divide_no_nan(tp, ops.add(tp, self._second_variable))
        return value[0] if len(self.thresholds) == 1 else value

    def reset_state(self):
        n = len(self.thresholds)
        self.true_positives.assign(ops.zeros((n,)))
        self._second_variable.assign(ops.zeros((n,)))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_TruePositiveRatio):
    """``true_positives / (true_positives + false_positives)``.

    Args:
        thresholds: a float or list of floats in [0, 1] (default 0.5, or no
            threshold when ``top_k`` is set).
        top_k: only the top ``k`` predictions of each sample count as positive.
        class_id: compute the metric for this class only.
    """

    _second = FALSE_POSITIVES


class Recall(_TruePositiveRatio):
    """``true_positives / (true_positives + false_negatives)``.

    Args:
        thresholds: a float or list of floats in [0, 1] (default 0.5, or no
            threshold when ``top_k`` is set).
        top_k: only the top ``k`` predictions of each sample count as positive.
        class_id: compute the metric for this class only.
    """

    _second = FALSE_NEGATIVES


ALL_CONFUSION_METRICS = (
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall,
)

__all__ = [c.__name__ for c in ALL_CONFUSION_METRICS]
