"""cornu models as torch objects (on the torch backend): every layer and model is a
``torch.nn.Module``, so plain torch training loops, ``state_dict``, hooks,
``train()``/``eval()``, ``zero_grad()`` and ``torch.compile`` work on it."""
import numpy as np
import pytest
import torch

# The backend's own nox session installs no family; the integration sessions run these.
pytest.importorskip("cornu.layers")
pytest.importorskip("cornu.optimizers")

import cornu  # noqa: E402
from cornu import layers  # noqa: E402


@pytest.fixture
def torch_backend():
    return torch


def _mlp(lib=cornu):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="relu"),
                           lib.layers.Dense(1)])


def _data(rng, n=16):
    x = rng.standard_normal((n, 3)).astype("float32")
    y = rng.standard_normal((n, 1)).astype("float32")
    return x, y


class _LazyBlock(cornu.Layer):
    """Creates a sublayer and a weight on its first call (inside whatever traces it)."""

    def call(self, x):
        if not hasattr(self, "inner"):
            self.inner = layers.Dense(3, name="inner")
            self.scale = self.add_weight(shape=(3,), initializer="random_normal",
                                         name="scale")
        return self.inner(x) * self.scale


# -- torch ---------------------------------------------------------------------------
def _torch_loop(torch, params, forward, x, y, steps):
    optimizer = torch.optim.Adam(params, lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.mean((forward(x) - y) ** 2)
        loss.backward()
        optimizer.step()


def test_plain_torch_loop_trains_a_cornu_model(torch_backend, rng):
    torch = torch_backend
    x, y = _data(rng)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model = _mlp()
    initial = model.get_weights()
    assert isinstance(model, torch.nn.Module)
    assert all(isinstance(layer, torch.nn.Module) for layer in model.layers)
    _torch_loop(torch, model.parameters(), model, xt, yt, steps=5)

    # The same program in torch alone, from the same initial weights.
    ref = [torch.tensor(w, requires_grad=True) for w in initial]

    def forward(inputs):
        hidden = torch.relu(inputs @ ref[0] + ref[1])
        return hidden @ ref[2] + ref[3]

    _torch_loop(torch, ref, forward, xt, yt, steps=5)
    trained = model.get_weights()
    for got, want, before in zip(trained, ref, initial):
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-5, atol=1e-6)
        assert not np.allclose(got, before)  # the loop really moved every weight


