"""Confusion-matrix metrics: counts, precision and recall, the metrics at a fixed
sensitivity/specificity/precision/recall, and AUC.

The counts are kept per threshold in one vector variable each (``(T, labels)``
for a multi-label AUC).  An update compares the flattened predictions against
all thresholds at once (``(thresholds, 1) > (1, predictions)``), or, for evenly
spaced thresholds (AUC, the ``...At...`` metrics), puts each prediction in its
bucket with one segment sum and accumulates with a reversed cumsum: O(T + N).
Everything stays on the device and is graph-safe.
"""
from enum import Enum

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


def _reverse_cumsum(x, axis):
    return ops.flip(ops.cumsum(ops.flip(x, axis=axis), axis=axis), axis=axis)


def _update_bucketed(variables_to_update, y_true, y_pred, num_thresholds, weights,
                     multi_label, thresholds_with_epsilon):
    """The counts for evenly spaced thresholds in O(T + N): bucketize, then cumsum.

    A prediction ``p`` lies above thresholds ``0 .. ceil(p * (T - 1)) - 1``, so
    each prediction adds its (weighted) label to one bucket (a segment sum) and
    the count at threshold ``i`` is the sum of the buckets ``>= i`` (a reversed
    cumulative sum).  With ``thresholds_with_epsilon`` (AUC's ``-eps`` and
    ``1 + eps`` end points) a prediction of 0 lies above the first threshold.
    """
    dtype = y_pred.dtype
    y_pred = ops.clip(y_pred, 0.0, 1.0)
    y_true = ops.cast(ops.cast(y_true, "bool"), dtype)
    if not multi_label:
        y_true = ops.reshape(y_true, (-1,))
        y_pred = ops.reshape(y_pred, (-1,))
        if weights is not None:
            weights = ops.reshape(weights, (-1,))
    true_labels = y_true if weights is None else ops.multiply(y_true, weights)
    false_labels = ops.subtract(1.0, y_true)
    if weights is not None:
        false_labels = ops.multiply(false_labels, weights)
    buckets = ops.subtract(ops.ceil(ops.multiply(y_pred, float(num_thresholds - 1))), 1.0)
    if thresholds_with_epsilon:
        buckets = ops.maximum(buckets, 0.0)
    buckets = ops.cast(buckets, "int32")
    if multi_label:
        # One segment range per label: segment id = label * T + bucket, (N, L) -> (L * T,).
        num_labels = y_pred.shape[-1]
        offsets = ops.multiply(ops.arange(num_labels, dtype="int32"), num_thresholds)
        ids = ops.where(ops.less(buckets, 0), -1, ops.add(buckets, offsets))
        ids = ops.reshape(ids, (-1,))

        def count(labels):
            per_bucket = ops.segment_sum(ops.reshape(labels, (-1,)), ids,
                                         num_segments=num_labels * num_thresholds)
            per_bucket = ops.reshape(per_bucket, (num_labels, num_thresholds))
            return ops.transpose(_reverse_cumsum(per_bucket, axis=1))  # (T, L)
    else:
        def count(labels):
            return _reverse_cumsum(
                ops.segment_sum(labels, buckets, num_segments=num_thresholds), axis=0)

    tp = fp = None
    if TRUE_POSITIVES in variables_to_update or FALSE_NEGATIVES in variables_to_update:
        tp = count(true_labels)
    if FALSE_POSITIVES in variables_to_update or TRUE_NEGATIVES in variables_to_update:
        fp = count(false_labels)
    axis = 0 if multi_label else None
    if TRUE_POSITIVES in variables_to_update:
        variables_to_update[TRUE_POSITIVES].assign_add(tp)
    if FALSE_POSITIVES in variables_to_update:
        variables_to_update[FALSE_POSITIVES].assign_add(fp)
    if TRUE_NEGATIVES in variables_to_update:
        variables_to_update[TRUE_NEGATIVES].assign_add(
            ops.subtract(ops.sum(false_labels, axis=axis), fp))
    if FALSE_NEGATIVES in variables_to_update:
        variables_to_update[FALSE_NEGATIVES].assign_add(
            ops.subtract(ops.sum(true_labels, axis=axis), tp))


