"""MultiOptimizer / OptimizerMap: routing, updates equal to each sub-optimizer alone, config."""
import numpy as np
import pytest

import cornu
from cornu import optimizers
from cornu.optimizers import MultiOptimizer, OptimizerMap


def _var(value, path):
    return cornu.Variable(np.array(value, dtype="float32"), name=path.rsplit("/", 1)[-1],
                          path=path)


# -- OptimizerMap ----------------------------------------------------------------------------
def test_optimizer_map_exact_regex_default_and_conflict():
    adam, sgd, rms, lion = (optimizers.Adam(), optimizers.SGD(), optimizers.RMSprop(),
                            optimizers.Lion())
    opt_map = OptimizerMap(default_optimizer=rms)
    opt_map["encoder/layer_0/dense"] = adam
    opt_map["encoder/.*"] = sgd
    opt_map["decoder"] = lion
    assert opt_map["encoder/layer_0/dense"] is adam  # the exact key wins over the regex
    assert opt_map["encoder/layer_0/attention/query"] is sgd
    assert opt_map["decoder"] is lion
    assert opt_map["decoder/layer_0/dense"] is rms  # "decoder" is not a prefix match
    assert opt_map(_var([1.0], "encoder/x/kernel")) is sgd  # calling looks up .path
    assert opt_map.default_optimizer is rms
    assert len(opt_map) == 3 and list(opt_map) == ["encoder/layer_0/dense", "encoder/.*",
                                                   "decoder"]
    del opt_map["decoder"]
    assert opt_map["decoder"] is rms and list(opt_map) == ["encoder/layer_0/dense", "encoder/.*"]

    conflict = OptimizerMap(rms, {".*kernel.*": adam, ".*dense.*": sgd})
    with pytest.raises(ValueError, match="Multiple optimizers assigned to variable dense/kernel"):
        conflict(_var([1.0], "dense/kernel"))
    assert conflict(_var([1.0], "conv/kernel")) is adam


def test_optimizer_map_rejects_bad_entries():
    sgd = optimizers.SGD()
    opt_map = OptimizerMap(sgd, {"a": optimizers.Adam()})
    with pytest.raises(ValueError, match="already exists"):
        opt_map["a"] = optimizers.Adam()
    with pytest.raises(ValueError, match="key must be a string"):
        opt_map[3] = optimizers.Adam()
    with pytest.raises(ValueError, match="optimizer cannot be LossScaleOptimizer"):
        opt_map["b"] = optimizers.LossScaleOptimizer(optimizers.SGD())
    with pytest.raises(ValueError, match="optimizer cannot be MultiOptimizer"):
        opt_map["b"] = MultiOptimizer(OptimizerMap(optimizers.SGD()))
    with pytest.raises(ValueError, match="must be a cornu.optimizers.Optimizer"):
        opt_map["b"] = "adam"
    with pytest.raises(TypeError, match="default_optimizer"):
        OptimizerMap("sgd")
    with pytest.raises(TypeError, match="optimizer_map must be a dictionary"):
        OptimizerMap(sgd, [("a", sgd)])
    with pytest.raises(TypeError, match="optimizer_map must be an OptimizerMap or a callable"):
        MultiOptimizer(sgd)


# -- MultiOptimizer updates ---------------------------------------------------------------------
def test_optimizers_list_and_routing_order():
    adam, sgd, default = optimizers.Adam(), optimizers.SGD(), optimizers.RMSprop()
    multi = MultiOptimizer(OptimizerMap(default, {"^dense_1/.*": adam, "^dense_2/.*": sgd}))
    assert multi.optimizers == [adam, sgd, default]
    w1, w2, w3 = _var([[1.0]], "dense_1/kernel"), _var([[1.0]], "dense_2/kernel"), _var(
        [[1.0]], "other/kernel")
    multi.build([w1, w2, w3])
    assert [multi.optimizers[multi._var_to_optimizer_idx[multi._var_key(w)]]
            for w in (w1, w2, w3)] == [adam, sgd, default]
    # Variables: the MultiOptimizer's own, then each sub-optimizer's in `optimizers` order.
    assert multi.variables == multi._variables + adam.variables + sgd.variables + \
        default.variables
    assert len(adam.variables) == 2 + 2  # iteration, learning_rate, m, v
    with pytest.raises(AttributeError, match="cannot be accessed on a MultiOptimizer"):
        multi.learning_rate  # noqa: B018
    with pytest.raises(AttributeError, match="cannot be set on a MultiOptimizer"):
        multi.learning_rate = 0.1


