"""The cornu.layers package: exports, plugin registration, configs through the registry."""
import numpy as np
import pytest

import cornu
from cornu import layers
from cornu.plugins import registry
from cornu.serialization import deserialize_cornu_object, serialize_cornu_object


def test_exports_match_keras_names(keras):
    for name in layers.__all__:
        assert hasattr(layers, name), name
        assert hasattr(keras.layers, name), f"{name} is not a Keras 3 layers name"
    assert layers.Layer is cornu.Layer and layers.InputSpec is cornu.InputSpec
    assert layers.Input is cornu.Input and layers.InputLayer is cornu.InputLayer


def test_every_layer_registered_with_aliases():
    for cls, aliases in layers._LAYER_CLASSES.items():
        assert registry.get("layer", cls.__name__) is cls
        assert registry.owner("layer", cls.__name__) == "cornu-layers"
        for alias in aliases:
            assert registry.get("layer", alias) is cls
            assert getattr(layers, alias) is cls
    assert registry.get("layer", "max_pooling2d") is layers.MaxPooling2D  # normalized lookup


def test_serialize_through_registry():
    record = serialize_cornu_object(layers.Conv2D(4, 3, name="c"))
    assert record["module"] == "keras.layers" and record["class_name"] == "Conv2D"
    clone = deserialize_cornu_object(record)
    assert isinstance(clone, layers.Conv2D) and clone.filters == 4
    by_alias = deserialize_cornu_object({"class_name": "MaxPool2D", "config": {},
                                         "module": "keras.layers"})
    assert isinstance(by_alias, layers.MaxPooling2D)


def test_sequential_config_roundtrip(numpy_of):
    model = cornu.Sequential([
        cornu.Input((8, 8, 1)),
        layers.Conv2D(4, 3, activation="relu", padding="same"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    assert model.output_shape == (None, 10)
    clone = cornu.Sequential.from_config(model.get_config())
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((2, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(numpy_of(clone(x)), numpy_of(model(x)), atol=1e-6)


def test_keras_sequential_weights_load_into_cornu(keras, numpy_of):
    """Same architecture in both libraries: Keras weights drop into cornu unchanged."""
    spec = [("Conv2D", dict(filters=3, kernel_size=3)), ("BatchNormalization", {}),
            ("MaxPooling2D", {}), ("Flatten", {}), ("Dense", dict(units=5))]
    kmodel = keras.Sequential([keras.Input((6, 6, 2))]
                              + [getattr(keras.layers, n)(**kw) for n, kw in spec])
    model = cornu.Sequential([cornu.Input((6, 6, 2))]
                             + [getattr(layers, n)(**kw) for n, kw in spec])
    model.set_weights(kmodel.get_weights())
    x = np.random.default_rng(1).standard_normal((2, 6, 6, 2)).astype("float32")
    np.testing.assert_allclose(numpy_of(model(x)), keras.ops.convert_to_numpy(kmodel(x)), atol=1e-5)


def test_functional_model_with_many_layers(numpy_of):
    inputs = cornu.Input((10,), dtype="int32")
    x = layers.Embedding(20, 4)(inputs)
    a = layers.Conv1D(6, 3, padding="causal")(x)
    b = layers.Dense(6)(x)
    x = layers.Add()([a, b])
    x = layers.LayerNormalization()(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.RepeatVector(2)(x)
    x = layers.Permute((2, 1))(x)
    x = layers.Reshape((-1,))(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    assert outputs.shape == (None, 3)
    model = cornu.Model(inputs, outputs)
    y = numpy_of(model(np.arange(20, dtype="int32").reshape(2, 10)))
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("cls", sorted(layers._LAYER_CLASSES, key=lambda c: c.__name__))
def test_every_layer_has_docstring(cls):
    assert cls.__doc__ and len(cls.__doc__.strip()) > 20
