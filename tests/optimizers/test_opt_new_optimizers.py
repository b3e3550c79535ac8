"""Ftrl, Lamb, Adafactor, Muon, ScheduleFreeAdamW: against Keras 3 and the published updates.

Four variables cover every code path: a wide matrix, a vector, a tall matrix
(Muon transposes it) and a rank-3 tensor (Adafactor factors its last two
axes, Muon gives it the AdamW step).  Twelve steps each.
"""
import numpy as np
import pytest

from cornu import optimizers

SHAPES = [(3, 4), (4,), (5, 3), (2, 3, 4)]
STEPS = 12


@pytest.fixture
def arrays(rng):
    init = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(STEPS)]
    return init, grads


def _run(h, opt, init, grads):
    variables = h.variables(init)
    for step_grads in grads:
        opt.apply_gradients(zip([h.native(g) for g in step_grads], variables))
    return [v.numpy().astype("float64") for v in variables]


CASES = [
    ("Ftrl", {}),
    ("Ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.3, "initial_accumulator_value": 0.2,
              "l1_regularization_strength": 0.05, "l2_regularization_strength": 0.1,
              "l2_shrinkage_regularization_strength": 0.02, "beta": 0.5}),
    ("Ftrl", {"learning_rate": 0.5, "learning_rate_power": 0.0, "l1_regularization_strength": 0.3,
              "initial_accumulator_value": 0.0, "clipnorm": 1.0}),
    ("Lamb", {}),
    ("Lamb", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-5,
              "weight_decay": 0.05}),
    ("Lamb", {"learning_rate": 0.01, "use_ema": True, "ema_momentum": 0.9,
              "gradient_accumulation_steps": 2}),
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.1, "beta_2_decay": -0.5, "epsilon_2": 1e-2,
                   "clip_threshold": 0.5, "relative_step": False}),
    ("Adafactor", {"learning_rate": 0.05, "global_clipnorm": 1.0, "weight_decay": 0.01}),
    ("Muon", {}),
    ("Muon", {"learning_rate": 0.01, "momentum": 0.9, "nesterov": False, "ns_steps": 3,
              "rms_rate": None, "exclude_layers": ["gamma"], "adam_lr_ratio": 0.5,
              "weight_decay": 0.1, "adam_weight_decay": 0.02, "adam_beta_1": 0.8}),
    ("Muon", {"learning_rate": 0.02, "weight_decay": None, "adam_weight_decay": None,
              "clipvalue": 0.5}),
]


def _ids(case):
    name, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_keras(h, keras, arrays, case):
    name, kwargs = case
    init, grads = arrays
    ours = getattr(optimizers, name)(name="opt", **kwargs)
    theirs = getattr(keras.optimizers, name)(name="opt", **kwargs)
    variables = h.variables(init)
    kvars = h.keras_variables(keras, init)
    for step, step_grads in enumerate(grads):
        ours.apply_gradients(zip([h.native(g) for g in step_grads], variables))
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step_grads], kvars))
        for v, kv in zip(variables, kvars):
            np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv), rtol=2e-5,
                                       atol=2e-6, err_msg=f"{v.path} at step {step}")
    # Same optimizer variables: number, order, shapes, dtypes and values.
    assert len(ours.variables) == len(theirs.variables)
    for v, kv in zip(ours.variables, theirs.variables):
        assert v.shape == tuple(kv.shape), v.path
        if v.path != "opt/iteration":
            assert v.dtype == kv.dtype, v.path
        np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv), rtol=2e-5,
                                   atol=2e-6, err_msg=v.path)
    assert ours.get_config() == theirs.get_config()
    assert list(ours.get_config()) == list(theirs.get_config())
    again = type(ours).from_config(ours.get_config())
    assert again.get_config() == ours.get_config()