def test_hand_computed_sgd_routing(h):
    w1, w2, w3 = (_var([[2.0, 2.0]], "dense_1/kernel"), _var([[3.0, 3.0]], "dense_2/kernel"),
                  _var([[4.0, 4.0]], "other/kernel"))
    multi = MultiOptimizer(OptimizerMap(optimizers.SGD(0.0), {
        "^dense_1/.*": optimizers.SGD(0.1), "^dense_2/.*": optimizers.SGD(1.0)}))
    multi.apply([h.native([[1.0, 1.0]])] * 3, [w1, w2, w3])
    np.testing.assert_allclose(w1.numpy(), [[1.9, 1.9]], rtol=1e-6)
    np.testing.assert_allclose(w2.numpy(), [[2.0, 2.0]], rtol=1e-6)
    np.testing.assert_allclose(w3.numpy(), [[4.0, 4.0]], rtol=1e-6)
    assert int(h.to_np(multi.iterations)) == 1
    assert [int(h.to_np(o.iterations)) for o in multi.optimizers] == [1, 1, 1]


def _subs():
    return [optimizers.Adam(0.05, amsgrad=True), optimizers.SGD(0.1, momentum=0.9, nesterov=True),
            optimizers.RMSprop(0.01, clipnorm=0.5, weight_decay=0.1)]


def test_updates_equal_each_sub_optimizer_alone(h, rng):
    """Three steps (the same list each time, as in fit): each group gets exactly the
    update its optimizer makes when run alone on those variables."""
    paths = ["enc/kernel", "enc/bias", "dec/kernel", "dec/bias", "head/kernel"]
    shapes = [(3, 4), (4,), (4, 2), (2,), (2, 1)]
    init = [rng.normal(size=s).astype("float32") for s in shapes]
    steps = [[rng.normal(size=s).astype("float32") for s in shapes] for _ in range(3)]
    adam, sgd, rms = _subs()
    multi = MultiOptimizer(OptimizerMap(rms, {"enc/.*": adam, "dec/.*": sgd}))
    variables = [_var(a, p) for a, p in zip(init, paths)]
    for grads in steps:
        multi.apply([h.native(g) for g in grads], variables)

    groups = {"enc": [0, 1], "dec": [2, 3], "head": [4]}
    for idx, ref_opt in zip(groups.values(), _subs()):
        ref_vars = [_var(init[i], paths[i]) for i in idx]
        for grads in steps:
            ref_opt.apply([h.native(grads[i]) for i in idx], ref_vars)
        for i, rv in zip(idx, ref_vars):
            np.testing.assert_allclose(variables[i].numpy(), rv.numpy(), rtol=1e-6, atol=1e-7,
                                       err_msg=paths[i])
    assert int(h.to_np(multi.iterations)) == 3
    assert [int(h.to_np(o.iterations)) for o in multi.optimizers] == [3, 3, 3]


def test_matches_keras_multi_optimizer(h, keras, rng):
    paths = ["d1/kernel", "d2/kernel", "other/kernel"]
    init = [rng.normal(size=(3, 2)).astype("float32") for _ in paths]
    steps = [[rng.normal(size=(3, 2)).astype("float32") for _ in paths] for _ in range(3)]

    def make(mod):
        return mod.MultiOptimizer(mod.OptimizerMap(mod.SGD(0.1, momentum=0.5), {
            "^d1/.*": mod.Adam(0.02), "^d2/.*": mod.Adagrad(0.1)}), loss_scale_factor=4.0)

    ours, theirs = make(optimizers), make(keras.optimizers)
    variables = [_var(a, p) for a, p in zip(init, paths)]
    kvars = []
    for a, p in zip(init, paths):
        with keras.name_scope(p.split("/")[0]):
            kvars.append(keras.Variable(a, name="kernel"))
    assert [v.path for v in kvars] == paths
    for grads in steps:
        ours.apply([h.native(g) for g in grads], variables)
        theirs.apply([keras.ops.convert_to_tensor(g) for g in grads], kvars)
    for v, kv in zip(variables, kvars):
        np.testing.assert_allclose(v.numpy(), keras.ops.convert_to_numpy(kv), rtol=1e-5,
                                   atol=1e-6)
    assert len(ours.variables) == len(theirs.variables)
    for a, b in zip(ours.variables, theirs.variables):
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), rtol=1e-5,
                                   atol=1e-6)


