"""``cornu.random`` on NumPy (``numpy.random.Generator``).

``seed`` is an int, a :class:`SeedGenerator` or None: None draws from a global
generator (``set_global_seed`` reseeds it), an int gives the same numbers on
every call, a ``SeedGenerator`` owns a generator seeded once.
"""
import json

import numpy as np
from cornu.backends.numpy._utils import array as _a
from cornu.backends.numpy._utils import exported, floatx, to_np_dtype

_global = np.random.default_rng()


def set_global_seed(seed):
    global _global
    _global = np.random.default_rng(int(seed))


def make_default_seed():
    return int(np.random.randint(1, 2**31 - 1))


class SeedGenerator:
    """A stateful source of random numbers (Keras ``SeedGenerator``)."""

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = make_default_seed()
        elif isinstance(seed, SeedGenerator):
            seed = seed.initial_seed
        elif not isinstance(seed, (int, np.integer)):
            raise ValueError(f"SeedGenerator: seed must be an int or None, received {seed!r}")
        self.initial_seed = int(seed)
        self.name = name or "seed_generator"
        self.rng = np.random.default_rng(self.initial_seed)

    def next(self, ordered=True):
        return int(self.rng.integers(0, 2**31 - 1))

    @property
    def state(self):
        return self.rng.bit_generator.state

    def get_state(self):
        """``{"cpu": uint8 array}``: the bit generator's state, as JSON bytes (the
        contract asks for numpy arrays, which a checkpoint can hold)."""
        text = json.dumps(self.rng.bit_generator.state)
        return {"cpu": np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()}

    def set_state(self, state):
        """Restore a :meth:`get_state` result."""
        value = state["cpu"]
        if not isinstance(value, dict):
            value = json.loads(np.asarray(value, dtype=np.uint8).tobytes().decode("utf-8"))
        self.rng.bit_generator.state = value

    def get_config(self):
        return {"seed": self.initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator seed={self.initial_seed}>"


def _rng(seed):
    if seed is None:
        return _global
    if isinstance(seed, SeedGenerator):
        return seed.rng
    if isinstance(seed, np.ndarray):
        seed = int(seed.reshape(-1)[0])
    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int, a SeedGenerator or None, received {seed!r}")
    return np.random.default_rng(int(seed))


def _shape(shape):
    return (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)


def _float(dtype):
    dtype = to_np_dtype(dtype) if dtype is not None else floatx()
    if np.dtype(dtype).kind != "f":
        raise ValueError(f"expected a float dtype, received {dtype!r}")
    return dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return (_rng(seed).standard_normal(_shape(shape)) * stddev + mean).astype(_float(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _rng(seed).uniform(minval, maxval, _shape(shape)).astype(_float(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    return _rng(seed).integers(int(minval), int(maxval), _shape(shape)).astype(
        to_np_dtype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples within two standard deviations (redrawn until they are)."""
    rng = _rng(seed)
    out = rng.standard_normal(_shape(shape))
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return (out * stddev + mean).astype(_float(dtype))


def categorical(logits, num_samples, dtype="int32", seed=None):
    logits = _a(logits).astype(np.float64)
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    rng = _rng(seed)
    rows = np.atleast_2d(probs)
    out = np.stack([rng.choice(rows.shape[-1], int(num_samples), p=p) for p in rows])
    return (out[0] if probs.ndim == 1 else out).astype(to_np_dtype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    x = _a(inputs)
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1], received {rate}")
    if rate == 0.0:
        return x
    if rate == 1.0:
        return np.zeros_like(x)
    shape = x.shape if noise_shape is None else tuple(
        x.shape[i] if s is None else int(s) for i, s in enumerate(noise_shape))
    keep = _rng(seed).uniform(size=shape) >= rate
    return (x * keep / (1.0 - rate)).astype(x.dtype)


def shuffle(x, axis=0, seed=None):
    return _rng(seed).permutation(_a(x), axis=axis)


def gamma(shape, alpha, dtype=None, seed=None):
    return _rng(seed).gamma(alpha, size=_shape(shape)).astype(_float(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    return _rng(seed).beta(alpha, beta, size=_shape(shape)).astype(_float(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    return _rng(seed).binomial(counts, probabilities, size=_shape(shape)).astype(
        _float(dtype))


exported(globals())
