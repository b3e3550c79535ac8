"""JaxLayer on TensorFlow: the jax2tf-converted function runs inside tf.function and
under tf.GradientTape, with the gradients of the JAX function itself."""
import numpy as np
import pytest
import tensorflow as tf

pytest.importorskip("cornu.layers")
jax = pytest.importorskip("jax")
jnp = jax.numpy

from cornu import layers  # noqa: E402


def _call(params, inputs):
    return jnp.tanh(inputs @ params["w"]) * params["scale"]


def test_gradients_in_tf_function_match_jax_grad():
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((3, 4)).astype("float32"),
              "scale": np.float32(1.5)}
    layer = layers.JaxLayer(_call, params=params)
    x = rng.standard_normal((5, 3)).astype("float32")
    layer(x)

    @tf.function
    def step(inputs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(inputs, training=True) ** 2)
        return loss, tape.gradient(loss, [v.value for v in layer.trainable_weights])

    # twice, with another batch size the second time: the batch axis is polymorphic
    for batch in (x, x[:2]):
        loss, grads = step(tf.constant(batch))
        expected = jax.grad(lambda p, b=batch: jnp.sum(_call(p, b) ** 2))(params)
        np.testing.assert_allclose(loss.numpy(), np.sum(np.asarray(_call(params, batch)) ** 2),
                                   rtol=1e-5)
        # trainable_weights follow jax.tree_util order: scale, w
        np.testing.assert_allclose(grads[0].numpy(), np.asarray(expected["scale"]), rtol=1e-4)
        np.testing.assert_allclose(grads[1].numpy(), np.asarray(expected["w"]), rtol=1e-4,
                                   atol=1e-6)