def test_callable_form_discovers_sub_optimizers(h):
    adam, sgd = optimizers.Adam(1e-3), optimizers.SGD(1e-2)
    multi = MultiOptimizer(lambda v: adam if "dense_1" in v.path else sgd)
    assert multi.optimizers == []
    w1, w2 = _var([[1.0]], "dense_1/kernel"), _var([[1.0]], "dense_2/kernel")
    multi.apply([h.native([[1.0]]), h.native([[1.0]])], [w1, w2])
    assert multi.optimizers == [adam, sgd]
    # Adam's first step moves by lr (m_hat / sqrt(v_hat) = 1); SGD by lr * grad.
    np.testing.assert_allclose(w1.numpy(), [[1.0 - 1e-3]], rtol=1e-5)
    np.testing.assert_allclose(w2.numpy(), [[0.99]], rtol=1e-6)

    bad = MultiOptimizer(lambda v: "sgd")
    with pytest.raises(ValueError, match="is not an Optimizer instance"):
        bad.build([w1])


def test_nested_wrappers_rejected_at_build():
    inner = optimizers.SGD()
    opt_map = OptimizerMap(inner)
    opt_map._optimizer_map = {"d1/.*": optimizers.LossScaleOptimizer(optimizers.SGD()),
                              "d2/.*": MultiOptimizer(OptimizerMap(optimizers.SGD()))}
    with pytest.raises(ValueError, match="LossScaleOptimizer cannot be used inside"):
        MultiOptimizer(opt_map).build([_var([1.0], "d1/kernel")])
    with pytest.raises(ValueError, match="MultiOptimizer cannot be used inside"):
        MultiOptimizer(opt_map).build([_var([1.0], "d2/kernel")])


def test_unknown_variable_and_length_mismatch(h):
    multi = MultiOptimizer(OptimizerMap(optimizers.SGD()))
    w = _var([1.0], "a/kernel")
    multi.build([w])
    with pytest.raises(ValueError, match="Unknown variable"):
        multi.apply([h.native([1.0])], [_var([1.0], "b/kernel")])
    with pytest.raises(ValueError, match="received 2 gradients for 1 variables"):
        multi.apply([h.native([1.0])] * 2, [w])


# -- loss scaling -------------------------------------------------------------------------------
def test_loss_scale_factor_overrides_sub_optimizers(h):
    adam = optimizers.Adam(loss_scale_factor=3.0)
    sgd = optimizers.SGD(0.1, loss_scale_factor=2.0)
    multi = MultiOptimizer(OptimizerMap(sgd, {"^dense_1/.*": adam}), loss_scale_factor=5.0)
    assert adam.loss_scale_factor == sgd.loss_scale_factor == 5.0
    assert float(h.to_np(multi.scale_loss(h.native(2.0)))) == 10.0
    w = _var([[2.0, 2.0]], "other/kernel")
    multi.apply([h.native([[10.0, 10.0]])], [w])  # unscaled gradient 10 / 5 = 2
    np.testing.assert_allclose(w.numpy(), [[1.8, 1.8]], rtol=1e-6)
    multi.loss_scale_factor = None
    assert adam.loss_scale_factor is None and sgd.loss_scale_factor is None


