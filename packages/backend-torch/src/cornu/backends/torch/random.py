"""``cornu.random`` on PyTorch.

``seed`` is an int, a :class:`SeedGenerator` or None:

* ``None`` draws from torch's global RNG, so ``cornu.utils.set_random_seed``
  (which calls :func:`set_global_seed`) makes a run reproducible;
* an int gives the same numbers on every call (a fresh generator seeded with it);
* a ``SeedGenerator`` owns a ``torch.Generator`` seeded once, so successive
  calls give new numbers and two generators with the same seed agree.
"""
import math as _pymath

import numpy as np
import torch

from cornu.backends.torch._utils import (
    floatx,
    get_device,
    standardize_dtype,
    to_tensor,
    to_torch_dtype,
)
from cornu.dtypes import is_float_dtype


def set_global_seed(seed):
    """Seed torch's global RNG (CPU and all CUDA devices)."""
    torch.manual_seed(int(seed))


def get_global_state():
    """torch's global (CPU) RNG state, as a numpy ``uint8`` array (the optional RNG-state
    part of the backend contract: ``BackupAndRestore`` saves it)."""
    return torch.get_rng_state().numpy().copy()


def set_global_state(state):
    """Restore the global RNG state returned by :func:`get_global_state`."""
    torch.set_rng_state(_byte_tensor(state))


def _byte_tensor(state):
    """A CPU ``uint8`` tensor of a generator state given as numpy (or as a tensor)."""
    if isinstance(state, torch.Tensor):
        return state.detach().cpu().to(torch.uint8)
    return torch.from_numpy(np.array(state, dtype=np.uint8, copy=True))


def make_default_seed():
    return int(np.random.randint(1, 2**31 - 1))


