"""Gradients reach every trainable weight of the transposed, depthwise and separable
convolutions, PReLU, the normalizations, EinsumDense and the wrappers (both backends)."""
import numpy as np
import pytest

from cornu import layers

CASES = [
    (lambda: layers.Conv1DTranspose(2, 3, strides=2), (2, 5, 3)),
    (lambda: layers.Conv2DTranspose(2, 3, padding="same"), (2, 4, 4, 3)),
    (lambda: layers.Conv3DTranspose(2, 2, strides=2), (1, 2, 3, 2, 2)),
    (lambda: layers.DepthwiseConv1D(3, depth_multiplier=2), (2, 6, 3)),
    (lambda: layers.DepthwiseConv2D(2, data_format="channels_first"), (2, 3, 4, 4)),
    (lambda: layers.SeparableConv1D(4, 3), (2, 6, 3)),
    (lambda: layers.SeparableConv2D(4, 2, strides=2), (2, 6, 6, 3)),
    (lambda: layers.PReLU(alpha_initializer="ones"), (2, 3, 4)),
    (lambda: layers.GroupNormalization(2, gamma_initializer="random_normal"), (2, 5, 4)),
    (lambda: layers.RMSNormalization(), (2, 5, 4)),
    (lambda: layers.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d"), (2, 5, 4)),
    (lambda: layers.TimeDistributed(layers.Dense(3)), (2, 5, 4)),
    (lambda: layers.SpectralNormalization(layers.Dense(3)), (2, 4)),
]


@pytest.mark.parametrize("make,shape", CASES)
def test_gradients_reach_every_trainable_weight(make, shape, rng, grads):
    layer = make()
    x = rng.standard_normal(shape).astype("float32")
    g = grads(layer, x)
    assert len(g) == len(layer.trainable_weights) > 0
    for weight, value in zip(layer.trainable_weights, g):
        assert value is not None, weight.path
        assert value.shape == tuple(weight.shape)
        assert np.isfinite(value).all() and np.abs(value).sum() > 0, weight.path


def test_reversible_embedding_gradients_in_both_directions(rng, grads):
    layer = layers.ReversibleEmbedding(6, 3, tie_weights=False)
    (g_forward, g_reverse) = grads(layer, np.array([[1, 2]], "int32"))
    assert np.abs(g_forward).sum() > 0
    assert g_reverse is None or not np.abs(g_reverse).any()  # unused by the forward call
    vectors = rng.standard_normal((2, 3)).astype("float32")
    g = grads(layer, vectors, reverse=True)
    assert g[1] is not None and np.abs(g[1]).sum() > 0
