"""Regression metrics: running means of error functions, RMSE and R2."""
from cornu import ops
from cornu.losses.loss import squeeze_or_expand_to_same_rank
from cornu.losses.losses import (
    _l2_normalize,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from cornu.metrics.metric import Metric
from cornu.metrics.reduction_metrics import Mean, MeanMetricWrapper


def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)`` (the metric: positive)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.sum(ops.multiply(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis)),
                   axis=axis)


class _ErrorMetric(MeanMetricWrapper):
    """A ``MeanMetricWrapper`` whose config is only ``name`` and ``dtype``."""

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredError(_ErrorMetric):
    """The running mean of ``mean_squared_error``."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)
        self._direction = "down"


class MeanAbsoluteError(_ErrorMetric):
    """The running mean of ``mean_absolute_error``."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype=dtype)
        self._direction = "down"


class MeanAbsolutePercentageError(_ErrorMetric):
    """The running mean of ``mean_absolute_percentage_error``."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name, dtype=dtype)
        self._direction = "down"


class MeanSquaredLogarithmicError(_ErrorMetric):
    """The running mean of ``mean_squared_logarithmic_error``."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name, dtype=dtype)
        self._direction = "down"


class CosineSimilarity(_ErrorMetric):
    """The running mean of the cosine similarity along ``axis``."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name, dtype=dtype, axis=axis)
        self._direction = "up"


class LogCoshError(_ErrorMetric):
    """The running mean of ``log_cosh``."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name, dtype=dtype)
        self._direction = "down"


class RootMeanSquaredError(Mean):
    """``sqrt`` of the running (weighted) mean of squared errors."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.convert_to_tensor(y_true, self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        error_sq = ops.square(ops.subtract(y_pred, y_true))
        return super().update_state(error_sq, sample_weight=sample_weight)

    def result(self):
        return ops.sqrt(super().result())


class R2Score(Metric):
    """The coefficient of determination, from running per-output sums.

    Inputs have shape ``(batch, outputs)``; the per-output sums are created on
    the first update.

    Args:
        class_aggregation: ``"uniform_average"`` (default: the mean over
            outputs), ``"variance_weighted_average"`` (weighted by each
            output's variance) or ``None`` (one score per output).
        num_regressors: the number of independent variables, for the adjusted
            R2 score (0: the plain score).
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{valid}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received "
                f"input shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim), with "
                "output_dim fully defined (not None). Received input shapes: "
                f"y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        num_classes = y_pred_shape[-1]
        self.squared_sum = self.add_variable(shape=(num_classes,), initializer="zeros",
                                             name="squared_sum")
        self.sum = self.add_variable(shape=(num_classes,), initializer="zeros", name="sum")
        self.total_mse = self.add_variable(shape=(num_classes,), initializer="zeros",
                                           name="residual")
        self.count = self.add_variable(shape=(num_classes,), initializer="zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the weighted sums of ``y``, ``y^2`` and squared residuals."""
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        if sample_weight is None:
            sample_weight = ops.ones_like(y_true)
        else:
            sample_weight = ops.convert_to_tensor(sample_weight, dtype=self.dtype)
            if len(sample_weight.shape) == 1:
                sample_weight = ops.expand_dims(sample_weight, axis=1)  # a features axis
            sample_weight = ops.broadcast_to(sample_weight, ops.shape(y_true))
        weighted_y_true = ops.multiply(y_true, sample_weight)
        self.sum.assign_add(ops.sum(weighted_y_true, axis=0))
        self.squared_sum.assign_add(ops.sum(ops.multiply(y_true, weighted_y_true), axis=0))
        self.total_mse.assign_add(ops.sum(
            ops.multiply(ops.square(ops.subtract(y_true, y_pred)), sample_weight), axis=0))
        self.count.assign_add(ops.sum(sample_weight, axis=0))
        size = ops.size(y_true)  # all elements, as Keras counts them
        self.num_samples.assign_add(size if isinstance(size, int)
                                    else ops.cast(size, self.num_samples.dtype))

    def result(self):
        if not self._built:  # nothing seen yet
            return ops.zeros((), dtype=self.dtype)
        mean = ops.divide(self.sum, self.count)
        total = ops.subtract(self.squared_sum, ops.multiply(self.sum, mean))
        raw_scores = ops.subtract(1.0, ops.divide(self.total_mse, total))
        raw_scores = ops.where(ops.isinf(raw_scores), 0.0, raw_scores)
        if self.class_aggregation == "uniform_average":
            r2_score = ops.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            r2_score = ops.divide(ops.sum(ops.multiply(total, raw_scores)), ops.sum(total))
        else:
            r2_score = raw_scores
        if self.num_regressors != 0:
            # Adjusted R2 where defined (p < n - 1), else the plain score; decided on
            # the device (Keras decides in Python and warns, a host sync).
            n = ops.cast(self.num_samples, "float32")
            p = float(self.num_regressors)
            den = ops.subtract(ops.subtract(n, p), 1.0)
            adjusted = ops.subtract(1.0, ops.divide(
                ops.multiply(ops.subtract(1.0, r2_score), ops.subtract(n, 1.0)),
                ops.where(ops.greater(den, 0.0), den, 1.0)))
            r2_score = ops.where(ops.greater(den, 0.0), adjusted, r2_score)
        return r2_score

    def reset_state(self):
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


# Public metric functions that are not loss functions (for config resolution).
ALL_METRIC_FUNCTIONS = ()
ALL_REGRESSION_METRICS = (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, RootMeanSquaredError, R2Score,
)

__all__ = [c.__name__ for c in ALL_REGRESSION_METRICS]