def test_wrapped_in_loss_scale_optimizer(h):
    opt_1, opt_2 = optimizers.SGD(0.1), optimizers.SGD(0.1)
    multi = MultiOptimizer(OptimizerMap(opt_2, {".*dense_1/.*": opt_1}), loss_scale_factor=5.0)
    lso = optimizers.LossScaleOptimizer(multi, initial_scale=10.0, dynamic_growth_steps=1000)
    assert multi.loss_scale_factor is None
    assert opt_1.loss_scale_factor is None and opt_2.loss_scale_factor is None
    w1, w2 = _var([[2.0, 2.0]], "dense_1/kernel"), _var([[2.0, 2.0]], "dense_2/kernel")
    lso.build([w1, w2])
    np.testing.assert_allclose(h.to_np(lso.scale_loss(h.native(2.0))), 20.0)
    lso.apply([h.native([[10.0, 10.0]])] * 2, [w1, w2])
    np.testing.assert_allclose(w1.numpy(), [[1.9, 1.9]], rtol=1e-6)
    np.testing.assert_allclose(w2.numpy(), [[1.9, 1.9]], rtol=1e-6)


# -- weights and config ---------------------------------------------------------------------------
def _built_multi(h):
    multi = MultiOptimizer(OptimizerMap(optimizers.RMSprop(1e-4), {
        "^dense_1/.*": optimizers.Adam(1e-3), "^dense_2/.*": optimizers.SGD(1e-2, momentum=0.9)}),
        loss_scale_factor=2.0, name="multi")
    variables = [_var([[1.0, 2.0]], "dense_1/kernel"), _var([[1.0]], "dense_2/kernel"),
                 _var([[3.0]], "other/kernel")]
    multi.apply([h.native([[0.5, -0.5]]), h.native([[1.0]]), h.native([[2.0]])], variables)
    return multi, variables


def test_set_weights_round_trip(h):
    multi, variables = _built_multi(h)
    weights = [v.numpy() for v in multi.variables]
    other = MultiOptimizer(OptimizerMap(optimizers.RMSprop(1e-4), {
        "^dense_1/.*": optimizers.Adam(1e-3), "^dense_2/.*": optimizers.SGD(1e-2, momentum=0.9)}))
    other.build(variables)
    other.set_weights(weights)
    for a, b in zip(other.variables, weights):
        np.testing.assert_array_equal(a.numpy(), b)
    with pytest.raises(ValueError, match="expected"):
        other.set_weights(weights[:-1])


def test_config_round_trip(h):
    multi, variables = _built_multi(h)
    config = optimizers.serialize(multi)
    assert config["class_name"] == "MultiOptimizer"
    assert config["config"]["optimizer_map"]["class_name"] == "OptimizerMap"
    assert config["config"]["loss_scale_factor"] == 2.0 and config["config"]["name"] == "multi"
    restored = optimizers.deserialize(config)
    assert isinstance(restored, MultiOptimizer) and restored.name == "multi"
    assert [type(o).__name__ for o in restored.optimizers] == ["Adam", "SGD", "RMSprop"]
    for a, b in zip(restored.optimizers, multi.optimizers):
        assert a.get_config() == b.get_config()
    fresh = [_var(v.numpy(), v.path) for v in variables]
    restored.build(fresh)
    assert [type(restored.optimizers[restored._var_to_optimizer_idx[id(v)]]).__name__
            for v in fresh] == ["Adam", "SGD", "RMSprop"]
    assert restored.get_config() == multi.get_config()


def test_callable_config_needs_registration():
    @cornu.saving.register_cornu_serializable(package="MultiOptTest")
    def pick(variable):
        return optimizers.SGD()

    multi = MultiOptimizer(pick, name="m")
    restored = optimizers.deserialize(optimizers.serialize(multi))
    assert restored._optimizer_map is pick


def test_reads_a_keras_written_config(keras):
    theirs = keras.optimizers.MultiOptimizer(keras.optimizers.OptimizerMap(
        keras.optimizers.SGD(0.5), {"a/.*": keras.optimizers.Adam(0.25)}), loss_scale_factor=3.0)
    restored = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert isinstance(restored, MultiOptimizer)
    adam, sgd = restored.optimizers
    assert isinstance(adam, optimizers.Adam) and isinstance(sgd, optimizers.SGD)
    assert adam.get_config()["learning_rate"] == pytest.approx(0.25)
    assert restored._optimizer_map["a/kernel"] is adam
    assert restored.loss_scale_factor == 3.0 and sgd.loss_scale_factor == 3.0