def test_plain_torch_loop_matches_keras(torch_backend, rng):
    torch = torch_backend
    keras = pytest.importorskip("keras")
    x, y = _data(rng)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model, kmodel = _mlp(), _mlp(keras)
    kmodel.set_weights(model.get_weights())
    _torch_loop(torch, model.parameters(), model, xt, yt, steps=4)
    _torch_loop(torch, kmodel.parameters(), kmodel, xt, yt, steps=4)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_into_a_second_model(torch_backend, rng):
    torch = torch_backend
    x, y = _data(rng)
    model = cornu.Sequential([cornu.Input((3,)), layers.Dense(4, activation="relu"),
                              layers.BatchNormalization(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)  # moves the moving statistics too
    other = cornu.Sequential([cornu.Input((3,)), layers.Dense(4, activation="relu"),
                              layers.BatchNormalization(), layers.Dense(1)])
    state = model.state_dict()
    assert list(state) == list(other.state_dict())
    assert len(state) == len(model.weights)
    result = other.load_state_dict(state)
    assert not result.missing_keys and not result.unexpected_keys
    np.testing.assert_allclose(other.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    for got, want in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    # torch.save / torch.load of the state dict, the usual torch checkpoint.
    import io

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    third = cornu.Sequential([cornu.Input((3,)), layers.Dense(4, activation="relu"),
                              layers.BatchNormalization(), layers.Dense(1)])
    third.load_state_dict(torch.load(buffer))
    np.testing.assert_allclose(third.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


class _Blocks(cornu.Model):
    def __init__(self):
        self.scale = 2.0  # an attribute before super().__init__(), as Keras allows
        super().__init__()
        self.first = layers.Dense(4, activation="relu")
        self.blocks = [layers.Dense(4), layers.Dense(4)]
        self.alias = self.first  # the same layer twice: registered once
        self.head = layers.Dense(1)

    def call(self, x):
        x = self.alias(self.first(x))
        for block in self.blocks:
            x = block(x)
        return self.head(x) * self.scale


def test_named_parameters_list_each_weight_once(torch_backend, rng):
    torch = torch_backend
    model = _Blocks()
    model(np.ones((2, 4), "float32"))  # (``first`` runs twice: 4 features in and out)
    named = list(model.named_parameters())
    assert len(named) == len(model.weights) == len(list(model.parameters()))
    assert {id(p) for _, p in named} == {id(v.value) for v in model.weights}
    assert [n for n, _ in model.named_children()] == ["first", "blocks_0", "blocks_1", "head"]
    assert [n for n, _ in named] == [
        "first.kernel", "first.bias", "blocks_0.kernel", "blocks_0.bias",
        "blocks_1.kernel", "blocks_1.bias", "head.kernel", "head.bias"]
    assert len(model.state_dict()) == len(model.weights)
    # A functional model that calls one layer twice lists its weights once.
    shared = layers.Dense(3)
    inputs = cornu.Input((3,))
    functional = cornu.Model(inputs, shared(shared(inputs)))
    assert len(list(functional.named_parameters())) == len(functional.weights) == 2
    assert all(isinstance(p, torch.nn.Parameter) for p in functional.parameters())
    # Sequential.pop unregisters the popped layer.
    model = _mlp()
    model.pop()
    assert len(list(model.parameters())) == len(model.weights) == 2


def test_forward_hooks_fire_on_layer_calls(torch_backend, rng):
    torch = torch_backend
    x, _ = _data(rng)
    xt = torch.from_numpy(x)
    model = _mlp()
    dense = model.layers[0]
    seen = []

    def pre_hook(module, args):
        seen.append(("pre", module, args[0]))

    def hook(module, args, output):
        seen.append(("post", module, args[0], output))

    handles = [dense.register_forward_pre_hook(pre_hook), dense.register_forward_hook(hook),
               model.register_forward_hook(hook)]
    out = model(xt)
    assert [s[0] for s in seen] == ["pre", "post", "post"]
    assert seen[0][1] is dense and seen[0][2] is xt
    expected_hidden = torch.relu(xt @ dense.kernel.value + dense.bias.value)
    torch.testing.assert_close(seen[1][3], expected_hidden)
    assert seen[2][1] is model and seen[2][2] is xt and seen[2][3] is out
    # A pre hook may replace the inputs and a forward hook the output.
    seen.clear()
    for handle in handles:
        handle.remove()
    model.register_forward_pre_hook(lambda module, args: (args[0] * 0,))
    replaced = model.register_forward_hook(lambda module, args, output: output + 1)
    zero = model(xt)
    torch.testing.assert_close(zero, model.forward(torch.zeros_like(xt)) + 1)
    replaced.remove()
    model._forward_pre_hooks.clear()
    torch.testing.assert_close(model(xt), model.forward(xt))
    assert not model._call_hooks_active and not dense._call_hooks_active  # fast path again
    assert not seen


def test_train_eval_zero_grad_and_to(torch_backend, rng):
    torch = torch_backend
    x, y = _data(rng)
    model = _mlp()
    assert model.training and all(layer.training for layer in model.layers)
    assert model.eval() is model
    assert not model.training and not any(layer.training for layer in model.layers)
    model.train()
    assert model.training and all(layer.training for layer in model.layers)
    loss = torch.mean((model(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    params = [v.value for v in model.weights]
    assert model.to("cpu") is model
    assert all(v.value is p for v, p in zip(model.weights, params))
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               model(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)


def test_torch_compile_and_forward(torch_backend, rng):
    torch = torch_backend
    x, _ = _data(rng)
    xt = torch.from_numpy(x)
    model = _mlp()
    expected = model(xt)
    torch.testing.assert_close(model.forward(xt), expected)
    compiled = torch.compile(model)
    torch.testing.assert_close(compiled(xt), expected, rtol=1e-5, atol=1e-6)


def test_torch_module_wrapper_parameters_once(torch_backend):
    torch = torch_backend
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    model = cornu.Sequential([cornu.Input((3,)), layers.TorchModuleWrapper(module),
                              layers.Dense(1)])
    named = list(model.named_parameters())
    assert len(named) == len(model.weights) == 6
    assert {id(p) for _, p in named} == {id(v.value) for v in model.weights}
    assert [n for n, _ in named][:2] == ["1.module.0.weight", "1.module.0.bias"]


def test_lazy_weights_on_torch(torch_backend, rng):
    x, y = _data(rng)
    model = cornu.Sequential([_LazyBlock()])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.repeat(y, 3, axis=1), epochs=1, batch_size=8, verbose=0)
    assert len(model.weights) == 3
    assert len(list(model.parameters())) == 3


