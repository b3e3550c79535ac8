"""GroupNormalization, UnitNormalization, RMSNormalization, SpectralNormalization."""
import numpy as np
import pytest

import cornu
from cornu import layers


@pytest.mark.parametrize("kwargs,shape", [
    (dict(groups=2), (3, 4)),
    (dict(groups=3, axis=-1), (2, 5, 6)),
    (dict(groups=-1), (2, 4, 4, 3)),
    (dict(groups=2, axis=1, epsilon=1e-5), (2, 4, 3, 3)),
    (dict(groups=1, center=False), (2, 3, 4)),
])
def test_group_normalization_matches_keras(ref, rng, kwargs, shape):
    x = (rng.standard_normal(shape) * 3 + 1).astype("float32")
    layer, out = ref.check("GroupNormalization", x, atol=1e-4,
                           gamma_initializer="random_normal",
                           beta_initializer="random_normal", **kwargs)
    assert [w.name for w in layer.weights] == (
        ["gamma", "beta"] if kwargs.get("center", True) else ["gamma"])


def test_group_normalization_numpy_and_gradients(rng, numpy_of, grads):
    x = rng.standard_normal((2, 3, 6)).astype("float32")
    layer = layers.GroupNormalization(groups=2, epsilon=1e-3)
    y = numpy_of(layer(x))
    g = x.reshape(2, 3, 2, 3)
    mean = g.mean(axis=(1, 3), keepdims=True)
    var = g.var(axis=(1, 3), keepdims=True)
    np.testing.assert_allclose(y, ((g - mean) / np.sqrt(var + 1e-3)).reshape(x.shape),
                               atol=1e-5)
    gamma_g, beta_g = grads(layer, x)
    assert gamma_g.shape == beta_g.shape == (6,)
    np.testing.assert_allclose(beta_g, np.full(6, 6.0), atol=1e-5)
    with pytest.raises(ValueError, match="multiple"):
        layers.GroupNormalization(groups=4)(np.zeros((2, 6), "float32"))
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=0)


@pytest.mark.parametrize("axis,shape", [(-1, (3, 4)), ([1, 2], (2, 3, 4)), (1, (2, 3, 4))])
def test_unit_normalization(ref, rng, axis, shape):
    x = rng.standard_normal(shape).astype("float32")
    layer, out = ref.check("UnitNormalization", x, axis=axis)
    axes = tuple(axis) if isinstance(axis, list) else axis
    np.testing.assert_allclose(np.sqrt((out ** 2).sum(axis=axes)), 1.0, atol=1e-5)


@pytest.mark.parametrize("axis,shape", [(-1, (3, 4)), ([1, 2], (2, 3, 4))])
def test_rms_normalization(ref, rng, numpy_of, axis, shape):
    x = rng.standard_normal(shape).astype("float32")
    layer = layers.RMSNormalization(axis=axis, epsilon=1e-6)
    klayer = ref.keras_layer("RMSNormalization", axis=axis, epsilon=1e-6)
    layer(x)
    scale = rng.standard_normal(layer.scale.shape).astype("float32")
    layer.set_weights([scale])
    out = ref.compare(layer, klayer, x, atol=1e-5)
    axes = tuple(axis) if isinstance(axis, list) else axis
    expected = x / np.sqrt((x ** 2).mean(axis=axes, keepdims=True) + 1e-6) * scale
    np.testing.assert_allclose(out, expected, atol=1e-5)
    ref.assert_config_keys(layer, klayer)
    assert layer.compute_output_shape(shape) == shape


def test_unit_and_rms_errors():
    with pytest.raises(TypeError, match="axis"):
        layers.UnitNormalization(axis="x")
    with pytest.raises(ValueError, match="out of bounds"):
        layers.UnitNormalization(axis=3)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="out of bounds"):
        layers.RMSNormalization(axis=2)(np.zeros((2, 3), "float32"))


def test_spectral_normalization_matches_keras(ref, rng, numpy_of):
    x = rng.standard_normal((4, 3)).astype("float32")
    layer = layers.SpectralNormalization(layers.Dense(5), power_iterations=3)
    klayer = ref.keras.layers.SpectralNormalization(ref.keras.layers.Dense(5),
                                                    power_iterations=3)
    out = ref.compare(layer, klayer, x, atol=1e-5)  # inference: the wrapped layer alone
    assert [w.name for w in layer.weights] == [w.name for w in klayer.weights]
    # Training calls normalize the kernel in place: same update as Keras.
    ref.compare(layer, klayer, x, atol=1e-4, training=True)
    np.testing.assert_allclose(layer.layer.kernel.numpy(), klayer.layer.kernel.numpy(),
                               atol=1e-4)
    ref.assert_config_keys(layer, klayer)
    clone = layers.SpectralNormalization.from_config(layer.get_config())
    assert isinstance(clone.layer, layers.Dense) and clone.power_iterations == 3
    assert layer.compute_output_shape((4, 3)) == (4, 5) == out.shape


def test_spectral_normalization_converges_and_errors(rng, numpy_of, grads):
    # power iteration converges at the rate of the kernel's two largest singular values'
    # ratio: enough steps that any random kernel gets within 1e-3
    layer = layers.SpectralNormalization(layers.Conv2D(3, 2), power_iterations=3)
    x = rng.standard_normal((2, 4, 4, 2)).astype("float32")
    for _ in range(100):
        layer(x, training=True)
    kernel = layer.layer.kernel.numpy().reshape(-1, 3)
    assert np.linalg.norm(kernel, 2) == pytest.approx(1.0, abs=1e-3)
    assert len(layer.non_trainable_weights) == 1  # vector_u
    g = grads(layer, x)
    assert len(g) == 2 and all(v is not None for v in g)
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="kernel"):
        layers.SpectralNormalization(layers.ReLU())(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="Layer"):
        layers.SpectralNormalization("dense")


def test_group_normalization_in_sequential_passes_mask(numpy_of):
    model = cornu.Sequential([cornu.Input((3,), dtype="int32"),
                              layers.Embedding(5, 4, mask_zero=True),
                              layers.GroupNormalization(2), layers.UnitNormalization()])
    y = model(np.array([[1, 2, 0]], "int32"))
    np.testing.assert_array_equal(numpy_of(y._keras_mask), [[True, True, False]])
