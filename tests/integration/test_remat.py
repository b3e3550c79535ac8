"""Rematerialization: ``cornu.remat`` and ``cornu.RematScope`` (Keras 3 semantics).

A rematerialized function runs again in the backward pass (that is how its activations
are recomputed instead of kept), and its values and gradients are those of the plain
function.  Both are checked here on the process's backend: the second run by counting
the Python calls of the function under an eager gradient, the values against the same
computation without remat.
"""
import numpy as np
import pytest

import cornu
from cornu import layers, ops


def gradients(backend_name, fn, variables):
    """d sum(fn()) / d variables, as numpy arrays (an eager backward pass)."""
    if backend_name == "torch":
        for v in variables:
            v.value.grad = None
        ops.sum(fn()).backward()
        return [v.value.grad.numpy() for v in variables]
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(fn())
    return [g.numpy() for g in tape.gradient(loss, [v.value for v in variables])]


def test_remat_recomputes_the_function_in_the_backward_pass(backend_name):
    w = cornu.Variable(np.linspace(-1, 1, 6).reshape(3, 2).astype("float32"))
    x = ops.convert_to_tensor(np.arange(12, dtype="float32").reshape(4, 3) / 10)
    calls = []

    def block(inputs):
        calls.append(1)
        return ops.tanh(ops.matmul(inputs, w)) ** 2

    plain = gradients(backend_name, lambda: block(x), [w])
    assert len(calls) == 1
    calls.clear()
    rematerialized = cornu.remat(block)
    again = gradients(backend_name, lambda: rematerialized(x), [w])
    assert len(calls) == 2  # the forward pass, then once more for the gradients
    np.testing.assert_allclose(again[0], plain[0], rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(rematerialized(x)),
                               ops.convert_to_numpy(block(x)), rtol=1e-6)


class CountingDense(layers.Dense):
    def __init__(self, *args, counter, **kwargs):
        super().__init__(*args, **kwargs)
        # (a dict attribute becomes a tracked copy, as Keras's TrackedDict: keep the
        # caller's dict reachable through a plain function instead)
        self.count = lambda: counter.__setitem__(self.name, counter.get(self.name, 0) + 1)

    def call(self, inputs):
        self.count()
        return super().call(inputs)


def _forward_calls(backend_name, scope, build_layers):
    """How many times each layer's ``call`` ran for one eager forward + backward pass."""
    counter = {}
    with scope:
        stack = build_layers(counter)
    x = ops.convert_to_tensor(np.ones((2, 4), dtype="float32"))

    def forward():
        out = x
        for layer in stack:
            out = layer(out)
        return out

    forward()  # build
    counter.clear()
    gradients(backend_name, forward, [v for layer in stack for v in layer.trainable_variables])
    return counter


def test_remat_scope_modes_choose_the_layers_created_inside(backend_name):
    def two(counter):
        return [CountingDense(64, name="wide", counter=counter),
                CountingDense(2, name="narrow", counter=counter)]

    assert _forward_calls(backend_name, cornu.RematScope("full"), two) == {"wide": 2,
                                                                            "narrow": 2}
    assert _forward_calls(backend_name, cornu.RematScope(None), two) == {"wide": 1,
                                                                          "narrow": 1}
    assert _forward_calls(backend_name, cornu.RematScope(
        "list_of_layers", layer_names=["narrow"]), two) == {"wide": 1, "narrow": 2}
    # batch 2: "wide" outputs 128 elements, "narrow" 4
    assert _forward_calls(backend_name, cornu.RematScope(
        "larger_than", output_size_threshold=100), two) == {"wide": 2, "narrow": 1}


def test_activations_mode_recomputes_only_the_activation(backend_name):
    counter = {"act": 0}

    def act(x):
        counter["act"] += 1
        return ops.relu(x)

    with cornu.RematScope("activations"):
        layer = layers.Dense(3, activation=act)
    x = ops.convert_to_tensor(np.linspace(-1, 1, 8).reshape(2, 4).astype("float32"))
    layer(x)
    counter["act"] = 0
    gradients(backend_name, lambda: layer(x), layer.trainable_variables)
    assert counter["act"] == 2
    assert layer.activation is act  # put back after the call


def test_a_model_built_under_remat_trains_like_one_without(backend_name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")
    weights = None
    results = []
    for scope in (cornu.RematScope(None), cornu.RematScope("full")):
        with scope:
            model = cornu.Sequential([cornu.Input((8,)), layers.Dense(16, activation="relu"),
                                      layers.Dense(1)])
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile(cornu.optimizers.SGD(0.05), "mse")
        history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.get_weights()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5)
    for a, b in zip(results[1][1], results[0][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_scopes_nest_and_a_bad_mode_is_refused():
    from cornu.rematerialization import get_current_remat_mode

    assert get_current_remat_mode() is None
    with cornu.RematScope("full"):
        with cornu.RematScope("larger_than", output_size_threshold=7):
            assert get_current_remat_mode() == ("larger_than", 7, [])
        assert get_current_remat_mode().mode == "full"
    assert get_current_remat_mode() is None
    with pytest.raises(ValueError, match="invalid mode 'everything'"):
        cornu.RematScope("everything")
