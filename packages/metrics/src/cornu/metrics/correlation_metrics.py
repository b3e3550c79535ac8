"""Correlation metrics: Pearson's and Lin's concordance correlation per sample, averaged."""
from cornu import config, ops
from cornu.losses.loss import squeeze_or_expand_to_same_rank
from cornu.metrics.reduction_metrics import MeanMetricWrapper


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``.

    Returns one value per sample (the other axes), in [-1, 1].
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true_norm = ops.subtract(y_true, ops.mean(y_true, axis=axis, keepdims=True))
    y_pred_norm = ops.subtract(y_pred, ops.mean(y_pred, axis=axis, keepdims=True))
    y_true_norm = ops.divide(y_true_norm, ops.std(y_true_norm, axis=axis, keepdims=True))
    y_pred_norm = ops.divide(y_pred_norm, ops.std(y_pred_norm, axis=axis, keepdims=True))
    return ops.mean(ops.multiply(y_true_norm, y_pred_norm), axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient along ``axis`` (Keras 3's formula).

    ``2 * cov / (var_true + var_pred + (mean_true - mean_pred)^2)``, one value
    per sample, in [-1, 1].
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    y_pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    y_true_var = ops.var(ops.subtract(y_true, y_true_mean), axis=axis, keepdims=True)
    y_pred_var = ops.var(ops.subtract(y_pred, y_pred_mean), axis=axis, keepdims=True)
    # Keras 3 centres y_true on the mean of y_pred: the same mean product (the
    # extra term is a multiple of mean(y_pred - y_pred_mean) = 0), kept as is.
    covar = ops.multiply(ops.subtract(y_true, y_pred_mean), ops.subtract(y_pred, y_pred_mean))
    norm = ops.add(ops.add(y_true_var, y_pred_var), ops.square(ops.subtract(y_true_mean,
                                                                           y_pred_mean)))
    return ops.mean(ops.divide(ops.multiply(2.0, covar), ops.add(norm, config.epsilon())),
                    axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """The running (weighted) mean of ``pearson_correlation`` along ``axis``."""

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """The running (weighted) mean of ``concordance_correlation`` along ``axis``."""

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


ALL_METRIC_FUNCTIONS = (pearson_correlation, concordance_correlation)
ALL_CORRELATION_METRICS = (PearsonCorrelation, ConcordanceCorrelation)

__all__ = [c.__name__ for c in ALL_CORRELATION_METRICS] + [
    f.__name__ for f in ALL_METRIC_FUNCTIONS]
