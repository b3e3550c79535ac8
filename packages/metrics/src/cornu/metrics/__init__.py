"""``cornu.metrics``: the Keras 3 metrics, from cornu-metrics.

A metric keeps its state in non-trainable ``cornu.Variable``s:
``update_state(y_true, y_pred, sample_weight=None)`` accumulates,
``result()`` reads, ``reset_state()`` zeroes.  The metric functions
(``sparse_categorical_accuracy``, ``mean_squared_error``, ...) return one value
per sample.  ``get``/``serialize``/``deserialize`` resolve names through the
plugin registry (``"mse"``, ``"Precision"``, ``"categorical_accuracy"``, ...).
"""
from cornu.losses.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from cornu.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from cornu.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from cornu.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from cornu.metrics.f_score_metrics import F1Score, FBetaScore
from cornu.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from cornu.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from cornu.metrics.metric import Metric
from cornu.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from cornu.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from cornu.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
)
from cornu.serialization import make_kind_api as _make_kind_api

#: Every metric class, as registered with the plugin registry.
ALL_METRICS = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
    RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives,
    TruePositives,
    ConcordanceCorrelation, PearsonCorrelation,
    Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    F1Score, FBetaScore,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
)

#: Keras 3's short metric names.
METRIC_ALIASES = {
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
}

_serialize, deserialize, _get = _make_kind_api("metric", Metric, instantiate=True)


def serialize(metric):
    """The Keras-format config of a metric instance or metric function."""
    if callable(metric) and not isinstance(metric, type) and not hasattr(metric, "get_config"):
        from cornu.losses._serialization import serialize_function

        return serialize_function(metric)
    return _serialize(metric)


def get(identifier):
    """A metric from a name, a config dict, an instance or function, or None.

    Names resolve to classes and are instantiated with default arguments
    (``get("mse")`` is ``MeanSquaredError()``).
    """
    return _get(identifier)


__all__ = [c.__name__ for c in ALL_METRICS] + [
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "categorical_hinge",
    "hinge", "squared_hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "poisson", "pearson_correlation", "concordance_correlation", "get", "serialize",
    "deserialize",
]
