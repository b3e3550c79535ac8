"""Clipping, weight decay, EMA, gradient accumulation and loss scaling, against numpy."""
import numpy as np
import pytest

import cornu
from cornu import optimizers


def _sgd_steps(h, opt, init_arrays, grad_steps, variables=None):
    variables = variables or h.variables(init_arrays)
    for grads in grad_steps:
        opt.apply([h.native(g) for g in grads], variables)
    return variables


def test_clipnorm(h):
    w = [np.zeros((2, 2), "float32"), np.zeros((3,), "float32")]
    g = [np.array([[3.0, 4.0], [0.0, 0.0]], "float32"), np.array([0.1, 0.2, 0.2], "float32")]
    variables = _sgd_steps(h, optimizers.SGD(learning_rate=1.0, clipnorm=1.0), w, [g])
    # Each gradient on its own: norm 5 -> scaled to 1; norm 0.3 -> unchanged.
    np.testing.assert_allclose(variables[0].numpy(), -g[0] / 5.0, rtol=1e-6)
    np.testing.assert_allclose(variables[1].numpy(), -g[1], rtol=1e-6)


def test_clipnorm_zero_gradient_is_not_nan(h):
    variables = _sgd_steps(h, optimizers.SGD(learning_rate=1.0, clipnorm=1.0),
                           [np.ones((2,), "float32")], [[np.zeros((2,), "float32")]])
    np.testing.assert_allclose(variables[0].numpy(), [1.0, 1.0])


def test_global_clipnorm(h):
    w = [np.zeros((2, 2), "float32"), np.zeros((3,), "float32")]
    g = [np.array([[3.0, 4.0], [0.0, 0.0]], "float32"), np.array([0.0, 12.0, 0.0], "float32")]
    variables = _sgd_steps(h, optimizers.SGD(learning_rate=1.0, global_clipnorm=2.6), w, [g])
    scale = 2.6 / 13.0  # global norm = sqrt(25 + 144)
    for v, grad in zip(variables, g):
        np.testing.assert_allclose(v.numpy(), -grad * scale, rtol=1e-6)


def test_global_clipnorm_below_threshold_is_identity(h):
    g = [np.array([0.3, -0.4], "float32")]
    variables = _sgd_steps(h, optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0),
                           [np.zeros((2,), "float32")], [g])
    np.testing.assert_allclose(variables[0].numpy(), -g[0], rtol=1e-6)


def test_clipvalue(h, init_arrays, grad_steps):
    variables = _sgd_steps(h, optimizers.SGD(learning_rate=0.1, clipvalue=0.5), init_arrays,
                           grad_steps)
    for k, w in enumerate(init_arrays):
        expected = w - 0.1 * sum(np.clip(gs[k], -0.5, 0.5) for gs in grad_steps)
        np.testing.assert_allclose(variables[k].numpy(), expected, rtol=1e-5, atol=1e-6)