def update_confusion_matrix_variables(variables_to_update, y_true, y_pred, thresholds,
                                      top_k=None, class_id=None, sample_weight=None,
                                      multi_label=False, label_weights=None,
                                      thresholds_distributed_evenly=False,
                                      thresholds_with_epsilon=None):
    """Add the (weighted) confusion counts of one batch to the given variables.

    Args:
        variables_to_update: ``{"tp" | "fp" | "tn" | "fn": Variable}``, of shape
            ``(T,)``, or ``(T, num_labels)`` with ``multi_label``.
        y_true: labels (nonzero is positive).
        y_pred: scores; positive where ``y_pred > threshold``.
        thresholds: a tensor of shape ``(T,)``, a list or a numpy array.
        top_k: only the top ``k`` scores of the last axis count as positive.
        class_id: restrict to one class (the last axis).
        sample_weight: per-sample (or broadcastable) weights.
        multi_label: count each label (the last axis of 2D predictions) apart.
        label_weights: per-label weights of the flattened counts (not with
            ``multi_label``, where the caller applies them).
        thresholds_distributed_evenly: the thresholds are ``0, 1/(T-1), ..., 1``
            (or AUC's variant with ``-eps`` and ``1 + eps`` at the ends): use the
            bucketed O(T + N) update, which clips predictions to [0, 1].
        thresholds_with_epsilon: whether the end thresholds are ``-eps`` and
            ``1 + eps``; read from ``thresholds`` when it is a list or array.
    """
    if multi_label and label_weights is not None:
        raise ValueError(
            "`label_weights` for multilabel data should be handled outside of "
            "`update_confusion_matrix_variables` when `multi_label` is True."
        )
    invalid = [key for key in variables_to_update if key not in _CONDITIONS]
    if invalid or not variables_to_update:
        raise ValueError(
            f"Invalid confusion matrix keys: {invalid or list(variables_to_update)}. "
            f"Valid keys are {list(_CONDITIONS)}"
        )
    dtype = next(iter(variables_to_update.values())).dtype
    listed = None if ops.is_tensor(thresholds) else _to_list(thresholds)
    num_thresholds = thresholds.shape[0] if listed is None else len(listed)
    if thresholds_with_epsilon is None:
        thresholds_with_epsilon = bool(listed) and (listed[0] < 0.0 or listed[-1] > 1.0)
    y_true = ops.cast(y_true, dtype)
    y_pred = ops.cast(y_pred, dtype)
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

    weights = None
    if sample_weight is not None:
        weights = sample_weight
        if tuple(weights.shape) != tuple(y_pred.shape):
            weights = ops.broadcast_to(weights, ops.shape(y_pred))
    if label_weights is not None:  # along the last axis, before flattening
        label_weights = ops.broadcast_to(ops.cast(label_weights, dtype), ops.shape(y_pred))
        weights = label_weights if weights is None else ops.multiply(weights, label_weights)

    if thresholds_distributed_evenly:
        return _update_bucketed(variables_to_update, y_true, y_pred, num_thresholds, weights,
                                multi_label, thresholds_with_epsilon)

    if listed is not None:
        thresholds = np.asarray(listed, dtype=dtype)
    thresholds = ops.cast(thresholds, dtype)
    if multi_label:  # (T, N, L): labels kept apart, summed over the samples
        preds = ops.expand_dims(y_pred, 0)
        label_is_pos = ops.expand_dims(ops.cast(y_true, "bool"), 0)
        pred_is_pos = ops.greater(preds, ops.reshape(thresholds, (-1, 1, 1)))
        if weights is not None:
            weights = ops.expand_dims(weights, 0)
    else:  # (T, N): everything flattened
        preds = ops.reshape(y_pred, (1, -1))
        label_is_pos = ops.reshape(ops.cast(y_true, "bool"), (1, -1))
        pred_is_pos = ops.greater(preds, ops.reshape(thresholds, (-1, 1)))
        if weights is not None:
            weights = ops.reshape(weights, (1, -1))

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


