"""Learning-rate schedules: values, configs and serialization against Keras 3."""
import numpy as np
import pytest

import cornu
from cornu.optimizers import schedules

STEPS = [0, 1, 2, 5, 9, 10, 11, 25, 99, 100, 101, 1000]

CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5,
                              staircase=True)),
    ("PiecewiseConstantDecay", dict(boundaries=[10, 100], values=[1.0, 0.5, 0.1])),
    ("PiecewiseConstantDecay", dict(boundaries=[5], values=[0.3, 0.2])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=100)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=20, power=2.0,
                             end_learning_rate=0.01, cycle=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5,
                              staircase=True)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=100)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=100, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=50, warmup_target=0.2,
                         warmup_steps=10)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=1.0,
                                 m_mul=0.5, alpha=0.05)),
]


def _ids(case):
    return case[0] + "-" + "-".join(f"{k}={v}" for k, v in case[1].items()
                                    if k not in ("initial_learning_rate",))


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_values_match_keras(h, keras, case):
    name, kwargs = case
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    for step in STEPS:
        np.testing.assert_allclose(
            h.to_np(ours(step)), keras.ops.convert_to_numpy(theirs(step)),
            rtol=2e-6, atol=1e-8, err_msg=f"step {step}")
    # A step held in an int64 variable (as the optimizer passes it) works too.
    step_variable = cornu.Variable(np.int64(11), dtype="int64", trainable=False, name="it")
    np.testing.assert_allclose(h.to_np(ours(step_variable)),
                               keras.ops.convert_to_numpy(theirs(11)), rtol=2e-6)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_config_and_serialization_match_keras(keras, case):
    name, kwargs = case
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    serialized = schedules.serialize(ours)
    assert serialized == keras.optimizers.schedules.serialize(theirs)
    restored = schedules.deserialize(serialized)
    assert type(restored) is type(ours)
    assert restored.get_config() == ours.get_config()
    # A Keras-written config loads as the cornu class.
    assert type(schedules.deserialize(keras.optimizers.schedules.serialize(theirs))) is type(ours)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="first_decay_steps"):
        schedules.CosineDecayRestarts(0.1, 0)
    with pytest.raises(ValueError, match="length of boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(NotImplementedError):
        schedules.LearningRateSchedule()(1)


def test_custom_schedule_subclass(h):
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            from cornu import ops

            return ops.divide(1.0, ops.power(2.0, ops.cast(step, "float32")))

        def get_config(self):
            return {}

    variables = h.variables([np.zeros((2,), "float32")])
    opt = cornu.optimizers.SGD(learning_rate=Halving())
    for _ in range(3):
        opt.apply([h.native(np.ones(2, "float32"))], variables)
    np.testing.assert_allclose(variables[0].numpy(), [-1.75, -1.75], rtol=1e-6)


def test_registry_lookup():
    from cornu.plugins import registry

    assert registry.get("schedule", "ExponentialDecay") is schedules.ExponentialDecay
    assert registry.get("schedule", "cosine_decay_restarts") is schedules.CosineDecayRestarts