def test_only_one_clip_argument():
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_weight_decay(h, init_arrays, grad_steps):
    lr, wd = 0.1, 0.2
    variables = _sgd_steps(h, optimizers.SGD(learning_rate=lr, weight_decay=wd), init_arrays,
                           grad_steps)
    for k, w in enumerate(init_arrays):
        w = w.astype("float64")
        for grads in grad_steps:
            w = w - w * wd * lr  # decoupled: decay first, then the gradient step
            w = w - lr * grads[k]
        np.testing.assert_allclose(variables[k].numpy(), w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("by", ["names", "list"])
def test_exclude_from_weight_decay(h, init_arrays, grad_steps, by):
    lr, wd = 0.1, 0.2
    variables = h.variables(init_arrays)
    opt = optimizers.AdamW(learning_rate=lr, weight_decay=wd)
    reference = optimizers.Adam(learning_rate=lr)
    if by == "names":
        opt.exclude_from_weight_decay(var_names=["bias"])
    else:
        opt.exclude_from_weight_decay(var_list=[variables[1]])
    _sgd_steps(h, opt, init_arrays, grad_steps, variables)
    ref_vars = _sgd_steps(h, reference, init_arrays, grad_steps)
    # The bias follows plain Adam; the kernel does not.
    np.testing.assert_allclose(variables[1].numpy(), ref_vars[1].numpy(), rtol=1e-6)
    assert not np.allclose(variables[0].numpy(), ref_vars[0].numpy(), rtol=1e-4)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_ema_and_finalize(h, init_arrays, grad_steps):
    lr, mom = 0.1, 0.9
    variables = h.variables(init_arrays)
    opt = optimizers.SGD(learning_rate=lr, use_ema=True, ema_momentum=mom)
    _sgd_steps(h, opt, init_arrays, grad_steps, variables)
    for k, w in enumerate(init_arrays):
        w = w.astype("float64")
        avg = np.zeros_like(w)
        for t, grads in enumerate(grad_steps):
            w = w - lr * grads[k]
            m = 0.0 if t == 0 else mom
            avg = m * avg + (1 - m) * w
        np.testing.assert_allclose(variables[k].numpy(), w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h.to_np(opt._model_variables_moving_average[k]), avg,
                                   rtol=1e-5, atol=1e-6)
    opt.finalize_variable_values(variables)
    np.testing.assert_allclose(variables[0].numpy(),
                               h.to_np(opt._model_variables_moving_average[0]))


def test_gradient_accumulation(h, init_arrays, grad_steps):
    lr = 0.1
    variables = h.variables(init_arrays)
    opt = optimizers.SGD(learning_rate=lr, gradient_accumulation_steps=2)
    for n, grads in enumerate(grad_steps[:4], start=1):
        opt.apply([h.native(g) for g in grads], variables)
        assert int(h.to_np(opt.iterations)) == n // 2
        expected = init_arrays[0].astype("float64")
        for pair in range(n // 2):
            mean = (grad_steps[2 * pair][0] + grad_steps[2 * pair + 1][0]) / 2
            expected = expected - lr * mean
        np.testing.assert_allclose(variables[0].numpy(), expected, rtol=1e-5, atol=1e-6)
    accumulators = [h.to_np(a) for a in opt._accumulated_gradients]
    assert all(not a.any() for a in accumulators)  # reset after each update


def test_loss_scale_factor(h):
    opt = optimizers.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    variables = _sgd_steps(h, opt, [np.zeros((2,), "float32")],
                           [[np.array([4.0, -8.0], "float32")]])
    np.testing.assert_allclose(variables[0].numpy(), [-1.0, 2.0])
    assert float(h.to_np(opt.scale_loss(h.native(np.float32(2.0))))) == 8.0
    assert optimizers.SGD().scale_loss(3.0) == 3.0


def test_constraint_is_applied_after_update(h):
    variable = cornu.Variable(np.array([0.5, -0.5], "float32"), name="kernel")
    variable.constraint = cornu.constraints.get("non_neg")
    opt = optimizers.SGD(learning_rate=1.0)
    opt.apply([h.native(np.array([-1.0, 1.0], "float32"))], [variable])
    np.testing.assert_allclose(variable.numpy(), [1.5, 0.0])


@pytest.mark.parametrize("kwargs, message", [
    ({"gradient_accumulation_steps": 1}, "gradient_accumulation_steps"),
    ({"use_ema": True, "ema_momentum": 1.5}, "ema_momentum"),
    ({"use_ema": True, "ema_overwrite_frequency": 0.5}, "ema_overwrite_frequency"),
    ({"loss_scale_factor": -1.0}, "loss_scale_factor"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"bogus": 1}, "not recognized"),
])
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizers.Adam(**kwargs)


def test_subclass_specific_argument_checks():
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=2.0)


def test_learning_rate_property(h):
    opt = optimizers.Adam(learning_rate=0.01)
    assert float(h.to_np(opt.learning_rate)) == pytest.approx(0.01)
    opt.learning_rate = 0.5
    assert float(h.to_np(opt.learning_rate)) == pytest.approx(0.5)
    assert opt.get_config()["learning_rate"] == pytest.approx(0.5)
    assert opt.variables[1].path.endswith("learning_rate")
    schedule = optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    opt.learning_rate = schedule
    assert len(opt.variables) == 1  # the learning-rate variable is no longer tracked
    assert float(h.to_np(opt.learning_rate)) == pytest.approx(0.1)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1


def test_callable_learning_rate(h):
    variables = h.variables([np.zeros((2,), "float32")])
    opt = optimizers.SGD(learning_rate=lambda: 0.25)
    opt.apply([h.native(np.ones(2, "float32"))], variables)
    np.testing.assert_allclose(variables[0].numpy(), [-0.25, -0.25])


