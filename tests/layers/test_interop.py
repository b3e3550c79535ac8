"""TorchModuleWrapper (torch backend) and TFSMLayer (tensorflow backend)."""
import numpy as np
import pytest

import cornu
from cornu import layers


# -- TorchModuleWrapper -----------------------------------------------------------------
def test_torch_module_wrapper_needs_torch_backend(backend_name):
    if backend_name == "torch":
        pytest.skip("the error is for the other backends")
    with pytest.raises(NotImplementedError, match="torch backend"):
        layers.TorchModuleWrapper(object())


@pytest.fixture
def torch_module(backend_name):
    if backend_name != "torch":
        pytest.skip("TorchModuleWrapper runs on the torch backend")
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))


def test_torch_module_wrapper_weights_and_outputs(torch_module, rng, numpy_of):
    import torch

    layer = layers.TorchModuleWrapper(torch_module)
    x = rng.standard_normal((5, 4)).astype("float32")
    with torch.no_grad():
        expected = torch_module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(numpy_of(layer(x)), expected, atol=1e-6)
    assert [w.shape for w in layer.weights] == [(3, 4), (3,), (2, 3), (2,)]
    assert len(layer.trainable_weights) == 4
    # The variables are the module's parameters: set_weights changes the module.
    new = [np.full(w.shape, 0.1, "float32") for w in layer.weights]
    layer.set_weights(new)
    np.testing.assert_allclose(torch_module[0].weight.detach().numpy(), 0.1)
    assert all(a is b.value for a, b in zip(torch_module.parameters(), layer.weights))


def test_torch_module_wrapper_gradients_and_modes(torch_module, rng, grads):
    import torch

    layer = layers.TorchModuleWrapper(torch_module)
    x = rng.standard_normal((5, 4)).astype("float32")
    g = grads(layer, x)
    assert len(g) == 4 and all(v is not None for v in g)
    np.testing.assert_allclose(g[3], [5.0, 5.0])
    dropout = layers.TorchModuleWrapper(torch.nn.Dropout(0.5))
    ones = np.ones((4, 50), "float32")
    np.testing.assert_array_equal(np.asarray(dropout(ones)), ones)  # inference: eval()
    assert not np.allclose(dropout(ones, training=True).numpy(), ones)
    assert dropout.module.training


def test_torch_module_wrapper_in_functional_model_and_config(torch_module, rng, numpy_of):
    layer = layers.TorchModuleWrapper(torch_module)
    inputs = cornu.Input((4,))
    outputs = layers.Dense(1)(layer(inputs))
    model = cornu.Model(inputs, outputs)
    assert model.output_shape == (None, 1)
    assert len(model.weights) == 6
    assert tuple(model(rng.standard_normal((3, 4)).astype("float32")).shape) == (3, 1)
    config = layer.get_config()
    assert set(config) >= {"module", "output_shape", "name"}
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.TorchModuleWrapper.from_config(config)
    clone = layers.TorchModuleWrapper.from_config(config, safe_mode=False)
    x = rng.standard_normal((2, 4)).astype("float32")
    np.testing.assert_allclose(numpy_of(clone(x)), numpy_of(layer(x)), atol=1e-6)
    with pytest.raises(ValueError, match="torch.nn.Module"):
        layers.TorchModuleWrapper("linear")


# -- TFSMLayer ----------------------------------------------------------------------------
def test_tfsm_layer_needs_tensorflow_backend(backend_name, tmp_path):
    if backend_name == "tensorflow":
        pytest.skip("the error is for the other backends")
    with pytest.raises(NotImplementedError, match="tensorflow backend"):
        layers.TFSMLayer(str(tmp_path))


@pytest.fixture
def saved_model(backend_name, tmp_path):
    """A SavedModel exported with plain TensorFlow: y = x @ w + b, and a training endpoint."""
    if backend_name != "tensorflow":
        pytest.skip("TFSMLayer runs on the tensorflow backend")
    import tensorflow as tf

    class Affine(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.arange(6, dtype="float32").reshape(3, 2) / 10, name="w")
            self.b = tf.Variable([0.5, -0.5], name="b")
            self.calls = tf.Variable(0.0, trainable=False, name="calls")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def serve(self, x):
            return tf.matmul(x, self.w) + self.b

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def train(self, x):
            self.calls.assign_add(1.0)
            return tf.matmul(x, self.w) + self.b + 100.0

    module = Affine()
    path = str(tmp_path / "affine")
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    return path


def test_tfsm_layer_calls_the_endpoint(saved_model, rng, numpy_of):
    layer = layers.TFSMLayer(saved_model, call_endpoint="serve")
    x = rng.standard_normal((4, 3)).astype("float32")
    w = np.arange(6, dtype="float32").reshape(3, 2) / 10
    np.testing.assert_allclose(numpy_of(layer(x)), x @ w + [0.5, -0.5], atol=1e-6)
    assert sorted(v.shape for v in layer.trainable_weights) == [(2,), (3, 2)]
    # The layer's variables are the SavedModel's: set_weights changes the endpoint.
    layer.set_weights([np.zeros(v.shape, "float32") for v in layer.weights])
    np.testing.assert_allclose(numpy_of(layer(x)), 0.0, atol=1e-6)
    sig = layers.TFSMLayer(saved_model, call_endpoint="serving_default")
    out = sig(x)
    assert isinstance(out, dict) and tuple(next(iter(out.values())).shape) == (4, 2)


def test_tfsm_layer_training_endpoint_gradients_and_errors(saved_model, rng, numpy_of):
    import tensorflow as tf

    layer = layers.TFSMLayer(saved_model, call_endpoint="serve", call_training_endpoint="train")
    x = rng.standard_normal((2, 3)).astype("float32")
    assert numpy_of(layer(x, training=True)).min() > 90
    assert numpy_of(layer(x)).max() < 90
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(x))
    g = tape.gradient(y, [v.value for v in layer.trainable_weights])
    assert all(v is not None for v in g)
    config = layer.get_config()
    assert config["call_training_endpoint"] == "train"
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.TFSMLayer.from_config(config)
    assert layers.TFSMLayer.from_config(config, safe_mode=False).filepath == saved_model
    with pytest.raises(ValueError, match="nope"):
        layers.TFSMLayer(saved_model, call_endpoint="nope")


def test_saved_torch_module_wrapper_loads_only_outside_safe_mode(torch_module, rng, tmp_path):
    inputs = cornu.Input((4,))
    model = cornu.Model(inputs, layers.TorchModuleWrapper(torch_module)(inputs))
    path = tmp_path / "wrapped.keras"
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        cornu.saving.load_model(path)
    loaded = cornu.saving.load_model(path, safe_mode=False)
    x = rng.standard_normal((3, 4)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
