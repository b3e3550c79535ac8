"""F-scores: ``FBetaScore`` and ``F1Score`` over per-class (or global) counts.

The counts are created on the first update, when the number of classes is
known (as in Keras), and updated with a handful of ops per batch.
"""
from cornu import config, ops
from cornu.metrics.metric import Metric


class FBetaScore(Metric):
    """The F-beta score: ``(1 + beta^2) * P * R / (beta^2 * P + R)``.

    Works for multi-class and multi-label data of shape ``(batch, classes)``.

    Args:
        average: ``None`` (one score per class), ``"micro"`` (global counts),
            ``"macro"`` (unweighted mean of the class scores) or ``"weighted"``
            (mean weighted by each class's support).
        beta: a Python float > 0: the weight of recall against precision.
        threshold: a Python float in (0, 1]: predictions above it are positive;
            ``None`` makes the argmax of each row positive.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify "
                    f"0 < threshold <= 1. Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={y_pred_shape} and "
                f"y_true.shape={y_true_shape}."
            )
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim), "
                "with output_dim fully defined (not None). Received input shapes: "
                f"y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for name in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, name, self.add_variable(shape=shape, initializer="zeros",
                                                  dtype=self.dtype, name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate true/false positives, false negatives and the class supports."""
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        if self.threshold is None:
            # The argmax is positive; a row of zeros stays all negative.
            row_max = ops.max(y_pred, axis=-1, keepdims=True)
            y_pred = ops.logical_and(ops.greater_equal(y_pred, row_max),
                                     ops.greater(ops.abs(y_pred), 1e-9))
        else:
            y_pred = ops.greater(y_pred, self.threshold)
        y_pred = ops.cast(y_pred, self.dtype)
        if sample_weight is not None:
            sample_weight = ops.convert_to_tensor(sample_weight, dtype=self.dtype)
            if len(sample_weight.shape) == 2 and sample_weight.shape[-1] == 1:
                sample_weight = ops.squeeze(sample_weight, -1)  # (B, 1) as (B,)
            sample_weight = ops.expand_dims(sample_weight, 1)

        def weighted_sum(values):
            if sample_weight is not None:
                values = ops.multiply(values, sample_weight)
            return ops.sum(values, axis=self.axis)

        not_pred = ops.subtract(1.0, y_pred)
        self.true_positives.assign_add(weighted_sum(ops.multiply(y_pred, y_true)))
        self.false_positives.assign_add(
            weighted_sum(ops.multiply(y_pred, ops.subtract(1.0, y_true))))
        self.false_negatives.assign_add(weighted_sum(ops.multiply(not_pred, y_true)))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        if not self._built:  # nothing seen yet
            return ops.zeros((), dtype=self.dtype)
        epsilon = config.epsilon()
        tp = self.true_positives
        precision = ops.divide(tp, ops.add(ops.add(tp, self.false_positives), epsilon))
        recall = ops.divide(tp, ops.add(ops.add(tp, self.false_negatives), epsilon))
        beta_sq = self.beta ** 2
        mean = ops.divide(ops.multiply(precision, recall),
                          ops.add(ops.add(ops.multiply(beta_sq, precision), recall), epsilon))
        score = ops.multiply(mean, 1.0 + beta_sq)
        if self.average == "weighted":
            support = self.intermediate_weights
            weights = ops.divide(support, ops.add(ops.sum(support), epsilon))
            score = ops.sum(ops.multiply(score, weights))
        elif self.average is not None:  # micro, macro
            score = ops.mean(score)
        return score

    def reset_state(self):
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F-1 score: the harmonic mean of precision and recall (``FBetaScore``, beta 1).

    Args:
        average: ``None``, ``"micro"``, ``"macro"`` or ``"weighted"`` (see
            ``FBetaScore``).
        threshold: a Python float in (0, 1], or ``None`` for the row argmax.
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


ALL_F_SCORE_METRICS = (FBetaScore, F1Score)

__all__ = [c.__name__ for c in ALL_F_SCORE_METRICS]