def _even_thresholds(num_thresholds):
    """``[0, 1/(n-1), ..., 1]`` as Python floats, computed as Keras computes them."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0] + inner + [1.0]


class SensitivitySpecificityBase(Metric):
    """Base of the metrics that optimize one rate subject to a bound on another.

    Keeps the four confusion counts over ``num_thresholds`` evenly spaced
    thresholds (bucketed updates).

    Args:
        value: the bound on the constrained rate, in [0, 1].
        num_thresholds: the number of thresholds (default 200).
        class_id: compute the metric for this class only.
    """

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            self.thresholds = _even_thresholds(num_thresholds)
            self._thresholds_distributed_evenly = True
        self._thresholds_tensor = ops.convert_to_tensor(
            np.asarray(self.thresholds, dtype=self.dtype)
        )
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros",
                                                name="true_positives")
        self.false_positives = self.add_variable(shape=(n,), initializer="zeros",
                                                 name="false_positives")
        self.true_negatives = self.add_variable(shape=(n,), initializer="zeros",
                                                name="true_negatives")
        self.false_negatives = self.add_variable(shape=(n,), initializer="zeros",
                                                 name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the four confusion counts for each threshold."""
        update_confusion_matrix_variables(
            {TRUE_POSITIVES: self.true_positives, TRUE_NEGATIVES: self.true_negatives,
             FALSE_POSITIVES: self.false_positives, FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, self._thresholds_tensor, class_id=self.class_id,
            sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
        )

    def _rates(self):
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        return {
            "sensitivity": ops.divide_no_nan(tp, ops.add(tp, fn)),  # = recall
            "specificity": ops.divide_no_nan(tn, ops.add(tn, fp)),
            "precision": ops.divide_no_nan(tp, ops.add(tp, fp)),
        }

    def _find_max_under_constraint(self, constrained, dependent, predicate):
        """The largest ``dependent`` where ``predicate(constrained, value)``, else 0."""
        feasible = predicate(constrained, self.value)
        return ops.maximum(ops.max(ops.where(feasible, dependent, ops.zeros_like(dependent))),
                           0.0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id}


def _check_rate(name, value):
    if value < 0 or value > 1:
        raise ValueError(
            f"Argument `{name}` must be in the range [0, 1]. Received: {name}={value}"
        )


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) where specificity is >= ``specificity``.

    Args:
        specificity: a value in [0, 1].
        num_thresholds: the number of thresholds (default 200).
        class_id: compute the metric for this class only.
    """

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate("specificity", specificity)
        self.specificity = specificity
        self.num_thresholds = num_thresholds
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["specificity"], rates["sensitivity"],
                                               ops.greater_equal)

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "specificity": self.specificity}


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity where sensitivity (recall) is >= ``sensitivity``.

    Args:
        sensitivity: a value in [0, 1].
        num_thresholds: the number of thresholds (default 200).
        class_id: compute the metric for this class only.
    """

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate("sensitivity", sensitivity)
        self.sensitivity = sensitivity
        self.num_thresholds = num_thresholds
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["sensitivity"], rates["specificity"],
                                               ops.greater_equal)

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "sensitivity": self.sensitivity}


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision where recall is >= ``recall``.

    Args:
        recall: a value in [0, 1].
        num_thresholds: the number of thresholds (default 200).
        class_id: compute the metric for this class only.
    """

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate("recall", recall)
        self.recall = recall
        self.num_thresholds = num_thresholds
        super().__init__(value=recall, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["sensitivity"], rates["precision"],
                                               ops.greater_equal)

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "recall": self.recall}


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall where precision is >= ``precision`` (0 if it is never reached).

    Args:
        precision: a value in [0, 1].
        num_thresholds: the number of thresholds (default 200).
        class_id: compute the metric for this class only.
    """

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate("precision", precision)
        self.precision = precision
        self.num_thresholds = num_thresholds
        super().__init__(value=precision, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["precision"], rates["sensitivity"],
                                               ops.greater_equal)

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "precision": self.precision}


