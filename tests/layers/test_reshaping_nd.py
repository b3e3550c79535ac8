"""Cropping1D/3D, ZeroPadding1D/3D and UpSampling1D/3D: numpy and Keras 3."""
import numpy as np
import pytest

import cornu
from cornu import layers

CASES = [
    ("Cropping1D", dict(cropping=(1, 2)), (2, 6, 3)),
    ("Cropping1D", dict(cropping=2), (2, 6, 3)),
    ("Cropping3D", dict(cropping=((1, 0), (0, 2), (1, 1))), (2, 4, 5, 6, 2)),
    ("Cropping3D", dict(cropping=1, data_format="channels_first"), (2, 2, 4, 5, 6)),
    ("ZeroPadding1D", dict(padding=(2, 1)), (2, 4, 3)),
    ("ZeroPadding1D", dict(padding=1, data_format="channels_first"), (2, 3, 4)),
    ("ZeroPadding3D", dict(padding=((1, 0), (0, 2), (1, 1))), (2, 2, 3, 2, 2)),
    ("ZeroPadding3D", dict(padding=(1, 2, 0), data_format="channels_first"), (1, 2, 2, 3, 2)),
    ("UpSampling1D", dict(size=3), (2, 4, 2)),
    ("UpSampling3D", dict(size=(2, 1, 3)), (1, 2, 3, 2, 2)),
    ("UpSampling3D", dict(size=2, data_format="channels_first"), (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("name,kwargs,shape", CASES)
def test_reshaping_nd_matches_keras(ref, rng, name, kwargs, shape):
    x = rng.standard_normal(shape).astype("float32")
    ref.check(name, x, **kwargs)


def test_values_against_numpy(rng, numpy_of):
    x = rng.standard_normal((2, 4, 5, 6, 3)).astype("float32")
    y = numpy_of(layers.Cropping3D(((1, 0), (0, 2), (1, 1)))(x))
    np.testing.assert_array_equal(y, x[:, 1:, :3, 1:5])
    y = numpy_of(layers.ZeroPadding3D(((1, 0), (0, 2), (1, 1)))(x))
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (1, 0), (0, 2), (1, 1), (0, 0))))
    y = numpy_of(layers.UpSampling3D((2, 1, 3))(x))
    np.testing.assert_array_equal(y, x.repeat(2, 1).repeat(3, 3))
    s = rng.standard_normal((2, 5, 3)).astype("float32")
    np.testing.assert_array_equal(numpy_of(layers.Cropping1D((1, 2))(s)), s[:, 1:3])
    np.testing.assert_array_equal(numpy_of(layers.ZeroPadding1D((2, 0))(s)),
                                  np.pad(s, ((0, 0), (2, 0), (0, 0))))
    np.testing.assert_array_equal(numpy_of(layers.UpSampling1D(2)(s)), s.repeat(2, 1))


def test_symbolic_shapes_in_a_model():
    inputs = cornu.Input((None, 3))
    y = layers.ZeroPadding1D(2)(inputs)
    y = layers.UpSampling1D(2)(y)
    y = layers.Cropping1D((1, 1))(y)
    assert y.shape == (None, None, 3)
    inputs = cornu.Input((4, 4, 4, 2))
    y = layers.Cropping3D(1)(layers.UpSampling3D(2)(layers.ZeroPadding3D(1)(inputs)))
    model = cornu.Model(inputs, y)
    assert model.output_shape == (None, 10, 10, 10, 2)
    assert tuple(model(np.zeros((1, 4, 4, 4, 2), "float32")).shape) == (1, 10, 10, 10, 2)


def test_cropping2d_zero_padding2d_still_keras(ref, rng):
    x = rng.standard_normal((2, 5, 6, 3)).astype("float32")
    ref.check("Cropping2D", x, cropping=((1, 2), (0, 1)))
    ref.check("ZeroPadding2D", x, padding=((1, 0), (2, 1)), data_format="channels_first")


def test_bad_arguments():
    with pytest.raises(ValueError, match="cropping"):
        layers.Cropping1D((1, 2, 3))
    with pytest.raises(ValueError, match="cropping"):
        layers.Cropping3D(((1, 1), (1, 1)))
    with pytest.raises(ValueError, match="removes everything"):
        layers.Cropping1D((2, 2))(np.zeros((1, 4, 2), "float32"))
    with pytest.raises(ValueError, match="padding"):
        layers.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match="padding"):
        layers.ZeroPadding3D((1, 2))
    with pytest.raises(TypeError, match="size"):
        layers.UpSampling1D((2, 2))
    with pytest.raises(ValueError, match="size"):
        layers.UpSampling1D(0)
    with pytest.raises(ValueError, match="size"):
        layers.UpSampling3D((2, 2))
    with pytest.raises(ValueError, match="expected ndim=5"):
        layers.UpSampling3D()(np.zeros((1, 2, 2, 2), "float32"))