@pytest.mark.parametrize("name", ["Ftrl", "Lamb", "Adafactor", "Muon", "ScheduleFreeAdamW"])
def test_defaults_and_slot_names_match_keras(h, keras, name):
    init = [np.zeros(s, "float32") for s in SHAPES]
    ours = getattr(optimizers, name)(name="opt")
    theirs = getattr(keras.optimizers, name)(name="opt")
    assert ours.get_config() == theirs.get_config()
    ours.build(h.variables(init))
    theirs.build(h.keras_variables(keras, init))
    # Keras names a slot "<optimizer>/<variable name>_<slot>", cornu
    # "<optimizer>/<variable path with _>_<slot>" (the layer here is "dense"); Keras
    # leaves Adafactor's placeholders for vectors outside the optimizer's scope.
    expected = []
    for path in (v.path for v in theirs.variables):
        if path in ("opt/iteration", "opt/learning_rate"):
            expected.append(path)
        elif not path.startswith("opt/"):
            expected.append("opt/" + path)
        elif "_" in path:
            expected.append("opt/dense_" + path[len("opt/"):])
        else:  # Adafactor's factored statistics are named after the variable
            expected.append(path)
    assert [v.path for v in ours.variables] == expected


# -- the published update equations, in numpy (float64) -------------------------------
def np_ftrl(w, grads, lr, power, init_acc, l1, l2, l2_shrinkage, beta):
    n = np.full_like(w, init_acc)
    z = np.zeros_like(w)
    for g in grads:
        g_shrunk = g + 2 * l2_shrinkage * w
        n_new = n + g * g
        sigma = (n_new ** power - n ** power) / lr
        z = z + g_shrunk - sigma * w
        # McMahan et al. (2013), Algorithm 1: w = 0 where |z| <= l1, else
        # -(z - sign(z) l1) / ((beta + sqrt(n)) / lr + l2), with sqrt(n) -> n ** power here
        # and the L2 terms doubled (the penalty is l2 * w^2, as in TensorFlow).
        denom = (beta + n_new ** power) / lr + 2 * l2
        w = np.where(np.abs(z) <= l1, 0.0, -(z - np.sign(z) * l1) / denom)
        n = n_new
    return w


@pytest.mark.parametrize("kwargs", [
    {},
    {"learning_rate": 0.1, "learning_rate_power": -0.3, "initial_accumulator_value": 0.2,
     "l1_regularization_strength": 0.05, "l2_regularization_strength": 0.1,
     "l2_shrinkage_regularization_strength": 0.02, "beta": 0.5},
    {"learning_rate": 0.5, "learning_rate_power": -1.0, "l1_regularization_strength": 1.0},
])
def test_ftrl_against_the_paper(h, arrays, kwargs):
    init, grads = arrays
    full = dict(learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                l2_shrinkage_regularization_strength=0.0, beta=0.0) | kwargs
    got = _run(h, optimizers.Ftrl(**kwargs), init, grads)
    for k, w in enumerate(init):
        want = np_ftrl(w.astype("float64"), [g[k].astype("float64") for g in grads],
                       full["learning_rate"], -full["learning_rate_power"],
                       full["initial_accumulator_value"], full["l1_regularization_strength"],
                       full["l2_regularization_strength"],
                       full["l2_shrinkage_regularization_strength"], full["beta"])
        np.testing.assert_allclose(got[k], want, rtol=1e-4, atol=1e-5)
    if full["l1_regularization_strength"] >= 1.0:
        assert any((g == 0).any() for g in got)  # L1 makes weights exactly zero


def np_lamb(w, grads, lr, b1, b2, eps):
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        r = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        w_norm, r_norm = np.linalg.norm(w), np.linalg.norm(r)
        trust = w_norm / r_norm if w_norm > 0 and r_norm > 0 else 1.0
        w = w - lr * trust * r
    return w


