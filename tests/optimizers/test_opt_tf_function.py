"""On tensorflow, ``apply`` runs inside the trainer's ``tf.function``: same results as eager."""
import numpy as np
import pytest

from cornu import optimizers

CASES = [
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adam", {"amsgrad": True, "weight_decay": 0.01, "clipnorm": 0.5}),
    ("AdamW", {"global_clipnorm": 0.5}),
    ("RMSprop", {"momentum": 0.5, "centered": True, "clipvalue": 0.2}),
    ("Adagrad", {}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Lion", {}),
    ("Adam", {"use_ema": True, "ema_overwrite_frequency": 2}),
    ("SGD", {"gradient_accumulation_steps": 2, "momentum": 0.5}),
    ("Adam", {"loss_scale_factor": 8.0}),
    ("SGD", {"learning_rate": "schedule"}),
    ("Ftrl", {"l1_regularization_strength": 0.01, "l2_shrinkage_regularization_strength": 0.1,
              "beta": 0.5}),
    ("Lamb", {"weight_decay": 0.01}),
    ("Adafactor", {"learning_rate": 0.1}),
    ("Muon", {"exclude_layers": ["bias"]}),
    ("ScheduleFreeAdamW", {"warmup_steps": 2}),
    ("LossScaleOptimizer", {"inner": "Adam", "dynamic_growth_steps": 2}),
]


def _make(name, kwargs):
    kwargs = dict(kwargs)
    if kwargs.get("learning_rate") == "schedule":
        kwargs["learning_rate"] = optimizers.schedules.CosineDecay(0.1, 4, warmup_target=0.2,
                                                                   warmup_steps=1)
    if name == "LossScaleOptimizer":
        inner = getattr(optimizers, kwargs.pop("inner"))()
        return optimizers.LossScaleOptimizer(inner, **kwargs)
    return getattr(optimizers, name)(**kwargs)


@pytest.fixture
def tf(backend_name):
    if backend_name != "tensorflow":
        pytest.skip("tf.function is tensorflow-only")
    import tensorflow

    return tensorflow


@pytest.mark.parametrize("build_first", [True, False], ids=["built", "build-in-function"])
@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{'-'.join(k)}" for n, k in CASES])
def test_apply_in_tf_function_matches_eager(tf, h, init_arrays, grad_steps, case, build_first):
    name, kwargs = case
    eager = _make(name, kwargs)
    graph = _make(name, kwargs)
    eager_vars = h.variables(init_arrays)
    graph_vars = h.variables(init_arrays)
    if build_first:
        graph.build(graph_vars)

    traces = []

    @tf.function
    def step(g0, g1):
        traces.append(1)
        graph.apply([g0, g1], graph_vars)

    for grads in grad_steps[:3]:
        eager.apply([h.native(g) for g in grads], eager_vars)
        step(*[h.native(g) for g in grads])
    # Called three times, traced once (tf.function traces a second time after a first
    # call that created variables).
    assert len(traces) == 1 if build_first else len(traces) <= 2
    for a, b in zip(eager.variables, graph.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7, err_msg=a.path)
    for a, b in zip(eager_vars, graph_vars):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    assert int(h.to_np(getattr(graph, "inner_optimizer", graph)._iterations)) == 3


def test_sparse_gradient_from_gather(tf, h):
    """An embedding-style gradient (tf.IndexedSlices) is densified and applied."""
    table = h.variables([np.ones((4, 2), "float32")])
    opt = optimizers.SGD(learning_rate=1.0)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.gather(table[0].value, [1, 1, 3]))
        grads = tape.gradient(loss, [table[0].value])
        assert isinstance(grads[0], tf.IndexedSlices)
        opt.apply(grads, table)

    step()
    np.testing.assert_allclose(table[0].numpy(), [[1, 1], [-1, -1], [1, 1], [0, 0]])


def test_loss_scale_optimizer_skips_non_finite_steps_in_tf_function(tf, h, init_arrays):
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(momentum=0.5), initial_scale=4.0,
                                        dynamic_growth_steps=2)
    variables = h.variables(init_arrays)
    opt.build(variables)

    @tf.function
    def step(g0, g1):
        opt.apply([g0, g1], variables)

    ones = [h.native(np.ones((3, 4), "float32")), h.native(np.ones(4, "float32"))]
    step(h.native(np.full((3, 4), np.inf, "float32")), ones[1])
    for v, w in zip(variables, init_arrays):
        np.testing.assert_array_equal(v.numpy(), w)
    assert float(opt.dynamic_scale.numpy()) == 2.0
    step(*ones)
    step(*ones)
    assert float(opt.dynamic_scale.numpy()) == 4.0  # two finite steps: doubled
    assert int(h.to_np(opt.iterations)) == 2
    # Both updates used the gradient / 2 (the scale doubles after the second update):
    # momentum steps of -0.01 * 0.5 and then -0.01 * (0.5 + 0.5 * 0.5).
    np.testing.assert_allclose(variables[1].numpy(), init_arrays[1] - 0.01 * (0.5 + 0.75),
                               rtol=1e-6)
