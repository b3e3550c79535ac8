"""EinsumDense, ReversibleEmbedding, Wrapper and TimeDistributed: numpy and Keras 3."""
import numpy as np
import pytest

import cornu
from cornu import layers

EINSUM_CASES = [
    ("ab,bc->ac", 4, "c", (3, 5)),
    ("abc,cd->abd", (None, 6), "d", (2, 3, 4)),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 5, 4)),
    ("...b,bc->...c", 3, None, (2, 4, 5)),
    ("ab...,bc->ac...", 3, "c", (2, 4, 6)),
    ("abc,cd->abd", (7, 3), "bd", (2, 7, 5)),
]


@pytest.mark.parametrize("equation,output_shape,bias_axes,shape", EINSUM_CASES)
def test_einsum_dense_matches_numpy_and_keras(ref, rng, equation, output_shape, bias_axes,
                                              shape):
    x = rng.standard_normal(shape).astype("float32")
    layer, out = ref.check("EinsumDense", x, atol=1e-4, equation=equation,
                           output_shape=output_shape, bias_axes=bias_axes,
                           bias_initializer="random_normal")
    weights = layer.get_weights()
    expected = np.einsum(equation, x, weights[0])
    if bias_axes:
        expected = expected + weights[1]
    np.testing.assert_allclose(out, expected, atol=1e-4)


def test_einsum_dense_gradients_symbolic_and_errors(rng, grads):
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="e")
    x = rng.standard_normal((2, 5, 4)).astype("float32")
    kernel_g, bias_g = grads(layer, x)
    assert kernel_g.shape == (4, 2, 3) and bias_g.shape == (3,)
    np.testing.assert_allclose(bias_g, np.full(3, 2 * 5 * 2), atol=1e-5)
    y = layers.EinsumDense("ab,bc->ac", output_shape=7)(cornu.Input((3,)))
    assert y.shape == (None, 7)
    with pytest.raises(ValueError, match="equation"):
        layers.EinsumDense("abc", output_shape=3)
    with pytest.raises(ValueError, match="einsum equation"):
        layers.EinsumDense("ab,bc->a.c", output_shape=3)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="bias dimension 'z'"):
        layers.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="z")(
            np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="EinsumDense.*lora_rank"):
        layers.EinsumDense("ab,bc->ac", output_shape=3, lora_rank=1.5)


@pytest.mark.parametrize("tie_weights", [True, False])
def test_reversible_embedding_matches_keras(ref, rng, numpy_of, tie_weights):
    tokens = np.array([[1, 2, 0], [4, 3, 3]], "int32")
    kwargs = dict(input_dim=6, output_dim=4, tie_weights=tie_weights, mask_zero=True)
    layer, out = ref.check("ReversibleEmbedding", tokens, **kwargs)
    klayer = ref.keras_layer("ReversibleEmbedding", **kwargs)
    klayer(tokens)
    klayer.set_weights(layer.get_weights())
    assert [w.name for w in layer.weights] == (
        ["embeddings"] if tie_weights else ["embeddings", "reverse_embeddings"])
    vectors = rng.standard_normal((2, 3, 4)).astype("float32")
    logits = numpy_of(layer(vectors, reverse=True))
    np.testing.assert_allclose(
        logits, ref.keras.ops.convert_to_numpy(klayer(vectors, reverse=True)), atol=1e-5)
    kernel = layer.get_weights()[0].T if tie_weights else layer.get_weights()[1]
    np.testing.assert_allclose(logits, vectors @ kernel, atol=1e-5)
    np.testing.assert_array_equal(numpy_of(layer(tokens)._keras_mask), tokens != 0)
    assert getattr(layer(vectors, reverse=True), "_keras_mask", None) is None
    assert layer.compute_output_shape((2, 3, 4), reverse=True) == (2, 3, 6)


def test_reversible_embedding_soft_cap_and_gradients(rng, numpy_of, grads):
    layer = layers.ReversibleEmbedding(5, 3, logit_soft_cap=2.0)
    layer.build()
    vectors = (rng.standard_normal((4, 3)) * 10).astype("float32")
    logits = numpy_of(layer(vectors, reverse=True))
    assert np.all(np.abs(logits) <= 2.0)
    (g,) = grads(layer, np.array([[1, 1, 2]], "int32"))
    np.testing.assert_allclose(g[1], np.full(3, 2.0))
    np.testing.assert_allclose(g[0], 0.0)
    assert layer.get_config()["logit_soft_cap"] == 2.0


def test_time_distributed_matches_numpy_and_keras(ref, rng, numpy_of):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    layer = layers.TimeDistributed(layers.Dense(5))
    klayer = ref.keras.layers.TimeDistributed(ref.keras.layers.Dense(5))
    out = ref.compare(layer, klayer, x)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, x @ kernel + bias, atol=1e-5)
    assert layer.compute_output_shape((2, 4, 3)) == (2, 4, 5)
    ref.assert_config_keys(layer, klayer)
    clone = layers.TimeDistributed.from_config(layer.get_config())
    assert isinstance(clone.layer, layers.Dense) and clone.layer.units == 5


def test_time_distributed_conv_batchnorm_training_vs_keras(ref, rng):
    x = rng.standard_normal((3, 2, 5, 5, 2)).astype("float32")
    layer = layers.TimeDistributed(layers.Conv2D(3, 3))
    klayer = ref.keras.layers.TimeDistributed(ref.keras.layers.Conv2D(3, 3))
    ref.compare(layer, klayer, x, atol=1e-4)
    # Batch statistics are per timestep, as in Keras.
    layer = layers.TimeDistributed(layers.BatchNormalization())
    klayer = ref.keras.layers.TimeDistributed(ref.keras.layers.BatchNormalization())
    ref.compare(layer, klayer, x.reshape(3, 2, 50), atol=1e-4, training=True)


def test_time_distributed_symbolic_mask_and_gradients(rng, numpy_of, grads):
    inputs = cornu.Input((None, 4))
    y = layers.TimeDistributed(layers.Dense(2))(inputs)
    assert y.shape == (None, None, 2)
    tokens = np.array([[1, 2, 0]], "int32")
    h = layers.Embedding(5, 4, mask_zero=True)(tokens)
    out = layers.TimeDistributed(layers.Dense(2))(h)
    np.testing.assert_array_equal(numpy_of(out._keras_mask), [[True, True, False]])
    layer = layers.TimeDistributed(layers.Dense(2))
    g = grads(layer, rng.standard_normal((2, 3, 4)).astype("float32"))
    np.testing.assert_allclose(g[1], [6.0, 6.0])


def test_time_distributed_in_compiled_function(compiled, rng, numpy_of):
    model = cornu.Sequential([cornu.Input((3, 4)), layers.TimeDistributed(layers.Dense(2))])
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    np.testing.assert_allclose(numpy_of(compiled(lambda t: model(t))(x)),
                               numpy_of(model(x)), atol=1e-6)


def test_wrapper_base_and_errors(ref):
    inner = layers.Dense(3)
    wrapper = layers.Wrapper(inner)
    wrapper.build((2, 4))
    assert inner.built and [w.shape for w in wrapper.weights] == [(4, 3), (3,)]
    config = wrapper.get_config()
    assert config["layer"]["class_name"] == "Dense"
    assert set(config) == set(ref.keras.layers.Wrapper(ref.keras.layers.Dense(3)).get_config())
    with pytest.raises(ValueError, match="Layer"):
        layers.Wrapper("dense")
    with pytest.raises(ValueError, match="at least 3"):
        layers.TimeDistributed(layers.Dense(2))(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="Layer"):
        layers.TimeDistributed(np.zeros(3))
