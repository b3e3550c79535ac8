"""``cornu.optimizers.schedules``: learning-rate schedules (the Keras 3 set)."""
from cornu.optimizers.schedules.learning_rate_schedule import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
)
from cornu.serialization import make_kind_api

serialize, deserialize, _get = make_kind_api("schedule", LearningRateSchedule, instantiate=False)
serialize.__doc__ = "The Keras-format config of a learning-rate schedule."
deserialize.__doc__ = "A learning-rate schedule from its Keras-format config."

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "serialize",
    "deserialize",
]
