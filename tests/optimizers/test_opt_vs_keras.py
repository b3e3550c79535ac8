"""Every optimizer against Keras 3's on the same variables and gradients, step by step."""
import numpy as np
import pytest

from cornu import optimizers

CASES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True, "learning_rate": 0.1}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True, "learning_rate": 0.01}),
    ("AdamW", {"weight_decay": 0.1}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", {"initial_accumulator_value": 0.5, "learning_rate": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Lion", {}),
    # the base-class options, on a few optimizers
    ("SGD", {"clipnorm": 0.5, "momentum": 0.5}),
    ("Adam", {"clipvalue": 0.1}),
    ("RMSprop", {"global_clipnorm": 0.7}),
    ("SGD", {"weight_decay": 0.05, "learning_rate": 0.1}),
    ("Adam", {"use_ema": True, "ema_momentum": 0.9}),
    ("SGD", {"use_ema": True, "ema_momentum": 0.8, "ema_overwrite_frequency": 2,
             "momentum": 0.5}),
    ("Adam", {"gradient_accumulation_steps": 2, "learning_rate": 0.01}),
    ("Nadam", {"gradient_accumulation_steps": 3}),
    ("SGD", {"gradient_accumulation_steps": 2, "momentum": 0.9, "clipnorm": 1.0}),
    ("Adam", {"loss_scale_factor": 4.0}),
]


def _ids(case):
    name, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_keras(h, keras, init_arrays, grad_steps, case):
    name, kwargs = case
    ours = getattr(optimizers, name)(**kwargs)
    theirs = getattr(keras.optimizers, name)(**kwargs)
    variables = h.variables(init_arrays)
    kvars = h.keras_variables(keras, init_arrays)
    for step, grads in enumerate(grad_steps):
        ours.apply_gradients(zip([h.native(g) for g in grads], variables))
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads], kvars))
        for v, kv in zip(variables, kvars):
            np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv),
                                       rtol=2e-5, atol=2e-6, err_msg=f"step {step}")
    # Same variables, same order, same values (iterations, learning rate, slots).
    assert len(ours.variables) == len(theirs.variables)
    for v, kv in zip(ours.variables, theirs.variables):
        assert v.shape == tuple(kv.shape)
        np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv),
                                   rtol=2e-5, atol=2e-6, err_msg=v.path)
    np.testing.assert_allclose(h.to_np(ours.iterations),
                               keras.ops.convert_to_numpy(theirs.iterations))
    if kwargs.get("use_ema"):
        ours.finalize_variable_values(variables)
        theirs.finalize_variable_values(kvars)
        for v, kv in zip(variables, kvars):
            np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv),
                                       rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_config_matches_keras(keras, case):
    name, kwargs = case
    ours = getattr(optimizers, name)(name="opt", **kwargs)
    theirs = getattr(keras.optimizers, name)(name="opt", **kwargs)
    assert ours.get_config() == theirs.get_config()
    assert list(ours.get_config()) == list(theirs.get_config())


@pytest.mark.parametrize("name", [n for n, _ in CASES[:13]])
def test_default_config_and_variable_names(h, keras, init_arrays, name):
    ours = getattr(optimizers, name)(name="opt")
    theirs = getattr(keras.optimizers, name)(name="opt")
    assert ours.get_config() == theirs.get_config()
    variables = h.variables(init_arrays)
    ours.build(variables)
    theirs.build(h.keras_variables(keras, init_arrays))
    assert len(ours.variables) == len(theirs.variables)
    assert ours.variables[0].path == "opt/iteration"
    assert ours.variables[1].path == "opt/learning_rate"
    for v, kv in zip(ours.variables[2:], theirs.variables[2:]):
        if kv.path.startswith("opt/"):  # slots: "opt/<variable path>_<slot>"
            assert v.path == "opt/dense_" + kv.path[len("opt/"):]
        assert not v.trainable
    assert ours.variables[0].dtype == "int64"


def test_variable_order_with_every_slot_kind(h, keras, init_arrays):
    kwargs = dict(use_ema=True, gradient_accumulation_steps=2, amsgrad=True)
    ours = optimizers.Adam(name="opt", **kwargs)
    theirs = keras.optimizers.Adam(name="opt", **kwargs)
    ours.build(h.variables(init_arrays))
    theirs.build(h.keras_variables(keras, init_arrays))
    assert [v.path for v in ours.variables] == [
        "opt/dense_" + kv.path[4:] if kv.path not in ("opt/iteration", "opt/learning_rate")
        else kv.path for kv in theirs.variables
    ]


def test_schedule_learning_rate_matches_keras(h, keras, init_arrays, grad_steps):
    from cornu.optimizers import schedules

    ours = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.5, 2, 0.5), momentum=0.5)
    theirs = keras.optimizers.SGD(
        learning_rate=keras.optimizers.schedules.ExponentialDecay(0.5, 2, 0.5), momentum=0.5)
    variables = h.variables(init_arrays)
    kvars = h.keras_variables(keras, init_arrays)
    for grads in grad_steps:
        ours.apply_gradients(zip([h.native(g) for g in grads], variables))
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads], kvars))
    for v, kv in zip(variables, kvars):
        np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv), rtol=2e-5,
                                   atol=2e-6)
    assert len(ours.variables) == len(theirs.variables) == 3  # iteration + 2 momentums
    np.testing.assert_allclose(h.to_np(ours.learning_rate),
                               keras.ops.convert_to_numpy(theirs.learning_rate), rtol=1e-6)
    assert ours.get_config() | {"name": None} == theirs.get_config() | {"name": None}


def test_adamw_exclusion_matches_keras(h, keras, init_arrays, grad_steps):
    ours = optimizers.AdamW(learning_rate=0.01, weight_decay=0.5)
    theirs = keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.5)
    ours.exclude_from_weight_decay(var_names=["bias"])
    theirs.exclude_from_weight_decay(var_names=["bias"])
    variables = h.variables(init_arrays)
    kvars = h.keras_variables(keras, init_arrays)
    for grads in grad_steps:
        ours.apply_gradients(zip([h.native(g) for g in grads], variables))
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads], kvars))
    for v, kv in zip(variables, kvars):
        np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv), rtol=2e-5,
                                   atol=2e-6)