class SeedGenerator:
    """A stateful source of seeds for the random ops (Keras ``SeedGenerator``).

    Args:
        seed: the initial seed (an int); None picks one from numpy's global RNG
            (so ``set_random_seed`` makes it reproducible).
        name: an optional name.
    """

    #: What ``cornu.Layer`` looks for to count the generator's state among its variables.
    _is_seed_generator = True

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = make_default_seed()
        elif isinstance(seed, SeedGenerator):
            seed = seed.initial_seed
        elif not isinstance(seed, (int, np.integer)):
            raise ValueError(f"SeedGenerator: seed must be an int or None, received {seed!r}")
        self.initial_seed = int(seed)
        self.name = name or "seed_generator"
        self._generators = {}

    def generator(self, device=None):
        """The ``torch.Generator`` for ``device`` (created and seeded on first use)."""
        device = torch.device(device) if device is not None else get_device()
        key = device.type if device.index is None else f"{device.type}:{device.index}"
        gen = self._generators.get(key)
        if gen is None:
            gen = torch.Generator(device=device)
            gen.manual_seed(self.initial_seed)
            self._generators[key] = gen
        return gen

    def next(self, ordered=True):
        """A fresh int seed drawn from this generator's stream."""
        return int(
            torch.randint(0, 2**31 - 1, (1,), generator=self.generator("cpu")).item()
        )

    @property
    def state(self):
        return self.generator("cpu").get_state()

    def get_state(self):
        """``{device: uint8 numpy array}``: the state of each device's generator."""
        return {k: g.get_state().numpy().copy() for k, g in self._generators.items()}

    def set_state(self, state):
        """Restore a :meth:`get_state` result (numpy arrays or tensors)."""
        for key, value in state.items():
            self.generator(key).set_state(_byte_tensor(value))

    def get_config(self):
        return {"seed": self.initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator seed={self.initial_seed}>"


def _generator(seed, device=None):
    """The ``torch.Generator`` to use for ``seed`` (None: the global RNG)."""
    if seed is None:
        return None
    if isinstance(seed, SeedGenerator):
        return seed.generator(device)
    if isinstance(seed, torch.Tensor):
        seed = int(seed.reshape(-1)[0].item())
    elif not isinstance(seed, (int, np.integer)):
        raise ValueError(
            f"seed must be an int, a SeedGenerator or None, received {seed!r}"
        )
    gen = torch.Generator(device=device or get_device())
    gen.manual_seed(int(seed))
    return gen


def _shape(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(s) for s in shape)


def _float_dtype(dtype):
    dtype = standardize_dtype(dtype or floatx())
    if not is_float_dtype(dtype):
        raise ValueError(f"expected a float dtype, received {dtype!r}")
    return to_torch_dtype(dtype)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    device = get_device()
    out = torch.randn(_shape(shape), generator=_generator(seed, device), dtype=dtype, device=device)
    return out * stddev + mean


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    device = get_device()
    out = torch.rand(_shape(shape), generator=_generator(seed, device), dtype=dtype, device=device)
    return out * (maxval - minval) + minval


def randint(shape, minval, maxval, dtype="int32", seed=None):
    device = get_device()
    return torch.randint(
        int(minval), int(maxval), _shape(shape),
        generator=_generator(seed, device), dtype=to_torch_dtype(dtype), device=device,
    )


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples restricted to two standard deviations (inverse-CDF method)."""
    dtype = _float_dtype(dtype)
    device = get_device()
    compute = torch.float64 if dtype == torch.float64 else torch.float32
    lo = 0.5 * (1.0 + _pymath.erf(-2.0 / _pymath.sqrt(2.0)))
    u = torch.rand(_shape(shape), generator=_generator(seed, device), dtype=compute, device=device)
    u = lo + u * (1.0 - 2.0 * lo)
    z = _pymath.sqrt(2.0) * torch.erfinv(2.0 * u - 1.0)
    z = torch.clamp(z, -2.0, 2.0)
    return (z * stddev + mean).to(dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    logits = to_tensor(logits)
    if not logits.is_floating_point():
        logits = logits.to(to_torch_dtype(floatx()))
    probs = torch.softmax(logits.float(), dim=-1)
    squeeze = probs.ndim == 1
    if squeeze:
        probs = probs.unsqueeze(0)
    out = torch.multinomial(
        probs, int(num_samples), replacement=True, generator=_generator(seed, probs.device)
    )
    if squeeze:
        out = out.squeeze(0)
    return out.to(to_torch_dtype(dtype))


def _noise_shape(inputs, noise_shape):
    if noise_shape is None:
        return tuple(inputs.shape)
    return tuple(
        inputs.shape[i] if s is None else int(s) for i, s in enumerate(noise_shape)
    )


def dropout(inputs, rate, noise_shape=None, seed=None):
    inputs = to_tensor(inputs)
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1], received {rate}")
    if rate == 0.0:
        return inputs
    if rate == 1.0:
        return torch.zeros_like(inputs)
    keep = 1.0 - rate
    if seed is None and noise_shape is None:
        return torch.nn.functional.dropout(inputs, p=rate, training=True)
    shape = _noise_shape(inputs, noise_shape)
    mask = torch.empty(shape, dtype=inputs.dtype, device=inputs.device)
    mask.bernoulli_(keep, generator=_generator(seed, inputs.device))
    return inputs * mask / keep


def shuffle(x, axis=0, seed=None):
    x = to_tensor(x)
    n = x.shape[axis]
    perm = torch.randperm(n, generator=_generator(seed, x.device), device=x.device)
    return torch.index_select(x, axis, perm)


def _sub_seed(seed):
    """An int seed for ops that only use the global RNG (gamma)."""
    if seed is None:
        return None
    if isinstance(seed, SeedGenerator):
        return seed.next()
    return int(seed)


def gamma(shape, alpha, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    device = get_device()
    compute = torch.float64 if dtype == torch.float64 else torch.float32
    alpha = torch.broadcast_to(
        to_tensor(alpha).to(device=device, dtype=compute), _shape(shape)
    )
    sub = _sub_seed(seed)
    if sub is None:
        return torch._standard_gamma(alpha).to(dtype)
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(sub)
        out = torch._standard_gamma(alpha)
    return out.to(dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    if isinstance(seed, (int, np.integer)):
        seed = SeedGenerator(int(seed))
    g1 = gamma(shape, alpha, dtype="float32" if dtype != "float64" else "float64", seed=seed)
    g2 = gamma(shape, beta, dtype="float32" if dtype != "float64" else "float64", seed=seed)
    return (g1 / (g1 + g2)).to(_float_dtype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    device = get_device()
    counts = torch.broadcast_to(to_tensor(counts).to(device=device, dtype=torch.float32), _shape(shape))
    probs = torch.broadcast_to(
        to_tensor(probabilities).to(device=device, dtype=torch.float32), _shape(shape)
    )
    out = torch.binomial(counts.contiguous(), probs.contiguous(), generator=_generator(seed, device))
    return out.to(dtype)


__all__ = [
    "SeedGenerator", "set_global_seed", "make_default_seed", "normal", "uniform",
    "randint", "truncated_normal", "categorical", "dropout", "shuffle", "gamma",
    "beta", "binomial",
]
