"""Separable, transposed and depthwise convolutions, GroupNormalization, PReLU, EinsumDense and
friends in whole models: .keras round trips, and weights files shared with Keras 3
(so the weight order inside each layer is Keras's)."""
import numpy as np
import pytest

import cornu


def _image_model(lib):
    L = lib.layers
    inputs = lib.Input((6, 6, 3))
    x = L.SeparableConv2D(4, 3, padding="same", name="sep")(inputs)
    x = L.GroupNormalization(2, name="gn")(x)
    x = L.PReLU(shared_axes=[1, 2], name="prelu")(x)
    x = L.Conv2DTranspose(2, 3, strides=2, name="deconv")(x)
    x = L.DepthwiseConv2D(3, depth_multiplier=2, name="dw")(x)
    x = L.ZeroPadding2D(1, name="pad")(x)
    x = L.AdaptiveAveragePooling2D(2, name="adapt")(x)
    x = L.Flatten(name="flat")(x)
    x = L.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c", name="einsum")(x)
    return lib.Model(inputs, L.RMSNormalization(name="rms")(x), name="img")


def _sequence_model(lib):
    L = lib.layers
    inputs = lib.Input((5,), dtype="int32")
    x = L.ReversibleEmbedding(12, 4, tie_weights=False, mask_zero=True, name="emb")(inputs)
    x = L.TimeDistributed(L.Dense(4, name="inner"), name="td")(x)
    x = L.UnitNormalization(name="unit")(x)
    x = L.GlobalAveragePooling1D(name="gap")(x)
    return lib.Model(inputs, L.Dense(2, name="out")(x), name="seq")


@pytest.mark.parametrize("build", [_image_model, _sequence_model])
def test_keras_archive_round_trip(build, tmp_path, rng, numpy_of):
    model = build(cornu)
    if model.input_shape == (None, 5):
        x = rng.integers(0, 12, (3, 5)).astype("int32")
        x[:, 3:] = 0
    else:
        x = rng.standard_normal((3, 6, 6, 3)).astype("float32")
    expected = numpy_of(model(x))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = cornu.models.load_model(path)
    np.testing.assert_allclose(numpy_of(loaded(x)), expected, atol=1e-5)
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]


@pytest.mark.parametrize("build", [_image_model, _sequence_model])
def test_weights_files_shared_with_keras(build, keras, tmp_path, rng, numpy_of):
    model, kmodel = build(cornu), build(keras)
    if model.input_shape == (None, 5):
        x = rng.integers(1, 12, (3, 5)).astype("int32")
        x[0, 2:] = 0
    else:
        x = rng.standard_normal((3, 6, 6, 3)).astype("float32")
    path = tmp_path / "keras.weights.h5"
    kmodel.save_weights(path)
    model.load_weights(path)
    np.testing.assert_allclose(numpy_of(model(x)),
                               np.asarray(keras.ops.convert_to_numpy(kmodel(x))), atol=1e-4)
