"""Dropout, SpatialDropout, GaussianNoise, ActivityRegularization."""
import numpy as np
import pytest

import cornu
from cornu import layers, ops


def test_dropout_inference_is_identity(rng, numpy_of):
    x = rng.standard_normal((4, 5)).astype("float32")
    layer = layers.Dropout(0.5)
    np.testing.assert_array_equal(numpy_of(layer(x)), x)
    np.testing.assert_array_equal(numpy_of(layer(x, training=False)), x)


def test_dropout_training_statistics(numpy_of):
    rate = 0.3
    x = np.ones((200, 100), "float32")
    y = numpy_of(layers.Dropout(rate, seed=1)(x, training=True))
    zero_fraction = (y == 0).mean()
    assert abs(zero_fraction - rate) < 0.02
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1.0 / (1.0 - rate), rtol=1e-6)


def test_dropout_seed_reproducible_and_advancing(numpy_of):
    x = np.ones((8, 16), "float32")
    a, b = layers.Dropout(0.5, seed=7), layers.Dropout(0.5, seed=7)
    first_a, first_b = numpy_of(a(x, training=True)), numpy_of(b(x, training=True))
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, numpy_of(a(x, training=True)))  # the generator advances


def test_dropout_noise_shape(numpy_of):
    x = np.ones((4, 6, 5), "float32")
    y = numpy_of(layers.Dropout(0.5, noise_shape=(None, 1, 5), seed=3)(x, training=True))
    # the same features are dropped at every step
    assert all(np.array_equal(y[:, 0], y[:, t]) for t in range(6))


def test_dropout_rate_edges(numpy_of):
    x = np.ones((3, 3), "float32")
    np.testing.assert_array_equal(numpy_of(layers.Dropout(0.0)(x, training=True)), x)
    np.testing.assert_array_equal(numpy_of(layers.Dropout(1.0)(x, training=True)), 0 * x)


@pytest.mark.parametrize("rate", [-0.1, 1.5, "0.5", None])
def test_dropout_bad_rate(rate):
    with pytest.raises(ValueError) as err:
        layers.Dropout(rate)
    assert "Dropout" in str(err.value) and "rate" in str(err.value)


@pytest.mark.parametrize("noise_shape", ["abc", (2, 0), (2, 1.5), 3])
def test_dropout_bad_noise_shape(noise_shape):
    with pytest.raises(ValueError, match="noise_shape"):
        layers.Dropout(0.5, noise_shape=noise_shape)


def test_dropout_config(ref):
    layer = layers.Dropout(0.25, noise_shape=(None, 1), seed=3)
    ref.assert_config_keys(layer, ref.keras_layer("Dropout", rate=0.25, noise_shape=(None, 1),
                                                  seed=3))
    clone = ref.roundtrip(layer)
    assert clone.rate == 0.25 and clone.noise_shape == (None, 1) and clone.seed == 3
    assert layer.weights == []  # the seed generator is not a weight (as Keras)


def test_dropout_symbolic_and_in_model(compiled, numpy_of):
    inputs = cornu.Input((5,))
    outputs = layers.Dropout(0.5)(inputs)
    assert outputs.shape == (None, 5)
    model = cornu.Sequential([cornu.Input((5,)), layers.Dense(4), layers.Dropout(0.5)])
    x = np.ones((3, 5), "float32")
    np.testing.assert_allclose(numpy_of(model(x)), numpy_of(model.layers[0](x)))
    y = numpy_of(compiled(lambda t: model(t, training=True))(x))
    assert y.shape == (3, 4)


def test_spatial_dropout2d(ref, numpy_of):
    x = np.ones((4, 5, 5, 8), "float32")
    layer = layers.SpatialDropout2D(0.5, seed=2)
    y = numpy_of(layer(x, training=True))
    per_channel = y.reshape(4, 25, 8)
    assert np.all(per_channel.min(axis=1) == per_channel.max(axis=1))  # whole maps kept/dropped
    assert set(np.unique(y)) <= {0.0, 2.0}
    np.testing.assert_array_equal(numpy_of(layer(x)), x)
    klayer = ref.keras_layer("SpatialDropout2D", rate=0.5, seed=2)
    # cornu also writes `trainable` (Keras omits it, losing a frozen flag on reload).
    ref.assert_config_keys(layer, klayer)  # exactly Keras's keys
    ref.roundtrip(layer)
    cf = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=1)
    y = numpy_of(cf(np.ones((2, 3, 4, 4), "float32"), training=True))
    assert np.all(y.reshape(2, 3, 16).min(-1) == y.reshape(2, 3, 16).max(-1))


def test_spatial_dropout1d_3d(numpy_of):
    y = numpy_of(layers.SpatialDropout1D(0.5, seed=0)(np.ones((2, 6, 4), "float32"), training=True))
    assert np.all(y.min(axis=1) == y.max(axis=1))
    y = numpy_of(layers.SpatialDropout3D(0.5, seed=0)(np.ones((2, 2, 2, 2, 3), "float32"),
                                                      training=True))
    assert np.all(y.reshape(2, 8, 3).min(1) == y.reshape(2, 8, 3).max(1))


def test_gaussian_noise(ref, numpy_of):
    x = np.zeros((200, 50), "float32")
    layer = layers.GaussianNoise(0.5, seed=4)
    np.testing.assert_array_equal(numpy_of(layer(x)), x)
    y = numpy_of(layer(x, training=True))
    assert abs(y.std() - 0.5) < 0.02 and abs(y.mean()) < 0.02
    ref.assert_config_keys(layer, ref.keras_layer("GaussianNoise", stddev=0.5, seed=4))
    ref.roundtrip(layer)
    with pytest.raises(ValueError, match="GaussianNoise.*stddev"):
        layers.GaussianNoise(2.0)


def test_activity_regularization(ref, rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    layer = layers.ActivityRegularization(l1=0.1, l2=0.2)
    y = layer(x)
    np.testing.assert_array_equal(ops.convert_to_numpy(y), x)
    (loss,) = layer.losses
    expected = 0.1 * np.abs(x).sum() + 0.2 * (x ** 2).sum()
    np.testing.assert_allclose(float(ops.convert_to_numpy(loss)), expected, rtol=1e-5)
    ref.assert_config_keys(layer, ref.keras_layer("ActivityRegularization", l1=0.1, l2=0.2))
    ref.roundtrip(layer)
    with pytest.raises(ValueError, match="ActivityRegularization.*l1"):
        layers.ActivityRegularization(l1=-1)