class AUCCurve(Enum):
    """The curve under which ``AUC`` measures the area."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"

    @staticmethod
    def from_str(key):
        for member in AUCCurve:
            if key in (member.value, member.value.lower()):
                return member
        raise ValueError(
            f'Invalid AUC curve value: "{key}". Expected values are ["PR", "ROC", "PRGAIN"]'
        )


class AUCSummationMethod(Enum):
    """How ``AUC`` sums its Riemann rectangles: mid-point, lower or upper heights."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key):
        for member in AUCSummationMethod:
            if key in (member.value, member.value.capitalize()):
                return member
        raise ValueError(
            f'Invalid AUC summation method value: "{key}". '
            'Expected values are ["interpolation", "majoring", "minoring"]'
        )


class AUC(Metric):
    """The area under the ROC or precision-recall curve, by a Riemann sum.

    The four confusion counts are kept at ``num_thresholds`` thresholds (with
    ``-epsilon`` and ``1 + epsilon`` at the ends); evenly spaced thresholds (the
    default) use the bucketed O(T + N) update.

    Args:
        num_thresholds: the number of thresholds (> 1; default 200).
        curve: ``"ROC"`` (default), ``"PR"`` or ``"PRGAIN"``.
        summation_method: ``"interpolation"`` (default; for PR, the
            Davis & Goadrich interpolation), ``"minoring"`` or ``"majoring"``.
        thresholds: explicit thresholds in [0, 1] (``num_thresholds`` is then
            ignored).
        multi_label: treat each column of 2D data as its own label and average
            the per-label AUCs, instead of flattening.
        num_labels: the number of labels with ``multi_label`` (else built from
            the first batch).
        label_weights: per-label weights: of the averaged AUCs with
            ``multi_label``, else of the flattened counts.
        from_logits: apply a sigmoid to the predictions first.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self._direction = "up"
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(_to_list(thresholds))
            self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(
                np.array([0.0] + thresholds + [1.0])
            )
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = _even_thresholds(num_thresholds)[1:-1]
            self._thresholds_distributed_evenly = True
        epsilon = config.epsilon()
        self._thresholds = [0.0 - epsilon] + [float(t) for t in thresholds] + [1.0 + epsilon]
        self.curve = curve if isinstance(curve, AUCCurve) else AUCCurve.from_str(curve)
        self.summation_method = (
            summation_method if isinstance(summation_method, AUCSummationMethod)
            else AUCSummationMethod.from_str(summation_method)
        )
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None
        if label_weights is not None:
            self.label_weights = ops.convert_to_tensor(
                np.asarray(label_weights, dtype=self.dtype))
        self._label_weights_list = (None if label_weights is None
                                    else [float(w) for w in np.ravel(label_weights)])
        self._from_logits = from_logits
        # Built once: no host-to-device copy per update (a constant in tf graphs).
        self._thresholds_tensor = ops.convert_to_tensor(
            np.asarray(self._thresholds, dtype=self.dtype))
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build([None, num_labels])
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds, including the ``-epsilon`` and ``1 + epsilon`` end points."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                    f"{len(shape)}. Full shape received for `y_pred`: {shape}"
                )
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        self.true_positives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                name="true_positives")
        self.false_positives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                 name="false_positives")
        self.true_negatives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                name="true_negatives")
        self.false_negatives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                 name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the confusion counts at every threshold."""
        y_pred = ops.convert_to_tensor(y_pred)
        if not self._built:
            self._build(tuple(y_pred.shape))
        if self._from_logits:
            y_pred = ops.sigmoid(y_pred)
        update_confusion_matrix_variables(
            {TRUE_POSITIVES: self.true_positives, TRUE_NEGATIVES: self.true_negatives,
             FALSE_POSITIVES: self.false_positives, FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, self._thresholds_tensor,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            thresholds_with_epsilon=True,
        )

    def _average_labels(self, by_label_auc):
        if self.label_weights is None:
            return ops.mean(by_label_auc)
        return ops.divide_no_nan(ops.sum(ops.multiply(by_label_auc, self.label_weights)),
                                 ops.sum(self.label_weights))

    def interpolate_pr_auc(self):
        """The PR AUC with precision interpolated as Davis & Goadrich (2006) do.

        Between two thresholds, TP and P = TP + FP vary linearly, so precision
        is ``(TP_A + slope * (P - P_A)) / P`` and each interval contributes
        ``slope * (dTP + intercept * log(P_B / P_A)) / total positives``.
        """
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = ops.subtract(tp[: n - 1], tp[1:])
        p = ops.add(tp, fp)
        dp = ops.subtract(p[: n - 1], p[1:])
        prec_slope = ops.divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = ops.subtract(tp[1:], ops.multiply(prec_slope, p[1:]))
        safe_p_ratio = ops.where(
            ops.logical_and(ops.greater(p[: n - 1], 0.0), ops.greater(p[1:], 0.0)),
            ops.divide_no_nan(p[: n - 1], ops.maximum(p[1:], 0.0)),
            ops.ones_like(p[1:]),
        )
        pr_auc_increment = ops.divide_no_nan(
            ops.multiply(prec_slope, ops.add(dtp, ops.multiply(intercept, ops.log(safe_p_ratio)))),
            ops.maximum(ops.add(tp[1:], fn[1:]), 0.0),
        )
        if self.multi_label:
            return self._average_labels(ops.sum(pr_auc_increment, axis=0))
        return ops.sum(pr_auc_increment)

    def result(self):
        if self.curve == AUCCurve.PR and \
                self.summation_method == AUCSummationMethod.INTERPOLATION:
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = ops.divide_no_nan(tp, ops.add(tp, fn))
        if self.curve == AUCCurve.ROC:
            x = ops.divide_no_nan(fp, ops.add(fp, tn))  # false positive rate
            y = recall
        elif self.curve == AUCCurve.PR:
            x = recall
            y = ops.divide_no_nan(tp, ops.add(tp, fp))  # precision
        else:  # PRGAIN (Flach & Kull 2015), with Keras's guards for degenerate counts
            scaling = ops.divide_no_nan(ops.add(tp, fn), ops.add(tn, fp))
            recall_gain = ops.subtract(1.0, ops.multiply(scaling, ops.divide_no_nan(fn, tp)))
            precision_gain = ops.subtract(1.0, ops.multiply(scaling, ops.divide_no_nan(fp, tp)))
            no_tp = ops.equal(tp, 0.0)
            recall_gain = ops.where(no_tp, 0.0, recall_gain)
            precision_gain = ops.where(no_tp, 1.0, precision_gain)
            x = ops.maximum(recall_gain, 0.0)
            y = precision_gain
        n = self.num_thresholds
        if self.summation_method == AUCSummationMethod.INTERPOLATION:
            heights = ops.divide(ops.add(y[: n - 1], y[1:]), 2.0)
        elif self.summation_method == AUCSummationMethod.MINORING:
            heights = ops.minimum(y[: n - 1], y[1:])
        else:
            heights = ops.maximum(y[: n - 1], y[1:])
        riemann_terms = ops.multiply(ops.subtract(x[: n - 1], x[1:]), heights)
        if self.multi_label:
            return self._average_labels(ops.sum(riemann_terms, axis=0))
        return ops.sum(riemann_terms)

    def reset_state(self):
        if self._built:
            for v in self.variables:
                v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def get_config(self):
        config = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve.value,
            "summation_method": self.summation_method.value,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self._label_weights_list,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            # Without the end points, so that from_config rebuilds the same thresholds.
            config["thresholds"] = self.thresholds[1:-1]
        return {**super().get_config(), **config}


ALL_CONFUSION_METRICS = (
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall,
    SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision,
    AUC,
)

__all__ = [c.__name__ for c in ALL_CONFUSION_METRICS]
