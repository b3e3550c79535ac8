"""Activation, ReLU, LeakyReLU, Softmax, ELU against numpy and Keras 3."""
import numpy as np
import pytest

from cornu import layers

CASES = [
    ("Activation", {"activation": "relu"}, lambda x: np.maximum(x, 0)),
    ("Activation", {"activation": "tanh"}, np.tanh),
    ("Activation", {"activation": None}, lambda x: x),
    ("ReLU", {}, lambda x: np.maximum(x, 0)),
    ("ReLU", {"max_value": 0.5}, lambda x: np.clip(x, 0, 0.5)),
    ("ReLU", {"negative_slope": 0.1, "threshold": 0.2, "max_value": 1.0},
     lambda x: np.where(x >= 0.2, np.minimum(x, 1.0), 0.1 * (x - 0.2))),
    ("LeakyReLU", {}, lambda x: np.where(x >= 0, x, 0.3 * x)),
    ("LeakyReLU", {"negative_slope": 0.05}, lambda x: np.where(x >= 0, x, 0.05 * x)),
    ("Softmax", {}, lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    ("Softmax", {"axis": 1}, lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    ("Softmax", {"axis": (1, 2)}, lambda x: np.exp(x) / np.exp(x).sum((1, 2), keepdims=True)),
    ("ELU", {}, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("ELU", {"alpha": 0.5}, lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
]


@pytest.mark.parametrize("name, kwargs, reference", CASES)
def test_activation_layers(name, kwargs, reference, ref, rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    layer = getattr(layers, name)(**kwargs)
    klayer = ref.keras_layer(name, **kwargs)
    y = ref.compare(layer, klayer, x)
    np.testing.assert_allclose(y, reference(x.astype("float64")), atol=1e-5, rtol=1e-5)
    ref.assert_config_keys(layer, klayer)
    config = layer.get_config()
    kconfig = klayer.get_config()
    for key in config:
        if key not in ("name",):
            assert config[key] == kconfig[key], key
    ref.roundtrip(layer)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)


def test_activation_callable_and_unknown(numpy_of):
    from cornu import activations

    layer = layers.Activation(activations.sigmoid)
    assert layer.get_config()["activation"] == "sigmoid"
    with pytest.raises(ValueError, match="Unknown activation: 'relux'.*relu"):
        layers.Activation("relux")


def test_softmax_mask(numpy_of):
    x = np.zeros((1, 4), "float32")
    mask = np.array([[1, 1, 0, 1]], bool)
    y = numpy_of(layers.Softmax()(x, mask=mask))
    np.testing.assert_allclose(y, [[1 / 3, 1 / 3, 0, 1 / 3]], atol=1e-6)


@pytest.mark.parametrize("cls, kwargs, word", [
    ("ReLU", {"max_value": -1.0}, "max_value"),
    ("ReLU", {"negative_slope": -0.1}, "negative_slope"),
    ("ReLU", {"threshold": None}, "threshold"),
    ("LeakyReLU", {"negative_slope": -1}, "negative_slope"),
])
def test_activation_layer_bad_arguments(cls, kwargs, word):
    with pytest.raises(ValueError) as err:
        getattr(layers, cls)(**kwargs)
    assert cls in str(err.value) and word in str(err.value)


def test_leaky_relu_alpha_alias():
    with pytest.warns(UserWarning, match="alpha"):
        layer = layers.LeakyReLU(alpha=0.2)
    assert layer.negative_slope == 0.2