def test_save_and_load_own_variables(h, init_arrays, grad_steps):
    opt = optimizers.Adam()
    _sgd_steps(h, opt, init_arrays, grad_steps)
    store = {}
    opt.save_own_variables(store)
    fresh = optimizers.Adam()
    fresh.build(h.variables(init_arrays))
    fresh.load_own_variables(store)
    for a, b in zip(opt.variables, fresh.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    fresh.set_weights([v.numpy() for v in opt.variables])
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizers.Adam().load_own_variables(store)


class ScaledSGD(optimizers.Optimizer):
    """A Keras-style custom optimizer: only ``build`` and ``update_step``."""

    def __init__(self, learning_rate=0.1, scale=2.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.scale = scale

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.steps_seen = self.add_optimizer_variables(variables, "seen")

    def update_step(self, gradient, variable, learning_rate):
        from cornu import ops

        index = self._get_variable_index(variable)
        self.assign_add(self.steps_seen[index], ops.ones_like(gradient))
        self.assign_sub(variable, ops.multiply(ops.multiply(gradient, learning_rate),
                                               self.scale))


def test_custom_optimizer_subclass(h, init_arrays, grad_steps):
    opt = ScaledSGD(learning_rate=0.1, scale=2.0)
    variables = _sgd_steps(h, opt, init_arrays, grad_steps[:2])
    expected = init_arrays[0] - 0.2 * (grad_steps[0][0] + grad_steps[1][0])
    np.testing.assert_allclose(variables[0].numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.to_np(opt.steps_seen[1]), np.full((4,), 2.0))
    assert opt._kernel is None


class DoubleAdam(optimizers.Adam):
    """Overrides ``update_step`` only: the fused torch Adam kernel must not be used."""

    def update_step(self, gradient, variable, learning_rate):
        super().update_step(gradient, variable, learning_rate)
        super().update_step(gradient, variable, learning_rate)


def test_subclass_overriding_update_step_uses_it(h, init_arrays, grad_steps, backend_name):
    opt = DoubleAdam()
    _sgd_steps(h, opt, init_arrays, grad_steps[:1])
    assert opt._kernel is None
    assert optimizers.Adam()._choose_kernels(h.variables(init_arrays)) is None
    plain = optimizers.Adam()
    plain.build(h.variables(init_arrays))
    assert (plain._kernel is not None) == (backend_name == "torch")


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "Nadam", "Lion", "Ftrl", "Lamb",
                                  "ScheduleFreeAdamW"])
def test_fused_and_per_variable_paths_agree(h, init_arrays, grad_steps, name):
    kwargs = {"SGD": {"momentum": 0.9, "nesterov": True},
              "RMSprop": {"momentum": 0.5, "centered": True},
              "Adam": {"amsgrad": True, "weight_decay": 0.01, "clipnorm": 1.0},
              "Ftrl": {"learning_rate": 0.1, "l1_regularization_strength": 0.1,
                       "l2_regularization_strength": 0.1, "beta": 0.3,
                       "l2_shrinkage_regularization_strength": 0.05},
              "Lamb": {"weight_decay": 0.01},
              "ScheduleFreeAdamW": {"warmup_steps": 3, "learning_rate": 0.01}}.get(name, {})
    fused = getattr(optimizers, name)(**kwargs)
    generic = getattr(optimizers, name)(**kwargs)
    a = h.variables(init_arrays)
    b = h.variables(init_arrays)
    fused.build(a)
    generic.build(b)
    # The backend's fused kernel (torch: optimizer_kernels.KERNELS) is used wherever
    # the backend declares the fused capability.
    assert (fused._kernel is not None) == fused._xp.fused
    generic._kernel, generic._fused = None, False  # force the per-variable path
    _sgd_steps(h, fused, init_arrays, grad_steps, a)
    _sgd_steps(h, generic, init_arrays, grad_steps, b)
    for x, y in zip(fused.variables, generic.variables):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-6, err_msg=x.path)


# -- the plain path: the trainer's repeated apply(grads, same list) ----------------------
@pytest.mark.parametrize("make", [
    lambda: cornu.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: cornu.optimizers.Adam(0.01),
    lambda: cornu.optimizers.Nadam(0.01),
    lambda: cornu.optimizers.RMSprop(0.01, momentum=0.5),
])
def test_repeated_apply_on_one_list_equals_the_general_path(make, h):
    """The trainer passes one list every step (the plain path where the backend has one);
    fresh lists always take the general path.  Both must give the same weights, also
    when an option that needs the general path is switched on mid-way."""
    rng = np.random.default_rng(0)
    init = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    steps = [[rng.normal(size=(3, 2)), rng.normal(size=(2,))] for _ in range(6)]
    same_vars, fresh_vars = h.variables(init), h.variables(init)
    same_opt, fresh_opt = make(), make()
    for i, grads in enumerate(steps):
        if i == 3:  # from here on the general path is needed (clipping)
            same_opt.clipnorm = fresh_opt.clipnorm = 0.5
        same_opt.apply([h.native(g.astype("float32")) for g in grads], same_vars)
        fresh_opt.apply([h.native(g.astype("float32")) for g in grads], list(fresh_vars))
        for a, b in zip(same_vars, fresh_vars):
            np.testing.assert_allclose(h.to_np(a.value), h.to_np(b.value), rtol=1e-6,
                                       atol=1e-7, err_msg=f"step {i}")
    assert int(h.to_np(same_opt.iterations.value)) == len(steps)
