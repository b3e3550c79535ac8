"""``cornu.losses``: the Keras 3 losses (classes and functions), from cornu-metrics.

A loss class is called as ``loss(y_true, y_pred, sample_weight=None)`` and
returns the reduced loss; a loss function returns per-sample values.
``get``/``serialize``/``deserialize`` resolve names through the plugin
registry (``"mse"``, ``"CategoricalCrossentropy"``, ...).
"""
from cornu.losses.loss import Loss, reduce_weighted_values, squeeze_or_expand_to_same_rank
from cornu.losses.losses import (
    ALL_LOSS_CLASSES,
    ALL_LOSS_FUNCTIONS,
    LOSS_ALIASES,
    BinaryCrossentropy,
    CTC,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    CategoricalHinge,
    Circle,
    CosineSimilarity,
    Dice,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    Tversky,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    categorical_hinge,
    circle,
    cosine_similarity,
    ctc,
    dice,
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
    tversky,
)
from cornu.serialization import make_kind_api as _make_kind_api

# Keras-style short names as module attributes (cornu.losses.mse is mean_squared_error).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh

_serialize, deserialize, _get = _make_kind_api("loss", Loss, instantiate=True)


def serialize(loss):
    """The Keras-format config of a loss instance or loss function."""
    if callable(loss) and not isinstance(loss, type) and not hasattr(loss, "get_config"):
        from cornu.losses._serialization import serialize_function

        return serialize_function(loss)
    return _serialize(loss)


def get(identifier):
    """A loss from a name (function or class name), a config dict, an instance, or None.

    A class name gives an instance (``get("Huber")``); a function name gives the
    function (``get("mse")`` is ``mean_squared_error``).
    """
    return _get(identifier)


__all__ = [
    "Loss", "LossFunctionWrapper", "get", "serialize", "deserialize",
    "reduce_weighted_values", "squeeze_or_expand_to_same_rank",
] + [c.__name__ for c in ALL_LOSS_CLASSES if c.__name__ not in ("Loss", "LossFunctionWrapper")] + [
    f.__name__ for f in ALL_LOSS_FUNCTIONS
] + ["mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "bce", "BCE",
     "kullback_leibler_divergence", "logcosh"]

del ALL_LOSS_CLASSES, ALL_LOSS_FUNCTIONS, LOSS_ALIASES
