"""Initializers: callables ``init(shape, dtype=None)`` returning a backend tensor."""
import math

from cornu import config, ops
from cornu import random as cr


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError  # abstract

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return ops.zeros(shape, dtype=dtype or config.floatx())


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return ops.ones(shape, dtype=dtype or config.floatx())


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return ops.full(shape, self.value, dtype=dtype or config.floatx())

    def get_config(self):
        return {"value": self.value}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2D shape, received {shape}")
        return ops.multiply(self.gain, ops.eye(shape[0], shape[1], dtype=dtype or config.floatx()))

    def get_config(self):
        return {"gain": self.gain}


class _Seeded(Initializer):
    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None, received {seed!r}")
        self.seed = seed

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None):
        return cr.normal(shape, mean=self.mean, stddev=self.stddev,
                         dtype=dtype or config.floatx(), seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None):
        return cr.truncated_normal(shape, mean=self.mean, stddev=self.stddev,
                                   dtype=dtype or config.floatx(), seed=self.seed)


class RandomUniform(_Seeded):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape, dtype=None):
        return cr.uniform(shape, minval=self.minval, maxval=self.maxval,
                          dtype=dtype or config.floatx(), seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) the Keras way: receptive field times channels for conv kernels.

    ``input_axes``/``output_axes`` name the axes that count as inputs and outputs
    (for einsum kernels); both must be given to take effect.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Seeded):
    """Samples with variance ``scale / n``, n from ``mode`` (fan_in, fan_out, fan_avg)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        self.input_axes = input_axes
        self.output_axes = output_axes
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive, received {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, received {mode!r}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(
                "VarianceScaling: distribution must be uniform, truncated_normal or "
                f"untruncated_normal, received {distribution!r}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def __call__(self, shape, dtype=None):
        dtype = dtype or config.floatx()
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / 0.87962566103423978
            return cr.truncated_normal(shape, mean=0.0, stddev=stddev, dtype=dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return cr.normal(shape, mean=0.0, stddev=math.sqrt(scale), dtype=dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return cr.uniform(shape, minval=-limit, maxval=limit, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


def _fixed_variance(name, scale, mode, distribution, doc):
    class _Init(VarianceScaling):
        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed,
                             input_axes=input_axes, output_axes=output_axes)

        def get_config(self):
            return {"seed": self.seed, "input_axes": self.input_axes,
                    "output_axes": self.output_axes}

    _Init.__name__ = _Init.__qualname__ = name
    _Init.__doc__ = doc
    return _Init


GlorotUniform = _fixed_variance("GlorotUniform", 1.0, "fan_avg", "uniform",
                                "Uniform in [-l, l], l = sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _fixed_variance("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                               "Truncated normal, stddev = sqrt(2 / (fan_in + fan_out)).")
HeNormal = _fixed_variance("HeNormal", 2.0, "fan_in", "truncated_normal",
                           "Truncated normal, stddev = sqrt(2 / fan_in).")
HeUniform = _fixed_variance("HeUniform", 2.0, "fan_in", "uniform",
                            "Uniform in [-l, l], l = sqrt(6 / fan_in).")
LecunNormal = _fixed_variance("LecunNormal", 1.0, "fan_in", "truncated_normal",
                              "Truncated normal, stddev = sqrt(1 / fan_in).")
LecunUniform = _fixed_variance("LecunUniform", 1.0, "fan_in", "uniform",
                               "Uniform in [-l, l], l = sqrt(3 / fan_in).")
for _cls in (GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform):
    _cls.__module__ = __name__


class Orthogonal(_Seeded):
    """A (scaled) random orthogonal matrix, from the QR decomposition of a normal sample."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        import numpy as np

        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs at least 2D shape, received {shape}")
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        sample = ops.convert_to_numpy(cr.normal(flat, dtype="float32", seed=self.seed))
        q, r = np.linalg.qr(sample)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        value = (self.gain * q).reshape(shape).astype(dtype or config.floatx())
        return ops.convert_to_tensor(value)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


ALL_INITIALIZERS = (
    Zeros, Ones, Constant, Identity, RandomNormal, TruncatedNormal, RandomUniform,
    VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
    LecunUniform, Orthogonal,
)
