"""Embedding, Identity and Lambda."""
import numpy as np
import pytest

import cornu
from cornu import layers, ops


def test_embedding_matches_numpy_and_keras(ref, rng):
    ids = rng.integers(0, 10, size=(3, 5)).astype("int32")
    layer = layers.Embedding(10, 4)
    klayer = ref.keras_layer("Embedding", input_dim=10, output_dim=4)
    y = ref.compare(layer, klayer, ids)
    (table,) = layer.get_weights()
    assert table.shape == (10, 4)
    assert np.all(np.abs(table) <= 0.05)  # the "uniform" default: U(-0.05, 0.05)
    np.testing.assert_array_equal(y, table[ids])
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)


def test_embedding_float_and_int64_indices(numpy_of):
    layer = layers.Embedding(5, 2, embeddings_initializer="ones")
    assert numpy_of(layer(np.array([[1.0, 2.0]], "float32"))).shape == (1, 2, 2)
    assert numpy_of(layer(np.array([[1, 4]], "int64"))).shape == (1, 2, 2)


def test_embedding_mask_zero(numpy_of):
    layer = layers.Embedding(5, 2, mask_zero=True)
    ids = np.array([[1, 0, 3]], "int32")
    np.testing.assert_array_equal(numpy_of(layer.compute_mask(ops.convert_to_tensor(ids))),
                                  [[True, False, True]])
    assert layers.Embedding(5, 2).compute_mask(ids) is None
    assert layer.supports_masking and layer.get_config()["mask_zero"] is True


def test_embedding_symbolic_weights_and_errors():
    out = layers.Embedding(100, 8)(cornu.Input((7,), dtype="int32"))
    assert out.shape == (None, 7, 8) and out.dtype == "float32"
    table = np.arange(6, dtype="float32").reshape(3, 2)
    layer = layers.Embedding(3, 2, weights=table)
    np.testing.assert_array_equal(layer.get_weights()[0], table)
    for kwargs, word in [({"input_dim": 0, "output_dim": 2}, "input_dim"),
                         ({"input_dim": 2, "output_dim": 1.5}, "output_dim")]:
        with pytest.raises(ValueError, match=f"Embedding.*{word}"):
            layers.Embedding(**kwargs)
    with pytest.raises(ValueError, match="Embedding.*lora_rank"):
        layers.Embedding(3, 2, lora_rank=-2)


def test_identity(ref, rng):
    x = rng.standard_normal((2, 3)).astype("float32")
    layer, klayer = layers.Identity(), ref.keras_layer("Identity")
    np.testing.assert_array_equal(ref.compare(layer, klayer, x), x)
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    ints = cornu.Input((3,), dtype="int32")
    assert layer(ints).dtype == "int32" and layer(ints).shape == (None, 3)


def test_lambda_call_and_shapes(numpy_of):
    layer = layers.Lambda(lambda x, scale: ops.multiply(x, scale), arguments={"scale": 3.0})
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(numpy_of(layer(x)), 3 * x)
    assert layer(cornu.Input((3,))).shape == (None, 3)  # traced
    summed = layers.Lambda(lambda x: ops.sum(x, axis=-1, keepdims=True), output_shape=(1,))
    assert summed(cornu.Input((5,))).shape == (None, 1)
    assert summed.compute_output_shape((None, 5)) == (None, 1)


def test_lambda_training_and_mask_arguments(numpy_of):
    seen = {}

    def fn(x, training=None, mask=None):
        seen["training"], seen["mask"] = training, mask
        return x

    layers.Lambda(fn)(np.ones((1, 2), "float32"), training=True)
    assert seen["training"] is True


def _double(x):
    return ops.multiply(x, 2.0)


def test_lambda_serializes_only_registered_functions(numpy_of):
    from cornu.saving import register_cornu_serializable

    with pytest.raises(ValueError, match="Lambda.*never writes Python code"):
        layers.Lambda(lambda x: x).get_config()
    registered = register_cornu_serializable(package="layers_tests")(_double)
    layer = layers.Lambda(registered, output_shape=(3,))
    config = layer.get_config()
    assert config["function"]["config"] == "layers_tests>_double"
    clone = layers.Lambda.from_config(config)
    assert clone.function is _double
    np.testing.assert_allclose(numpy_of(clone(np.ones((1, 3), "float32"))), 2.0)
    # a registered activation serializes by its name
    relu = layers.Lambda(cornu.activations.relu)
    assert layers.Lambda.from_config(relu.get_config()).function is cornu.activations.relu


def test_lambda_refuses_keras_bytecode(keras):
    kconfig = keras.layers.Lambda(lambda x: x + 1).get_config()
    assert kconfig["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="bytecode"):
        layers.Lambda.from_config(kconfig)
    with pytest.raises(ValueError, match="callable"):
        layers.Lambda("not a function")
