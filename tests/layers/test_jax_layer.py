"""JaxLayer and FlaxLayer: JAX functions and Flax modules as cornu layers.

Checked against the JAX function itself (outputs, a hand-written SGD loop), against
Flax (outputs, batch statistics) and, on tensorflow, against Keras 3's own JaxLayer and
FlaxLayer (outputs, weights, training, the .weights.h5 layout, errors).  Keras refuses
torch; cornu runs them there through a torch.autograd.Function over jax.vjp.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import cornu
from cornu import layers, ops

jax = pytest.importorskip("jax")
jnp = jax.numpy
linen = pytest.importorskip("flax.linen")


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


# -- the JAX models ------------------------------------------------------------------
@cornu.saving.register_keras_serializable(package="jaxlayer_test")
def mlp_init(rng, inputs):
    k1, k2 = jax.random.split(rng)
    return {"dense1": {"w": jax.random.normal(k1, (inputs.shape[-1], 8)) * 0.5,
                       "b": jnp.zeros(8)},
            "dense2": {"w": jax.random.normal(k2, (8, 2)) * 0.5, "b": jnp.zeros(2)}}


@cornu.saving.register_keras_serializable(package="jaxlayer_test")
def mlp_call(params, inputs):
    h = jnp.tanh(inputs @ params["dense1"]["w"] + params["dense1"]["b"])
    return h @ params["dense2"]["w"] + params["dense2"]["b"]


def mlp_params(seed=0):
    return jax.tree_util.tree_map(np.asarray, mlp_init(jax.random.PRNGKey(seed),
                                                       jnp.ones((1, 3))))


@cornu.saving.register_keras_serializable(package="jaxlayer_test")
def stateful_init(rng, inputs):
    return ({"w": jax.random.normal(rng, (inputs.shape[-1], 4))},
            {"mean": jnp.zeros(4), "count": jnp.zeros((), jnp.int32)})


@cornu.saving.register_keras_serializable(package="jaxlayer_test")
def stateful_call(params, state, rng, inputs, training):
    out = inputs @ params["w"]
    if training:
        # a running mean of the outputs (state) and multiplicative noise (rng)
        state = {"mean": 0.9 * state["mean"] + 0.1 * out.mean(axis=0),
                 "count": state["count"] + 1}
        out = out * (1.0 + 0.1 * jax.random.normal(rng, out.shape))
    return out, state


class FlaxMLP(linen.Module):
    features: int = 5
    rate: float = 0.5

    @linen.compact
    def __call__(self, inputs, training):
        x = linen.Dense(self.features)(inputs)
        x = linen.BatchNorm(use_running_average=not training, momentum=0.9)(x)
        x = linen.Dropout(self.rate, deterministic=not training)(x)
        return linen.Dense(2)(x)

    def get_config(self):
        return {"features": self.features, "rate": self.rate}


cornu.saving.register_keras_serializable(package="jaxlayer_test")(FlaxMLP)


@pytest.fixture
def x(rng):
    return rng.standard_normal((6, 3)).astype("float32")


# -- import and construction ---------------------------------------------------------
def test_cornu_layers_works_without_jax_and_imports_it_lazily():
    # A child process where jax cannot be imported (as if not installed): cornu.layers
    # imports, the backend runs, and only making a JaxLayer needs jax.  (With jax
    # installed, TensorFlow's own tf.lite imports it, so "not in sys.modules" proves
    # nothing on that backend.)
    code = (
        "import sys\n"
        "sys.modules['jax'] = None; sys.modules['flax'] = None\n"
        "import numpy as np, cornu, cornu.layers\n"
        "from cornu import layers, ops\n"
        "assert tuple(layers.Dense(2)(np.ones((1, 3), 'float32')).shape) == (1, 2)\n"
        "try:\n"
        "    layers.JaxLayer(lambda params, inputs: inputs, params={})\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ), timeout=300)
    assert out.returncode == 0, out.stderr
    assert "JaxLayer needs jax, which is not installed: pip install jax" in out.stdout
    if os.environ["CORNU_BACKEND"] == "torch":
        code = "import sys, cornu.layers; print('jax' in sys.modules)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=dict(os.environ), timeout=300)
        assert out.stdout.split() == ["False"], out.stderr


def test_without_jax_the_error_names_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(ImportError, match=r"JaxLayer needs jax.*pip install jax"):
        layers.JaxLayer(mlp_call, mlp_init)
    monkeypatch.setitem(sys.modules, "flax.linen", None)
    with pytest.raises(ImportError, match=r"FlaxLayer needs flax.*pip install flax"):
        layers.FlaxLayer(FlaxMLP())


def test_a_backend_without_jax_interop_is_named(monkeypatch):
    import types

    import cornu.backend

    bare = types.ModuleType("cornu_test_bare_backend")  # a backend with no jax_interop
    monkeypatch.setattr(cornu.backend, "get_backend", lambda: bare)
    with pytest.raises(ValueError, match=r"JaxLayer .*optional `jax_interop` part.*backend"):
        layers.JaxLayer(mlp_call, mlp_init)


BAD_SIGNATURES = [
    (dict(call_fn=lambda params, x: x, init_fn=mlp_init),
     "Missing required argument in `call_fn`: `inputs`"),
    (dict(call_fn=lambda params, inputs, extra: inputs, init_fn=mlp_init),
     "Unsupported argument in `call_fn`: `extra`"),
    (dict(call_fn=mlp_call, init_fn=lambda rng: None),
     "Missing required argument in `init_fn`: `inputs`"),
    (dict(call_fn=mlp_call, init_fn=lambda rng, inputs, params: None),
     "Unsupported argument in `init_fn`: `params`"),
    (dict(call_fn=mlp_call),
     "`init_fn`, `params` and `state` cannot all be `None`"),
]


@pytest.mark.parametrize("kwargs,message", BAD_SIGNATURES)
def test_bad_signatures_give_keras_errors(kwargs, message):
    with pytest.raises(ValueError, match=r".*".join(map(_re, message.split("`")))):
        layers.JaxLayer(**kwargs)


def _re(text):
    import re

    return re.escape(text)


# -- outputs, weights, training ------------------------------------------------------
def test_mlp_outputs_match_the_jax_function(x):
    params = mlp_params()
    layer = layers.JaxLayer(mlp_call, params=params)
    np.testing.assert_allclose(to_numpy(layer(x)), np.asarray(mlp_call(params, x)),
                               rtol=1e-5, atol=1e-5)
    # jax.tree_util order (sorted dict keys): dense1/b, dense1/w, dense2/b, dense2/w
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(8,), (3, 8), (2,), (8, 2)]
    assert layer.non_trainable_weights == []
    assert isinstance(layer.params["dense1"]["w"], cornu.Variable)


def test_init_fn_builds_on_the_first_input_shape(x):
    layer = layers.JaxLayer(mlp_call, mlp_init)
    assert layer.params is None
    y = layer(x)
    assert tuple(y.shape) == (6, 2)
    assert [tuple(w.shape) for w in layer.weights] == [(8,), (3, 8), (2,), (8, 2)]
    params = jax.tree_util.tree_map(lambda v: v.numpy(), layer.params)
    np.testing.assert_allclose(to_numpy(y), np.asarray(mlp_call(params, x)), rtol=1e-5,
                               atol=1e-5)
    # symbolic use: the batch axis stays unknown
    model = cornu.Sequential([cornu.Input((3,)), layers.JaxLayer(mlp_call, mlp_init)])
    assert tuple(model.output_shape) == (None, 2)


def _sgd_reference(params, x, y, lr, steps):
    def loss(p):
        return jnp.mean((mlp_call(p, x) - y) ** 2)

    for _ in range(steps):
        grads = jax.grad(loss)(params)
        params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
    return params


def test_fit_trains_the_params_as_a_jax_sgd_loop(x, rng):
    pytest.importorskip("cornu.optimizers")  # (cornu-layers' session has none)
    y = rng.standard_normal((6, 2)).astype("float32")
    params = mlp_params(1)
    layer = layers.JaxLayer(mlp_call, params=params)
    model = cornu.Sequential([cornu.Input((3,)), layer])
    model.compile(optimizer=cornu.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, batch_size=6, epochs=4, shuffle=False, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    expected = _sgd_reference(jax.tree_util.tree_map(jnp.asarray, params), x, y, 0.1, 4)
    got = jax.tree_util.tree_map(lambda v: v.numpy(), layer.params)
    for g, e in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(expected)):
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-4, atol=1e-5)


def test_gradients_reach_the_params_outside_fit(x):
    params = mlp_params(2)
    layer = layers.JaxLayer(mlp_call, params=params)
    layer(x)
    variables = layer.trainable_weights
    from cornu.backend import get_backend

    def fn():
        out = layer(x, training=True)
        return ops.sum(out * out), None

    _, grads = get_backend().trainer.value_and_grad(fn, variables)
    expected = jax.grad(lambda p: jnp.sum(mlp_call(p, x) ** 2))(
        jax.tree_util.tree_map(jnp.asarray, params))
    for g, e in zip(grads, jax.tree_util.tree_leaves(expected)):
        np.testing.assert_allclose(to_numpy(g), np.asarray(e), rtol=1e-4, atol=1e-5)


def test_state_is_updated_in_training_and_rng_varies(x):
    layer = layers.JaxLayer(stateful_call, stateful_init, seed=3)
    inference = to_numpy(layer(x))
    assert layer.state["count"].numpy() == 0
    np.testing.assert_allclose(layer.state["mean"].numpy(), 0)
    assert len(layer.trainable_weights) == 1 and len(layer.non_trainable_weights) == 2
    w = layer.params["w"].numpy()
    np.testing.assert_allclose(inference, x @ w, rtol=1e-5, atol=1e-5)
    first = to_numpy(layer(x, training=True))
    second = to_numpy(layer(x, training=True))
    assert layer.state["count"].numpy() == 2
    np.testing.assert_allclose(layer.state["mean"].numpy(),
                               0.19 * (x @ w).mean(axis=0), rtol=1e-4, atol=1e-5)
    assert not np.allclose(first, second)  # a fresh key per training call
    assert not np.allclose(first, inference)
    # the same seed gives the same keys
    again = layers.JaxLayer(stateful_call, params={"w": w},
                            state={"mean": np.zeros(4, "float32"),
                                   "count": np.zeros((), "int32")}, seed=3)
    np.testing.assert_allclose(to_numpy(again(x, training=True)), first, rtol=1e-5)


def test_state_is_updated_by_fit(x, rng):
    pytest.importorskip("cornu.optimizers")  # (cornu-layers' session has none)
    y = rng.standard_normal((6, 4)).astype("float32")
    layer = layers.JaxLayer(stateful_call, stateful_init, seed=1)
    model = cornu.Sequential([cornu.Input((3,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    model(x)  # builds
    w0 = layer.params["w"].numpy()
    model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    assert layer.state["count"].numpy() == 4  # two batches a epoch, inference calls none
    assert not np.allclose(layer.state["mean"].numpy(), 0)
    assert not np.allclose(layer.params["w"].numpy(), w0)


def test_state_structure_mismatch_is_an_error(x):
    def call_fn(params, state, inputs):
        return inputs @ params["w"], {"other": state["mean"]}

    layer = layers.JaxLayer(call_fn, params={"w": np.ones((3, 4), "float32")},
                            state={"mean": np.zeros(4, "float32")})
    with pytest.raises(ValueError, match="structure of the state"):
        layer(x)


# -- FlaxLayer -----------------------------------------------------------------------
def test_flax_layer_matches_flax(x):
    module = FlaxMLP(rate=0.0)
    variables = module.init(jax.random.PRNGKey(0), jnp.asarray(x), training=False)
    layer = layers.FlaxLayer(module, variables=variables)
    np.testing.assert_allclose(
        to_numpy(layer(x)), np.asarray(module.apply(variables, x, training=False)),
        rtol=1e-5, atol=1e-5)
    assert len(layer.trainable_weights) == 6  # 2 Dense (kernel, bias), BatchNorm scale, bias
    assert len(layer.non_trainable_weights) == 2  # BatchNorm mean, var
    # training updates the batch statistics as flax does
    out, updated = module.apply(variables, x, training=True, mutable=["batch_stats"])
    np.testing.assert_allclose(to_numpy(layer(x, training=True)), np.asarray(out),
                               rtol=1e-4, atol=1e-5)
    for v, e in zip(layer.non_trainable_weights,
                    jax.tree_util.tree_leaves({"batch_stats": updated["batch_stats"]})):
        np.testing.assert_allclose(v.numpy(), np.asarray(e), rtol=1e-5, atol=1e-6)


def test_flax_layer_dropout_uses_the_rng_in_training_only(x):
    layer = layers.FlaxLayer(FlaxMLP(rate=0.5), seed=0)
    a, b = to_numpy(layer(x)), to_numpy(layer(x))
    np.testing.assert_allclose(a, b)
    t1, t2 = to_numpy(layer(x, training=True)), to_numpy(layer(x, training=True))
    assert not np.allclose(t1, t2)


def test_flax_layer_trains_in_fit(x, rng):
    pytest.importorskip("cornu.optimizers")  # (cornu-layers' session has none)
    y = rng.standard_normal((6, 2)).astype("float32")
    layer = layers.FlaxLayer(FlaxMLP(rate=0.0))
    model = cornu.Sequential([cornu.Input((3,)), layer])
    model.compile(optimizer=cornu.optimizers.Adam(0.05), loss="mse")
    before = [w.numpy() for w in layer.weights]
    history = model.fit(x, y, batch_size=6, epochs=8, shuffle=False, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    after = [w.numpy() for w in layer.weights]
    assert all(not np.allclose(b, a) for b, a in zip(before, after))


def test_flax_layer_method_not_bound_to_the_module(x):
    def forward(module, inputs):
        return module(inputs, training=False)

    module = FlaxMLP(rate=0.0)
    layer = layers.FlaxLayer(module, method=forward)
    out = to_numpy(layer(x))
    variables = {"params": jax.tree_util.tree_map(lambda v: v.numpy(), layer.params)["params"],
                 **jax.tree_util.tree_map(lambda v: v.numpy(), layer.state)}
    np.testing.assert_allclose(out, np.asarray(module.apply(variables, x, training=False)),
                               rtol=1e-5, atol=1e-5)


# -- config and saving ---------------------------------------------------------------
def test_get_config_from_config(x):
    layer = layers.JaxLayer(mlp_call, mlp_init, name="jl")
    config = layer.get_config()
    assert config["call_fn"]["config"] == "jaxlayer_test>mlp_call"
    assert config["native_serialization_platforms"] is None
    clone = layers.JaxLayer.from_config(config)
    assert clone.call_fn is mlp_call and clone.init_fn is mlp_init
    flax_layer = layers.FlaxLayer(FlaxMLP(features=4, rate=0.1))
    config = flax_layer.get_config()
    assert "call_fn" not in config and config["method"] is None
    assert config["module"]["config"] == {"features": 4, "rate": 0.1}
    clone = layers.FlaxLayer.from_config(config)
    assert isinstance(clone.module, FlaxMLP) and clone.module.features == 4


@pytest.mark.parametrize("kind", ["jax", "flax"])
def test_save_and_load_round_trip(tmp_path, x, kind):
    if kind == "jax":
        layer = layers.JaxLayer(stateful_call, stateful_init, seed=2)
    else:
        layer = layers.FlaxLayer(FlaxMLP(rate=0.0))
    model = cornu.Sequential([cornu.Input((3,)), layer])
    model(x, training=True)  # moves the state away from its initial value
    expected = to_numpy(model(x))
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = cornu.saving.load_model(path)
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, rtol=1e-5, atol=1e-6)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy())
    weights = str(tmp_path / "model.weights.h5")
    model.save_weights(weights)
    fresh = cornu.Sequential([cornu.Input((3,)), type(layer).from_config(layer.get_config())])
    fresh.load_weights(weights)
    np.testing.assert_allclose(to_numpy(fresh(x)), expected, rtol=1e-5, atol=1e-6)


# -- Keras 3 as the reference ----------------------------------------------------------
@pytest.fixture(scope="module")
def keras():
    ops.convert_to_tensor(np.zeros(1, "float32"))
    return pytest.importorskip("keras")


def test_keras_refuses_torch_and_cornu_runs_there(keras, backend_name, x):
    if backend_name != "torch":
        return  # Keras runs JaxLayer on tensorflow: compared below
    with pytest.raises(ValueError, match="only supported with the JAX or Tensorflow"):
        keras.layers.JaxLayer(mlp_call, params=mlp_params())
    assert tuple(layers.JaxLayer(mlp_call, params=mlp_params())(x).shape) == (6, 2)


@pytest.fixture
def keras_tf(keras, backend_name):
    if backend_name != "tensorflow":
        pytest.skip("Keras 3 runs JaxLayer on jax and tensorflow only (torch: the test "
                    "above checks that it refuses)")
    return keras


@pytest.mark.parametrize("kwargs,message", BAD_SIGNATURES)
def test_bad_signature_messages_are_keras_messages(keras_tf, kwargs, message):
    with pytest.raises(ValueError) as expected:
        keras_tf.layers.JaxLayer(**kwargs)
    with pytest.raises(ValueError) as got:
        layers.JaxLayer(**kwargs)
    # the same message; Keras lists the supported names from a set (any order)
    ours, theirs = str(got.value), str(expected.value)
    assert ours.split(", supported")[0].endswith(theirs.split(", supported")[0])
    if ", supported" in theirs:
        names = [part.split(", supported arguments are ")[1].strip("`").split("`, `")
                 for part in (ours, theirs)]
        assert sorted(names[0]) == sorted(names[1])


def test_jax_layer_matches_keras(keras_tf, x, rng):
    y = rng.standard_normal((6, 2)).astype("float32")
    params = mlp_params(4)
    ours = layers.JaxLayer(mlp_call, params=params)
    theirs = keras_tf.layers.JaxLayer(mlp_call, params=params)
    ours_model = cornu.Sequential([cornu.Input((3,)), ours])
    theirs_model = keras_tf.Sequential([keras_tf.Input((3,)), theirs])
    np.testing.assert_allclose(to_numpy(ours_model(x)), np.asarray(theirs_model(x)),
                               rtol=1e-5, atol=1e-6)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert len(ours.trainable_weights) == len(theirs.trainable_weights) == 4
    assert set(ours.get_config()) == set(theirs.get_config())
    ours_model.compile(optimizer=cornu.optimizers.SGD(0.1), loss="mse")
    theirs_model.compile(optimizer=keras_tf.optimizers.SGD(0.1), loss="mse")
    h1 = ours_model.fit(x, y, batch_size=3, epochs=3, shuffle=False, verbose=0)
    h2 = theirs_model.fit(x, y, batch_size=3, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-4)
    for a, b in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(a.numpy(), np.asarray(b), rtol=1e-4, atol=1e-6)


def test_flax_layer_matches_keras_and_its_weights_file(keras_tf, x, tmp_path):
    module = FlaxMLP(rate=0.0)
    variables = module.init(jax.random.PRNGKey(1), jnp.asarray(x), training=False)
    theirs = keras_tf.Sequential([keras_tf.Input((3,)),
                                  keras_tf.layers.FlaxLayer(module, variables=variables)])
    theirs(x, training=True)  # the batch statistics move
    path = str(tmp_path / "keras.weights.h5")
    theirs.save_weights(path)
    ours_layer = layers.FlaxLayer(FlaxMLP(rate=0.0))
    ours = cornu.Sequential([cornu.Input((3,)), ours_layer])
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
    ours.load_weights(path)
    for a, b in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(a.numpy(), np.asarray(b))
    np.testing.assert_allclose(to_numpy(ours(x)), np.asarray(theirs(x)), rtol=1e-5,
                               atol=1e-6)
    # and back: Keras reads cornu's file
    ours(x, training=True)
    ours.save_weights(str(tmp_path / "cornu.weights.h5"))
    theirs.load_weights(str(tmp_path / "cornu.weights.h5"))
    np.testing.assert_allclose(np.asarray(theirs(x)), to_numpy(ours(x)), rtol=1e-5,
                               atol=1e-6)


def test_stateful_jax_layer_file_layout_matches_keras(keras_tf, x, tmp_path):
    keras_tf.saving.register_keras_serializable(package="jaxlayer_test")(stateful_call)
    keras_tf.saving.register_keras_serializable(package="jaxlayer_test")(stateful_init)
    theirs = keras_tf.Sequential([keras_tf.Input((3,)),
                                  keras_tf.layers.JaxLayer(stateful_call, stateful_init,
                                                           seed=5)])
    theirs(x, training=True)
    path = str(tmp_path / "keras_model.keras")
    theirs.save(path)
    loaded = cornu.saving.load_model(path)
    layer = loaded.layers[-1]
    assert isinstance(layer, layers.JaxLayer) and layer.call_fn is stateful_call
    for a, b in zip(loaded.weights, theirs.weights):
        np.testing.assert_allclose(a.numpy(), np.asarray(b))
    np.testing.assert_allclose(to_numpy(loaded(x)), np.asarray(theirs(x)), rtol=1e-5,
                               atol=1e-6)


def test_a_read_only_0d_array_converts_to_a_0d_tensor():
    # np.asarray(jax_array) is read-only; a 0-d one (a scalar param) must stay 0-d
    # (torch's convert_to_tensor copied it through np.ascontiguousarray, which made it 1-d).
    array = np.asarray(jnp.asarray(3, jnp.int32))
    assert not array.flags.writeable
    assert tuple(ops.convert_to_tensor(array).shape) == ()
    variable = cornu.Variable(np.zeros((), "int32"), dtype="int32", trainable=False)
    variable.assign(array)
    assert variable.numpy() == 3
