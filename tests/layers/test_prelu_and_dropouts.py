"""PReLU (shared_axes), GaussianDropout and AlphaDropout: numpy, Keras 3, training."""
import numpy as np
import pytest

import cornu
from cornu import layers


@pytest.mark.parametrize("shared_axes,shape", [
    (None, (3, 4)), ([1, 2], (2, 3, 4, 5)), (1, (2, 6, 3)), ([2], (2, 3, 4)),
])
def test_prelu_matches_numpy_and_keras(ref, rng, shared_axes, shape):
    x = rng.standard_normal(shape).astype("float32")
    layer, out = ref.check("PReLU", x, shared_axes=shared_axes,
                           alpha_initializer="random_uniform")
    (alpha,) = layer.get_weights()
    expected_shape = list(shape[1:])
    for a in ([shared_axes] if isinstance(shared_axes, int) else shared_axes or []):
        expected_shape[a - 1] = 1
    assert alpha.shape == tuple(expected_shape)
    np.testing.assert_allclose(out, np.where(x >= 0, x, alpha * x), atol=1e-6)


def test_prelu_gradients_and_errors(rng, grads):
    layer = layers.PReLU(shared_axes=[1])
    x = rng.standard_normal((4, 3, 2)).astype("float32")
    (g,) = grads(layer, x)
    np.testing.assert_allclose(g, np.minimum(x, 0).sum(axis=(0, 1), keepdims=True)[0],
                               atol=1e-5)
    with pytest.raises(ValueError, match="shared_axes"):
        layers.PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match="expected axis"):
        layer(np.zeros((4, 3, 5), "float32"))


def test_gaussian_dropout_training_and_inference(ref, rng, numpy_of):
    x = np.ones((200, 50), "float32")
    layer = layers.GaussianDropout(0.2, seed=3)
    np.testing.assert_array_equal(numpy_of(layer(x)), x)
    noisy = numpy_of(layer(x, training=True))
    assert abs(noisy.mean() - 1.0) < 0.02
    assert abs(noisy.std() - np.sqrt(0.2 / 0.8)) < 0.02
    klayer = ref.keras_layer("GaussianDropout", rate=0.2, seed=3)
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    assert layer.compute_output_shape((2, 3)) == (2, 3)
    with pytest.raises(ValueError, match="rate"):
        layers.GaussianDropout(1.5)


def test_alpha_dropout_keeps_selu_statistics(ref, rng, numpy_of):
    x = rng.standard_normal((400, 100)).astype("float32")
    layer = layers.AlphaDropout(0.1, seed=1)
    np.testing.assert_array_equal(numpy_of(layer(x)), x)
    y = numpy_of(layer(x, training=True))
    assert abs(y.mean()) < 0.05 and abs(y.std() - 1.0) < 0.05
    # Dropped entries all take the same value a * alpha_p + b.
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.1) * (1 + 0.1 * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * 0.1
    dropped = np.isclose(y, a * alpha_p + b, atol=1e-5)
    assert 0.07 < dropped.mean() < 0.13
    np.testing.assert_allclose(y[~dropped], (a * x + b)[~dropped], atol=1e-5)
    klayer = ref.keras_layer("AlphaDropout", rate=0.1, seed=1)
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)


def test_alpha_dropout_noise_shape_and_errors(numpy_of):
    layer = layers.AlphaDropout(0.5, noise_shape=(None, 1), seed=2)
    y = numpy_of(layer(np.ones((6, 8), "float32"), training=True))
    assert all(len(set(np.round(row, 5))) == 1 for row in y)  # one draw per row
    with pytest.raises(ValueError, match="rate"):
        layers.AlphaDropout(-0.1)
    with pytest.raises(ValueError, match="noise_shape"):
        layers.AlphaDropout(0.1, noise_shape=(0, 2))


def test_noise_layers_pass_masks_and_train_only_in_fit_mode(numpy_of):
    tokens = np.array([[1, 2, 0]], "int32")
    h = layers.Embedding(4, 2, mask_zero=True)(tokens)
    for layer in (layers.GaussianDropout(0.3), layers.AlphaDropout(0.3), layers.PReLU()):
        assert layer.supports_masking
        np.testing.assert_array_equal(numpy_of(layer(h)._keras_mask), [[True, True, False]])
    model = cornu.Sequential([cornu.Input((4,)), layers.GaussianDropout(0.5)])
    x = np.ones((2, 4), "float32")
    np.testing.assert_array_equal(numpy_of(model(x)), x)
    assert not np.allclose(numpy_of(model(x, training=True)), x)
