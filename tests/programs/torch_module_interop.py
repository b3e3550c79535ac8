"""A Keras model inside a plain torch.nn.Module.

A torch module composes a Keras Functional model (as a submodule) with a
torch.nn.Linear head; torch.optim trains the whole thing, the state_dict
round-trips into a fresh instance, and the Keras weights seen through
get_weights() are the very tensors torch updated.
"""
# backend: torch
import keras
import numpy as np
import torch
from keras import layers

rng = np.random.default_rng(20)
torch.manual_seed(0)


def keras_body():
    inputs = keras.Input(shape=(7,))
    x = layers.Dense(10, activation="relu", name="body_dense")(inputs)
    x = layers.LayerNormalization(name="body_norm")(x)
    return keras.Model(inputs, x)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = keras_body()
        self.head = torch.nn.Linear(10, 1)

    def forward(self, x):
        return self.head(self.body(x))


def seeded_net():
    net = Net()
    seed = np.random.default_rng(21)
    net.body.set_weights([seed.normal(0, 0.3, w.shape).astype("float32")
                          for w in net.body.get_weights()])
    with torch.no_grad():
        net.head.weight.copy_(torch.from_numpy(seed.normal(0, 0.3, (1, 10)).astype("float32")))
        net.head.bias.zero_()
    return net


x = torch.from_numpy(rng.normal(size=(128, 7)).astype("float32"))
y = (x[:, :1] * 2 - x[:, 1:2]).tanh()

net = seeded_net()
initial_kernel = net.body.get_weights()[0]
keras_params = list(net.body.parameters())
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.5)
losses = []
for _epoch in range(5):
    for start in range(0, 128, 16):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x[start:start + 16]), y[start:start + 16])
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        losses.append(float(torch.nn.functional.mse_loss(net(x), y)))

fresh = seeded_net()
fresh.load_state_dict(net.state_dict())
with torch.no_grad():
    same = torch.allclose(fresh(x), net(x))
    body_kernel = net.body.get_weights()[0]

RESULT = {
    "keras_parameter_count": len(keras_params),
    "state_dict_size": len(net.state_dict()),
    "losses": losses,
    "state_dict_round_trip": bool(same),
    "get_weights_sees_torch_updates": bool(
        not np.allclose(body_kernel, initial_kernel)
        and any(p.shape == body_kernel.shape and np.array_equal(p.detach().cpu().numpy(), body_kernel)
                for p in keras_params)),
    "body_kernel": body_kernel,
    "head_weight": net.head.weight.detach().cpu().numpy(),
}
