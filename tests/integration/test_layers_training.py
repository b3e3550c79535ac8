"""Layers that need optimizers and losses: masks reaching the losses, and wrapped framework
modules (TorchModuleWrapper, TFSMLayer) training with cornu optimizers in ``fit``."""
import numpy as np
import pytest

import cornu
from cornu import layers, ops

TOKENS = np.array([[3, 1, 4, 0, 0], [2, 7, 0, 0, 0], [5, 9, 2, 6, 1], [8, 0, 0, 0, 0]], "int32")
LABELS = np.array([[1, 0, 2, 1, 1], [2, 2, 0, 0, 0], [0, 1, 2, 0, 1], [1, 2, 2, 2, 2]], "int32")


def _tagger(lib):
    return lib.Sequential([lib.Input((5,), dtype="int32"),
                           lib.layers.Embedding(10, 4, mask_zero=True),
                           lib.layers.Dense(3, activation="softmax")])


def test_embedding_mask_reaches_the_loss():
    model = _tagger(cornu)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 2
                       for w in model.get_weights()])
    probs = np.asarray(ops.convert_to_numpy(model(TOKENS)))
    per_step = -np.log(np.take_along_axis(probs, LABELS[..., None], -1)[..., 0])
    keep = TOKENS != 0
    # Keras 3: masked steps get weight 0 and the mean is over the kept steps.
    expected = (per_step * keep).sum() / keep.sum()
    loss = model.evaluate(TOKENS, LABELS, batch_size=4, verbose=0)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert abs(loss - per_step.mean()) > 0.01  # the padded steps are left out


def test_masked_loss_matches_keras():
    keras = pytest.importorskip("keras")
    model, kmodel = _tagger(cornu), _tagger(keras)
    kmodel.set_weights(model.get_weights())
    for m in (model, kmodel):
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    loss = model.evaluate(TOKENS, LABELS, batch_size=4, verbose=0)
    kloss = kmodel.evaluate(TOKENS, LABELS, batch_size=4, verbose=0)
    assert loss == pytest.approx(kloss, rel=1e-5)
    model.fit(TOKENS, LABELS, batch_size=4, epochs=1, verbose=0)
    kmodel.fit(TOKENS, LABELS, batch_size=4, epochs=1, verbose=0)
    for w, kw in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w, kw, atol=1e-5)


def test_torch_module_wrapper_trains_with_cornu_optimizer():
    if cornu.backend.get_backend().NAME != "torch":
        pytest.skip("TorchModuleWrapper runs on the torch backend")
    import torch

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    before = [p.detach().clone() for p in module.parameters()]
    model = cornu.Sequential([cornu.Input((3,)), layers.TorchModuleWrapper(module)])
    model.compile(optimizer=cornu.optimizers.Adam(0.05), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    history = model.fit(x, y, batch_size=16, epochs=15, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.2 * losses[0]
    assert all(not torch.equal(b, p) for b, p in zip(before, module.parameters()))
    with torch.no_grad():
        direct = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.asarray(ops.convert_to_numpy(model.predict(x, verbose=0))),
                               direct, atol=1e-5)


def test_tfsm_layer_trains_in_fit(tmp_path):
    if cornu.backend.get_backend().NAME != "tensorflow":
        pytest.skip("TFSMLayer runs on the tensorflow backend")
    import tensorflow as tf

    class Linear(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.zeros((2, 1)), name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def serve(self, x):
            return tf.matmul(x, self.w)

    path = str(tmp_path / "linear")
    tf.saved_model.save(Linear(), path)
    layer = layers.TFSMLayer(path, call_endpoint="serve")
    model = cornu.Sequential([cornu.Input((2,)), layer])
    model.compile(optimizer=cornu.optimizers.SGD(0.1), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2)).astype("float32")
    y = x @ np.array([[2.0], [-1.0]], "float32")
    model.fit(x, y, batch_size=16, epochs=20, verbose=0)
    np.testing.assert_allclose(layer.get_weights()[0], [[2.0], [-1.0]], atol=0.05)


def test_spectral_normalization_and_time_distributed_train():
    # Seeded: the kernel's norm after the last Adam step (which follows the last
    # normalization) depends on the initial weights, i.e. on the tests that ran before.
    cornu.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    model = cornu.Sequential([
        cornu.Input((4, 3)),
        layers.TimeDistributed(layers.Dense(8, activation="relu")),
        layers.SpectralNormalization(layers.Dense(1)),
    ])
    model.compile(optimizer="adam", loss="mse")
    x = rng.standard_normal((32, 4, 3)).astype("float32")
    y = x.sum(-1, keepdims=True)
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    kernel = model.layers[1].layer.kernel.numpy()
    assert np.linalg.norm(kernel.reshape(-1, 1), 2) <= 1.0 + 1e-3