@pytest.mark.parametrize("lr,b1,b2,eps", [(0.001, 0.9, 0.999, 1e-7), (0.05, 0.8, 0.95, 1e-4)])
def test_lamb_against_the_paper(h, arrays, lr, b1, b2, eps):
    init, grads = arrays
    init = init[:2] + [np.zeros((5, 3), "float32")]  # a zero weight: trust ratio 1
    grads = [g[:3] for g in grads]
    opt = optimizers.Lamb(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    got = _run(h, opt, init, grads)
    for k, w in enumerate(init):
        want = np_lamb(w.astype("float64"), [g[k].astype("float64") for g in grads],
                       lr, b1, b2, eps)
        np.testing.assert_allclose(got[k], want, rtol=1e-4, atol=1e-6)


def np_adafactor(w, grads, lr, decay, eps1, eps2, clip):
    factored = w.ndim >= 2
    r = np.zeros(w.shape[:-1])
    c = np.zeros(w.shape[:-2] + w.shape[-1:]) if factored else None
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        rho = min(lr, 1 / np.sqrt(t))
        alpha = max(eps2, np.sqrt(np.mean(w * w))) * rho
        g2 = g * g + eps1
        beta = 1 - t ** decay
        if factored:
            r = beta * r + (1 - beta) * g2.mean(-1)
            c = beta * c + (1 - beta) * g2.mean(-2)
            v = (r / r.mean(-1, keepdims=True))[..., :, None] * c[..., None, :]
        else:
            v = beta * v + (1 - beta) * g2
        u = g / np.sqrt(v)
        w = w - alpha * u / max(1.0, np.sqrt(np.mean(u * u)) / clip)
    return w


def test_adafactor_against_the_paper(h, arrays):
    init, grads = arrays
    got = _run(h, optimizers.Adafactor(learning_rate=0.1, clip_threshold=0.8), init, grads)
    for k, w in enumerate(init):
        want = np_adafactor(w.astype("float64"), [g[k].astype("float64") for g in grads],
                            0.1, -0.8, 1e-30, 1e-3, 0.8)
        np.testing.assert_allclose(got[k], want, rtol=1e-4, atol=1e-5)


def np_newton_schulz(x, steps, a=3.4445, b=-4.7750, c=2.0315):
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def test_muon_against_the_reference(h, arrays):
    """The Muon step (Jordan et al.) on the two matrices; the AdamW step elsewhere."""
    init, grads = arrays
    lr, mom, wd = 0.02, 0.9, 0.1
    got = _run(h, optimizers.Muon(learning_rate=lr, momentum=mom, weight_decay=wd,
                                  adam_weight_decay=None), init, grads)
    for k in (0, 2):
        w = init[k].astype("float64")
        m = np.zeros_like(w)
        for step_grads in grads:
            g = step_grads[k].astype("float64")
            w = w - w * wd * lr
            m = mom * m + g
            update = np_newton_schulz(g + mom * m, 5)
            w = w - lr * update * np.sqrt(max(w.shape)) * 0.2
        np.testing.assert_allclose(got[k], w, rtol=1e-4, atol=1e-5)
    # Newton-Schulz orthogonalizes: the singular values end up near 1 (0.7 to 1.2).
    update = np_newton_schulz(np.random.default_rng(0).normal(size=(6, 9)), 5)
    assert np.all((np.linalg.svd(update, compute_uv=False) > 0.6)
                  & (np.linalg.svd(update, compute_uv=False) < 1.3))


def np_schedule_free(w, grads, lr, b1, b2, eps, warmup):
    """Defazio et al. (2024), Algorithm 1 with Adam's denominator: y, z, x explicitly."""
    y = w.copy()
    z = w.copy()
    x = w.copy()
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        lr_t = lr * min(t / warmup, 1.0) if warmup else lr
        v = b2 * v + (1 - b2) * g * g
        z = z - lr_t * g / (np.sqrt(v / (1 - b2 ** t)) + eps)
        c = 1.0 / t
        x = (1 - c) * x + c * z
        y = (1 - b1) * z + b1 * x
    return y, z


@pytest.mark.parametrize("kwargs", [{}, {"learning_rate": 0.05, "beta_1": 0.8, "warmup_steps": 4}])
def test_schedule_free_adamw_against_the_paper(h, arrays, kwargs):
    init, grads = arrays
    full = dict(learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                warmup_steps=0) | kwargs
    opt = optimizers.ScheduleFreeAdamW(**kwargs)
    got = _run(h, opt, init, grads)
    for k, w in enumerate(init):
        y, z = np_schedule_free(w.astype("float64"), [g[k].astype("float64") for g in grads],
                                full["learning_rate"], full["beta_1"], full["beta_2"],
                                full["epsilon"], full["warmup_steps"])
        np.testing.assert_allclose(got[k], y, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(opt._momentums[k].numpy(), z, rtol=1e-4, atol=1e-6)


def test_schedule_free_adamw_and_keras(h, keras, arrays):
    """Same first step, variables and config as Keras 3; then the documented deviation.

    Keras 3.15 recovers ``x`` from the *updated* ``z`` (its comment says the old
    one); cornu follows the paper.  This pins that difference down: Keras agrees
    with the paper's update where ``x = (y - (1 - beta_1) * z_new) / beta_1``.
    """
    init, grads = arrays
    kwargs = {"learning_rate": 0.05, "weight_decay": 0.01}
    ours = optimizers.ScheduleFreeAdamW(name="opt", **kwargs)
    theirs = keras.optimizers.ScheduleFreeAdamW(name="opt", **kwargs)
    assert ours.get_config() == theirs.get_config()
    variables = h.variables(init)
    kvars = h.keras_variables(keras, init)
    ours.apply_gradients(zip([h.native(g) for g in grads[0]], variables))
    theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads[0]], kvars))
    for v, kv in zip(ours.variables, theirs.variables):
        assert v.shape == tuple(kv.shape)
        np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv), rtol=2e-5,
                                   atol=2e-6)
    for step_grads in grads[1:]:
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step_grads], kvars))
    b1, b2, lr, wd = 0.9, 0.999, 0.05, 0.01
    for k, w in enumerate(init):
        y = w.astype("float64")
        z = y.copy()
        v = np.zeros_like(y)
        for t, step_grads in enumerate(grads, start=1):
            g = step_grads[k].astype("float64")
            y = y - y * wd * lr
            v = b2 * v + (1 - b2) * g * g
            z = z - lr * g / (np.sqrt(v / (1 - b2 ** t)) + 1e-8)
            x = (y - (1 - b1) * z) / b1  # Keras: the new z here
            x = (1 - 1 / t) * x + z / t
            y = (1 - b1) * z + b1 * x
        np.testing.assert_allclose(keras.ops.convert_to_numpy(kvars[k]), y, rtol=1e-4,
                                   atol=1e-5)


def test_schedule_free_momentum_starts_at_the_weights(h, arrays):
    init, _ = arrays
    opt = optimizers.ScheduleFreeAdamW()
    opt.build(h.variables(init))
    for z, w in zip(opt._momentums, init):
        np.testing.assert_array_equal(z.numpy(), w)


def test_muon_variable_routing(h):
    opt = optimizers.Muon(exclude_layers=["head"])
    variables = [
        *h.variables([np.zeros((4, 3), "float32")], prefix="dense"),
        *h.variables([np.zeros((4, 3), "float32")], prefix="token_embedding"),
        *h.variables([np.zeros((4, 3), "float32")], prefix="head"),
        *h.variables([np.zeros((3,), "float32")], prefix="norm"),
    ]
    assert [opt._should_use_adamw(v) for v in variables] == [False, True, True, True]
    opt.build(variables)
    assert [v is None for v in opt.adam_velocities] == [True, False, False, False]


def test_argument_validation():
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        optimizers.Ftrl(initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="l2_shrinkage_regularization_strength"):
        optimizers.Ftrl(l2_shrinkage_regularization_strength=-0.1)
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Lamb(learning_rate=0.1, bogus=1)
