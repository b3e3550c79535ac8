"""Mixed-precision training: dtype policies with real layers, optimizers and compile()."""
import numpy as np
import pytest

import cornu
from cornu import layers, ops
from cornu.dtype_policies import policy as _policy_module


@pytest.fixture(autouse=True)
def restore_global_policy():
    saved = _policy_module._global_policy
    yield
    _policy_module._global_policy = saved


def dtype_of(x):
    return ops.standardize_dtype(x.dtype)


def data(rng, n=128):
    x = rng.normal(size=(n, 6)).astype("float32")
    w = rng.normal(size=(6, 3)).astype("float32")
    y = np.argmax(x @ w, axis=-1).astype("int32")
    return x, y


def build(policy):
    cornu.config.set_dtype_policy(policy)
    return cornu.Sequential([
        cornu.Input((6,)),
        layers.Dense(16, activation="relu"),
        layers.BatchNormalization(),
        layers.Dense(3),
        layers.Activation("softmax", dtype="float32"),  # the Keras guide's float32 head
    ])


@pytest.mark.parametrize("policy,half", [("mixed_float16", "float16"),
                                         ("mixed_bfloat16", "bfloat16")])
def test_small_model_trains_under_a_mixed_policy(rng, policy, half):
    model = build(policy)
    hidden = model.layers[0]
    assert model.dtype_policy.name == policy and hidden.compute_dtype == half
    assert model.layers[-1].compute_dtype == "float32"
    assert model.output.dtype == "float32"
    assert hidden(cornu.KerasTensor((None, 6))).dtype == half
    model.compile(optimizer=cornu.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    scaled = isinstance(model.optimizer, cornu.optimizers.LossScaleOptimizer)
    assert scaled == (policy == "mixed_float16")  # Keras wraps only for float16
    x, y = data(rng)
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    # Weights stay float32 and were updated (the float32 gradients reached them).
    for w, old in zip(model.trainable_weights, before):
        assert w.dtype == "float32" and dtype_of(w.value) == "float32"
        assert not np.allclose(w.numpy(), old)
    assert dtype_of(hidden(x[:2])) == half
    assert dtype_of(model(x[:4])) == "float32"
    assert model.predict(x[:4], verbose=0).dtype == np.float32
    if scaled:
        assert model.optimizer.iterations.numpy() == 16
        assert float(model.optimizer.dynamic_scale.numpy()) > 0


def test_gradients_of_a_mixed_model_are_float32(rng, backend_name):
    model = build("mixed_float16")
    x, y = data(rng, 8)
    model(x)
    variables = model.trainable_variables
    if backend_name == "torch":
        loss = ops.mean(ops.cast(model(x), "float32"))
        grads = [g for g in __import__("torch").autograd.grad(loss, [v.value for v in variables])]
    else:
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = ops.mean(ops.cast(model(x), "float32"))
        grads = tape.gradient(loss, [v.value for v in variables])
    assert [dtype_of(g) for g in grads] == ["float32"] * len(variables)


def test_compile_loss_scaling_choices():
    model = build("mixed_float16")
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert isinstance(model.optimizer, cornu.optimizers.SGD)
    own = cornu.optimizers.LossScaleOptimizer(cornu.optimizers.SGD(), initial_scale=8.0)
    model.compile(optimizer=own, loss="mse")
    assert model.optimizer is own  # not wrapped twice
    model.compile(optimizer="adam", loss="mse")
    assert model.optimizer.name == "loss_scale_optimizer"
    assert isinstance(model.optimizer.inner_optimizer, cornu.optimizers.Adam)
    assert cornu.mixed_precision.LossScaleOptimizer is cornu.optimizers.LossScaleOptimizer
    float32_model = build("float32")
    float32_model.compile(optimizer="adam", loss="mse")
    assert isinstance(float32_model.optimizer, cornu.optimizers.Adam)


def test_config_round_trip_keeps_the_policies(rng):
    model = build("mixed_bfloat16")
    x, _ = data(rng, 4)
    expected = model.predict(x, verbose=0)
    config = model.get_config()
    dtypes = [layer["config"]["dtype"] for layer in config["layers"][1:]]
    assert [d["config"]["name"] for d in dtypes] == ["mixed_bfloat16"] * 3 + ["float32"]
    assert all(d["class_name"] == "DTypePolicy" and d["module"] == "keras" for d in dtypes)
    cornu.config.set_dtype_policy("float32")  # the clone must not depend on the global
    clone = cornu.Sequential.from_config(config)
    assert [layer.dtype_policy.name for layer in clone.layers] == [
        "mixed_bfloat16"] * 3 + ["float32"]
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), expected, rtol=1e-6)


def test_mixed_dense_matches_keras(rng):
    keras = pytest.importorskip("keras")
    x = rng.normal(size=(5, 6)).astype("float32")
    theirs = keras.layers.Dense(4, activation="tanh", dtype="mixed_float16")
    ours = layers.Dense(4, activation="tanh", dtype="mixed_float16")
    theirs.build((None, 6))
    ours.build((None, 6))
    ours.set_weights([w.numpy() for w in theirs.weights])
    expected = keras.ops.convert_to_numpy(theirs(x))
    got = ours(x)
    assert dtype_of(got) == keras.backend.standardize_dtype(theirs(x).dtype) == "float16"
    np.testing.assert_allclose(ops.convert_to_numpy(got).astype("float32"),
                               expected.astype("float32"), rtol=2e-3, atol=2e-3)
    assert ours.get_config()["dtype"] == theirs.get_config()["dtype"]


def test_saved_mixed_model_reloads_in_cornu_and_keras(rng, tmp_path):
    model = build("mixed_float16")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = data(rng, 32)
    model.fit(x, y, epochs=1, verbose=0)
    expected = model.predict(x, verbose=0)
    cornu.config.set_dtype_policy("float32")
    path = str(tmp_path / "mixed.keras")
    model.save(path)
    clone = cornu.saving.load_model(path)
    names = ["mixed_float16", "mixed_float16", "mixed_float16", "float32"]
    assert [layer.dtype_policy.name for layer in clone.layers] == names
    assert isinstance(clone.optimizer, cornu.optimizers.LossScaleOptimizer)
    np.testing.assert_allclose(clone.predict(x, verbose=0), expected)
    keras = pytest.importorskip("keras")
    theirs = keras.saving.load_model(path, compile=False)
    assert [layer.dtype_policy.name for layer in theirs.layers] == names
    np.testing.assert_allclose(theirs.predict(x, verbose=0), expected, rtol=5e-3, atol=5e-3)
