"""Dense: numpy math, Keras 3 parity, config, input checks, symbolic use, gradients."""
import numpy as np
import pytest

import cornu
from cornu import layers, ops


def test_dense_matches_numpy(rng, numpy_of):
    x = rng.standard_normal((4, 5)).astype("float32")
    layer = layers.Dense(3, activation="relu")
    y = numpy_of(layer(x))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (5, 3) and bias.shape == (3,)
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), atol=1e-5)


def test_dense_nd_input(rng, numpy_of):
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    layer = layers.Dense(6, bias_initializer="ones")
    y = numpy_of(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y, x @ kernel + bias, atol=1e-5)
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 3, 4, 6)


@pytest.mark.parametrize("kwargs", [
    {"units": 3},
    {"units": 4, "activation": "tanh", "use_bias": False},
    {"units": 2, "activation": "softmax"},
])
def test_dense_matches_keras(ref, rng, kwargs):
    x = rng.standard_normal((3, 2, 5)).astype("float32")
    layer, klayer = layers.Dense(**kwargs), ref.keras_layer("Dense", **kwargs)
    ref.compare(layer, klayer, x)
    ref.assert_config_keys(layer, klayer)


def test_dense_config_roundtrip(ref):
    layer = layers.Dense(
        7, activation="relu", use_bias=False, kernel_initializer="he_normal",
        kernel_regularizer="l2", bias_regularizer=cornu.regularizers.L1(0.1),
        activity_regularizer="l1", kernel_constraint="non_neg", name="head",
    )
    clone = ref.roundtrip(layer)
    assert clone.units == 7 and clone.name == "head" and not clone.use_bias
    assert type(clone.kernel_regularizer).__name__ == "L2"
    assert type(clone.activity_regularizer).__name__ == "L1"
    assert type(clone.kernel_constraint).__name__ == "NonNeg"
    # Keras writes activity_regularizer only when one is set.
    kl = ref.keras_layer("Dense", units=7, activity_regularizer="l1")
    ref.assert_config_keys(layer, kl)
    assert "activity_regularizer" not in layers.Dense(3).get_config()


def test_dense_config_matches_keras_values(ref):
    config = layers.Dense(3, activation="relu").get_config()
    kconfig = ref.keras_layer("Dense", units=3, activation="relu").get_config()
    for key in ("units", "activation", "use_bias", "kernel_regularizer", "bias_initializer",
                "quantization_config", "trainable", "dtype"):
        assert config[key] == kconfig[key], key
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["kernel_initializer"]["module"] == "keras.initializers"


def test_dense_from_keras_config(keras):
    # Zeros/Ones: Keras 3.15 variance-scaling configs carry input_axes/output_axes,
    # which cornu's initializers do not accept yet (a core matter).
    kconfig = keras.layers.Dense(5, activation="relu", name="from_keras",
                                 kernel_initializer="ones").get_config()
    layer = layers.Dense.from_config(kconfig)
    assert layer.units == 5 and layer.name == "from_keras"
    assert layer.activation is cornu.activations.relu


def test_dense_input_spec_locks_last_axis(rng):
    layer = layers.Dense(3, name="probe")
    layer(rng.standard_normal((2, 4)).astype("float32"))
    with pytest.raises(ValueError) as err:
        layer(rng.standard_normal((2, 5)).astype("float32"))
    msg = str(err.value)
    assert "probe" in msg and "4" in msg and "(2, 5)" in msg


def test_dense_rejects_1d_input():
    with pytest.raises(ValueError, match="min_ndim=2"):
        layers.Dense(3, name="d")(np.zeros((4,), "float32"))


@pytest.mark.parametrize("units", [0, -2, 2.5, "3", None])
def test_dense_bad_units(units):
    with pytest.raises(ValueError) as err:
        layers.Dense(units)
    assert "Dense" in str(err.value) and "units" in str(err.value) and repr(units) in str(err.value)


def test_dense_lora_rank_is_checked():
    with pytest.raises(ValueError, match="Dense.*lora_rank"):
        layers.Dense(3, lora_rank=0)
    assert layers.Dense(3, lora_rank=None).lora_rank is None


def test_dense_unknown_kwarg():
    with pytest.raises(TypeError, match="Dense"):
        layers.Dense(3, not_an_argument=1)


def test_dense_weights_regularization_losses(rng):
    layer = layers.Dense(2, kernel_regularizer=cornu.regularizers.L2(0.5),
                         activity_regularizer=cornu.regularizers.L1(0.25))
    x = rng.standard_normal((3, 4)).astype("float32")
    y = layer(x)
    kernel = layer.get_weights()[0]
    losses = [float(np.asarray(ops.convert_to_numpy(l))) for l in layer.losses]
    expected = sorted([0.25 * np.abs(ops.convert_to_numpy(y)).sum(), 0.5 * (kernel ** 2).sum()])
    np.testing.assert_allclose(sorted(losses), expected, rtol=1e-5)


def test_dense_trainable_weights_order():
    layer = layers.Dense(2)
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert layer.count_params() == 8
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_dense_symbolic_and_sequential():
    inputs = cornu.Input((28, 28))
    flat = layers.Flatten()(inputs)
    out = layers.Dense(10)(flat)
    assert flat.shape == (None, 784) and out.shape == (None, 10)
    model = cornu.Sequential([cornu.Input((28, 28)), layers.Flatten(), layers.Dense(10)])
    assert model.output_shape == (None, 10)
    assert [tuple(w.shape) for w in model.weights] == [(784, 10), (10,)]
    y = model(np.zeros((2, 28, 28), "float32"))
    assert tuple(y.shape) == (2, 10)


def test_dense_input_shape_argument_in_sequential():
    model = cornu.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    assert model.output_shape == (None, 2)
    assert layers.Dense(4, input_shape=(3,)).get_config()["batch_input_shape"] == [None, 3]


def test_dense_gradients(backend_name, rng):
    layer = layers.Dense(2)
    x = rng.standard_normal((3, 4)).astype("float32")
    layer.build(x.shape)
    if backend_name == "torch":
        y = layer(x)
        y.sum().backward()
        grads = [w.value.grad.numpy() for w in layer.trainable_weights]
    else:
        import tensorflow as tf

        with tf.GradientTape() as tape:
            y = tf.reduce_sum(layer(x))
        grads = [g.numpy() for g in tape.gradient(y, [w.value for w in layer.trainable_weights])]
    np.testing.assert_allclose(grads[0], np.repeat(x.sum(0)[:, None], 2, axis=1), rtol=1e-5)
    np.testing.assert_allclose(grads[1], [3.0, 3.0])


def test_dense_in_compiled_function(compiled, rng, numpy_of):
    layer = layers.Dense(3)
    x = rng.standard_normal((2, 4)).astype("float32")
    eager = numpy_of(layer(x))
    np.testing.assert_allclose(numpy_of(compiled(lambda t: layer(t))(x)), eager, atol=1e-6)
