"""LossScaleOptimizer: dynamic loss scaling, step skipping, against Keras 3."""
import numpy as np
import pytest

from cornu import optimizers


def _grad_steps(rng, n=12):
    """Large gradients (as from a scaled loss) with an inf and a NaN on the way."""
    steps = [[rng.normal(size=(3, 4)).astype("float32") * 1000,
              rng.normal(size=(4,)).astype("float32") * 1000] for _ in range(n)]
    steps[3][0][1, 1] = np.inf
    steps[6][1][2] = np.nan
    steps[7][0][0, 0] = -np.inf
    return steps


@pytest.mark.parametrize("inner", [
    ("SGD", {"momentum": 0.9}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("Lamb", {"gradient_accumulation_steps": 2}),
], ids=lambda c: c[0])
def test_matches_keras(h, keras, init_arrays, rng, inner):
    name, kwargs = inner
    ours = optimizers.LossScaleOptimizer(getattr(optimizers, name)(name="inner", **kwargs),
                                         initial_scale=1024.0, dynamic_growth_steps=2,
                                         name="opt")
    theirs = keras.optimizers.LossScaleOptimizer(
        getattr(keras.optimizers, name)(name="inner", **kwargs), initial_scale=1024.0,
        dynamic_growth_steps=2, name="opt")
    variables = h.variables(init_arrays)
    kvars = h.keras_variables(keras, init_arrays)
    scales = []
    for step, grads in enumerate(_grad_steps(rng)):
        ours.apply([h.native(g) for g in grads], variables)
        theirs.apply([keras.ops.convert_to_tensor(g) for g in grads], kvars)
        scales.append(float(ours.dynamic_scale.numpy()))
        for v, kv in zip(variables, kvars):
            np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv), rtol=2e-5,
                                       atol=2e-6, err_msg=f"step {step}")
        np.testing.assert_allclose(scales[-1], keras.ops.convert_to_numpy(theirs.dynamic_scale))
        assert int(h.to_np(ours.iterations)) == int(keras.ops.convert_to_numpy(theirs.iterations))
    # 3 skipped steps (halving), a doubling after every 2 finite steps in a row.
    assert scales == [1024, 2048, 2048, 1024, 1024, 2048, 1024, 512, 512, 1024, 1024, 2048]
    assert len(ours.variables) == len(theirs.variables)
    for v, kv in zip(ours.variables, theirs.variables):
        assert v.shape == tuple(kv.shape)
        np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv), rtol=2e-5,
                                   atol=2e-6, err_msg=v.path)


def test_variables_config_and_delegation(h, keras, init_arrays):
    inner = optimizers.SGD(learning_rate=0.1, loss_scale_factor=8.0, name="inner")
    opt = optimizers.LossScaleOptimizer(inner, name="opt")
    assert inner.loss_scale_factor is None  # gradients are unscaled once, by the wrapper
    opt.build(h.variables(init_arrays))
    assert [v.path for v in opt.variables][:4] == [
        "opt/iteration", "opt/learning_rate", "opt/step_counter", "opt/dynamic_scale"]
    assert opt.variables[4:] == inner.variables
    assert opt.iterations is inner.iterations
    np.testing.assert_allclose(h.to_np(opt.learning_rate), 0.1, rtol=1e-6)
    opt.learning_rate = 0.5
    np.testing.assert_allclose(h.to_np(inner.learning_rate), 0.5, rtol=1e-6)

    theirs = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(learning_rate=0.5, name="inner"), name="opt")
    ours, ref = opt.get_config(), theirs.get_config()
    assert list(ours) == list(ref) == ["name", "inner_optimizer", "initial_scale",
                                        "dynamic_growth_steps"]
    assert ours["inner_optimizer"]["config"] == ref["inner_optimizer"]["config"]
    assert {k: v for k, v in ours.items() if k != "inner_optimizer"} == \
        {k: v for k, v in ref.items() if k != "inner_optimizer"}
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(restored, optimizers.LossScaleOptimizer)
    assert isinstance(restored.inner_optimizer, optimizers.SGD)
    assert restored.get_config() == ours
    from_keras = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert from_keras.get_config()["inner_optimizer"]["config"] == ours["inner_optimizer"][
        "config"]


def test_scale_loss(h, init_arrays):
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(), initial_scale=4.0)
    assert opt.loss_scale_factor  # the trainers call scale_loss when this is set
    np.testing.assert_allclose(h.to_np(opt.scale_loss(h.native(np.float32(1.5)))), 6.0)
    opt.build(h.variables(init_arrays))
    opt.dynamic_scale.assign(np.float32(2.0 ** 16))
    half = h.core().cast(h.native(np.float32(1.5)), "float16")
    scaled = opt.scale_loss(half)  # 1.5 * 65536 overflows float16: computed in float32
    assert h.core().standardize_dtype(scaled.dtype) == "float32"
    np.testing.assert_allclose(h.to_np(scaled), 1.5 * 2 ** 16)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="dynamic=False"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="does not support arguments"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), bogus=1)
    with pytest.raises(TypeError, match="inner_optimizer"):
        optimizers.LossScaleOptimizer("sgd")
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(), use_ema=False)  # defaults pass
    with pytest.raises(ValueError, match="inner_optimizer"):
        opt.loss_scale_factor = 2.0


def test_skipped_step_leaves_the_inner_optimizer_untouched(h, init_arrays):
    opt = optimizers.LossScaleOptimizer(optimizers.Adam(), initial_scale=8.0)
    variables = h.variables(init_arrays)
    bad = [np.full((3, 4), np.nan, "float32"), np.ones(4, "float32")]
    opt.apply([h.native(g) for g in bad], variables)
    for v, w in zip(variables, init_arrays):
        np.testing.assert_array_equal(v.numpy(), w)
    assert all(not np.any(v.numpy()) for v in opt.inner_optimizer.variables[2:])
    assert int(h.to_np(opt.iterations)) == 0
    assert float(opt.dynamic_scale.numpy()) == 4.0
    with pytest.warns(UserWarning, match="dense/bias"):  # None: left out, as in the inner
        opt.apply([h.native(np.ones((3, 4), "float32")), None], variables)
    assert int(h.to_np(opt.iterations)) == 1
    np.testing.assert_array_equal(variables[1].numpy(), init_arrays[1])


def test_half_precision_gradients_are_unscaled_in_float32(h):
    """A scale of 2 ** 17 does not fit in float16: unscaling must not turn it into inf."""
    core = h.core()
    variables = [h.variables([np.ones((2,), "float32")])[0]]
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(learning_rate=1.0),
                                        initial_scale=2.0 ** 17)
    grad = core.cast(h.native(np.array([0.25, 0.5], "float32")), "float16")  # already scaled
    opt.apply([grad], variables)
    np.testing.assert_allclose(variables[0].numpy(), 1.0 - np.array([0.25, 0.5]) / 2 ** 17,
                               rtol=1e-7)
