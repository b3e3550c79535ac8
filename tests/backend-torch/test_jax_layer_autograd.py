"""JaxLayer on torch: a torch.autograd.Function over jax.vjp, so torch's own autograd
and optimizers train the params, and no_grad runs only the forward pass."""
import numpy as np
import pytest
import torch

pytest.importorskip("cornu.layers")
jax = pytest.importorskip("jax")
jnp = jax.numpy

from cornu import layers  # noqa: E402


def _call(params, inputs):
    return jnp.tanh(inputs @ params["w"]) * params["scale"]


def test_torch_autograd_gives_jax_grad_and_no_grad_runs_forward_only():
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((3, 4)).astype("float32"),
              "scale": np.float32(1.5)}
    layer = layers.JaxLayer(_call, params=params)
    x = torch.from_numpy(rng.standard_normal((5, 3)).astype("float32"))
    out = layer(x, training=True)
    assert out.requires_grad
    (out ** 2).sum().backward()
    expected = jax.grad(lambda p: jnp.sum(_call(p, x.numpy()) ** 2))(params)
    scale, w = layer.trainable_weights  # jax.tree_util order: scale, w
    np.testing.assert_allclose(scale.value.grad.numpy(), np.asarray(expected["scale"]),
                               rtol=1e-4)
    np.testing.assert_allclose(w.value.grad.numpy(), np.asarray(expected["w"]), rtol=1e-4,
                               atol=1e-6)
    with torch.no_grad():
        out = layer(x)
    assert not out.requires_grad
    np.testing.assert_allclose(out.numpy(), np.asarray(_call(params, x.numpy())), rtol=1e-5,
                               atol=1e-6)


def test_a_torch_optimizer_trains_the_params():
    params = {"w": np.ones((3, 1), "float32"), "scale": np.float32(1.0)}
    layer = layers.JaxLayer(_call, params=params)
    optimizer = torch.optim.SGD([v.value for v in layer.trainable_weights], lr=0.1)
    x, y = torch.ones((4, 3)), torch.zeros((4, 1))
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = ((layer(x, training=True) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
