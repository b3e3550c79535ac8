"""Flatten, Reshape, Permute, RepeatVector, ZeroPadding2D, UpSampling2D, Cropping2D."""
import numpy as np
import pytest

import cornu
from cornu import layers


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flatten(data_format, ref, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    layer = layers.Flatten(data_format=data_format)
    klayer = ref.keras_layer("Flatten", data_format=data_format)
    y = ref.compare(layer, klayer, x)
    expected = x if data_format == "channels_last" else np.moveaxis(x, 1, -1)
    np.testing.assert_array_equal(y, expected.reshape(2, -1))
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)


def test_flatten_shapes(numpy_of):
    assert layers.Flatten()(cornu.Input((28, 28))).shape == (None, 784)
    assert layers.Flatten()(cornu.Input((None, 3))).shape == (None, None)
    assert numpy_of(layers.Flatten()(np.arange(3, dtype="float32"))).shape == (3, 1)
    ints = cornu.Input((2, 2), dtype="int32")
    assert layers.Flatten()(ints).dtype == "int32"
    with pytest.raises(ValueError, match="data_format"):
        layers.Flatten(data_format="nchw")


def test_flatten_in_compiled_function(compiled, numpy_of):
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(numpy_of(compiled(layers.Flatten())(x)), x.reshape(2, 12))


@pytest.mark.parametrize("target", [(6, 2), (-1, 3), (3, -1, 2), (12,)])
def test_reshape(target, ref, rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    layer = layers.Reshape(target)
    klayer = ref.keras_layer("Reshape", target_shape=target)
    y = ref.compare(layer, klayer, x)
    np.testing.assert_array_equal(y, x.reshape((2,) + target))
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    assert layers.Reshape(target)(cornu.Input((3, 4))).shape == klayer.compute_output_shape((None, 3, 4))


def test_reshape_errors_and_unknown_dims():
    with pytest.raises(ValueError, match="Reshape.*target_shape"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="Reshape.*target_shape"):
        layers.Reshape((0, 2))
    with pytest.raises(ValueError, match="reshape_probe.*\\(None, 3, 4\\)"):
        layers.Reshape((5,), name="reshape_probe")(cornu.Input((3, 4)))
    assert layers.Reshape((-1, 2))(cornu.Input((None, 4))).shape == (None, None, 2)


def test_reshape_in_compiled_function(compiled, numpy_of):
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(numpy_of(compiled(layers.Reshape((-1, 2)))(x)), x.reshape(2, 6, 2))


def test_permute(ref, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    layer, klayer = layers.Permute((3, 1, 2)), ref.keras_layer("Permute", dims=(3, 1, 2))
    y = ref.compare(layer, klayer, x)
    np.testing.assert_array_equal(y, np.transpose(x, (0, 3, 1, 2)))
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 5, 3, 4)
    with pytest.raises(ValueError, match="Permute.*dims"):
        layers.Permute((0, 1))


def test_repeat_vector(ref, rng):
    x = rng.standard_normal((2, 3)).astype("float32")
    layer, klayer = layers.RepeatVector(4), ref.keras_layer("RepeatVector", n=4)
    y = ref.compare(layer, klayer, x)
    np.testing.assert_array_equal(y, np.repeat(x[:, None], 4, axis=1))
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    assert layer(cornu.Input((3,))).shape == (None, 4, 3)
    with pytest.raises(ValueError, match="RepeatVector.*n"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match="ndim=2"):
        layers.RepeatVector(2)(np.zeros((1, 2, 3), "float32"))


@pytest.mark.parametrize("padding", [1, (2, 1), ((1, 2), (0, 3))])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_zero_padding2d(padding, data_format, ref, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    layer = layers.ZeroPadding2D(padding, data_format=data_format)
    klayer = ref.keras_layer("ZeroPadding2D", padding=padding, data_format=data_format)
    y = ref.compare(layer, klayer, x)
    (t, b), (l, r) = layer.padding
    spatial = [(t, b), (l, r)]
    pads = [(0, 0)] + spatial + [(0, 0)] if data_format == "channels_last" else [(0, 0), (0, 0)] + spatial
    np.testing.assert_array_equal(y, np.pad(x, pads))
    assert layer.compute_output_shape(x.shape) == y.shape
    assert layer.get_config()["padding"] == klayer.get_config()["padding"]
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)


def test_zero_padding2d_bad():
    with pytest.raises(ValueError, match="ZeroPadding2D.*padding"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="ZeroPadding2D.*padding"):
        layers.ZeroPadding2D(-1)


@pytest.mark.parametrize("cropping", [1, (1, 0), ((0, 2), (1, 1))])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cropping2d(cropping, data_format, ref, rng):
    x = rng.standard_normal((2, 5, 6, 4)).astype("float32")
    layer = layers.Cropping2D(cropping, data_format=data_format)
    klayer = ref.keras_layer("Cropping2D", cropping=cropping, data_format=data_format)
    y = ref.compare(layer, klayer, x)
    assert layer.compute_output_shape(x.shape) == y.shape
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)


def test_cropping2d_too_much():
    with pytest.raises(ValueError, match="crop_probe"):
        layers.Cropping2D(3, name="crop_probe")(cornu.Input((5, 6, 1)))


@pytest.mark.parametrize("size, data_format", [(2, "channels_last"), ((1, 3), "channels_first")])
def test_up_sampling2d(size, data_format, ref, rng):
    x = rng.standard_normal((2, 3, 4, 2)).astype("float32")
    layer = layers.UpSampling2D(size, data_format=data_format)
    klayer = ref.keras_layer("UpSampling2D", size=size, data_format=data_format)
    y = ref.compare(layer, klayer, x)
    axes = (1, 2) if data_format == "channels_last" else (2, 3)
    expected = np.repeat(np.repeat(x, layer.size[0], axis=axes[0]), layer.size[1], axis=axes[1])
    np.testing.assert_array_equal(y, expected)
    assert layer.compute_output_shape(x.shape) == y.shape
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    with pytest.raises(ValueError, match="UpSampling2D.*interpolation"):
        layers.UpSampling2D(interpolation="cubic-ish")


def test_up_sampling2d_bilinear(ref, rng):
    x = rng.standard_normal((1, 3, 4, 2)).astype("float32")
    layer = layers.UpSampling2D(2, interpolation="bilinear")
    ref.compare(layer, ref.keras_layer("UpSampling2D", size=2, interpolation="bilinear"), x,
                atol=1e-5)
