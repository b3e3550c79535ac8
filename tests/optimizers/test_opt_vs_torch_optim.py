"""On torch: the optimizers whose math torch.optim shares, step for step against it.

Where the two put ``epsilon`` in different places (Keras's Adam and Adamax add it
after the bias correction, torch.optim's before; RMSprop and Adagrad inside or
outside the square root) a tiny epsilon makes the difference negligible.
torch's NAdam decays its momentum with ``0.96 ** (t * momentum_decay)``, Keras's
with ``0.96 ** t``: ``momentum_decay=1`` makes them the same.
"""
import numpy as np
import pytest

from cornu import optimizers

EPS = 1e-10

CASES = [
    ("SGD", {"learning_rate": 0.1}, "SGD", {"lr": 0.1}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9}, "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True},
     "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("Adam", {"learning_rate": 0.01, "epsilon": EPS}, "Adam", {"lr": 0.01, "eps": EPS}),
    ("Adam", {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.95, "epsilon": EPS,
              "amsgrad": True},
     "Adam", {"lr": 0.02, "betas": (0.8, 0.95), "eps": EPS, "amsgrad": True}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1, "epsilon": EPS},
     "AdamW", {"lr": 0.01, "weight_decay": 0.1, "eps": EPS}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.9, "epsilon": EPS},
     "RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": EPS}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True,
                 "epsilon": EPS},
     "RMSprop", {"lr": 0.01, "alpha": 0.8, "momentum": 0.5, "centered": True, "eps": EPS}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.1, "epsilon": EPS},
     "Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1, "eps": EPS}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6},
     "Adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6}),
    ("Adamax", {"learning_rate": 0.01, "epsilon": EPS}, "Adamax", {"lr": 0.01, "eps": EPS}),
    ("Nadam", {"learning_rate": 0.01, "epsilon": EPS},
     "NAdam", {"lr": 0.01, "eps": EPS, "momentum_decay": 1.0}),
]


@pytest.fixture
def torch(backend_name):
    if backend_name != "torch":
        pytest.skip("torch.optim is the reference on the torch backend only")
    import torch

    return torch


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{'-'.join(c[1])}" for c in CASES])
def test_matches_torch_optim(torch, h, rng, case):
    name, kwargs, torch_name, torch_kwargs = case
    shapes = [(3, 4), (4,), (2, 3, 5)]
    init = [rng.normal(size=s).astype("float32") for s in shapes]
    grads = [[rng.normal(size=s).astype("float32") for s in shapes] for _ in range(12)]
    ours = getattr(optimizers, name)(**kwargs)
    variables = h.variables(init)
    params = [torch.nn.Parameter(torch.tensor(w)) for w in init]
    theirs = getattr(torch.optim, torch_name)(params, **torch_kwargs)
    for step, step_grads in enumerate(grads):
        ours.apply([torch.tensor(g) for g in step_grads], variables)
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g)
        theirs.step()
        for v, p in zip(variables, params):
            np.testing.assert_allclose(v.numpy(), p.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{v.path} at step {step}")
