"""``cornu.random`` on TensorFlow.

Every op is a *stateless* TensorFlow random op fed with a seed tensor, which
makes the results identical eagerly, inside ``tf.function`` and under XLA.
``seed`` is an int, a :class:`SeedGenerator` or None:

* an int gives the same numbers on every call;
* a ``SeedGenerator`` keeps its state in a ``tf.Variable`` ``[seed, counter]``
  that each draw advances, also inside a traced function, so a compiled
  train step gets a new dropout mask on every call;
* ``None`` uses the backend's global ``SeedGenerator``, which
  :func:`set_global_seed` (called by ``cornu.utils.set_random_seed``) re-seeds.
"""
import numpy as np
import tensorflow as tf

from cornu.backends.tensorflow._utils import (
    floatx,
    standardize_dtype,
    to_tensor,
    to_tf_dtype,
)
from cornu.dtypes import is_float_dtype


def make_default_seed():
    return int(np.random.randint(1, 2**31 - 1))


class SeedGenerator:
    """A stateful source of seeds for the random ops (Keras ``SeedGenerator``).

    Args:
        seed: the initial seed (an int); None picks one from numpy's global RNG
            (so ``set_random_seed`` makes it reproducible).
        name: an optional name.

    ``state`` is a non-trainable ``tf.Variable`` of shape ``(2,)`` (int64).
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
        with tf.init_scope():
            self.state = tf.Variable(
                tf.constant([self.initial_seed, 0], dtype=tf.int64),
                trainable=False,
                name=f"{self.name}_state",
            )

    def next(self, ordered=True):
        """The seed tensor for one draw; advances the state (works in tf.function)."""
        return self.state.assign_add(tf.constant([0, 1], dtype=tf.int64))

    def reseed(self, seed):
        self.initial_seed = int(seed)
        self.state.assign(tf.constant([self.initial_seed, 0], dtype=tf.int64))

    def get_state(self):
        """``{"state": int64 numpy array [seed, counter]}``."""
        return {"state": self.state.numpy()}

    def set_state(self, state):
        """Restore a :meth:`get_state` result."""
        self.state.assign(np.asarray(state["state"], dtype=np.int64))

    def get_config(self):
        return {"seed": self.initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator seed={self.initial_seed}>"


_global_generator = None


def global_seed_generator():
    """The generator behind ``seed=None`` (created on first use)."""
    global _global_generator
    if _global_generator is None:
        _global_generator = SeedGenerator(name="global_seed_generator")
    return _global_generator


def set_global_seed(seed):
    """Seed TensorFlow's global RNG and cornu's global ``SeedGenerator``."""
    global _global_generator
    seed = int(seed)
    tf.random.set_seed(seed)
    if _global_generator is None:
        _global_generator = SeedGenerator(seed, name="global_seed_generator")
    else:
        _global_generator.reseed(seed)


def get_global_state():
    """The global ``SeedGenerator``'s state (int64 numpy ``[seed, counter]``), or None
    before its first use (the optional RNG-state part: ``BackupAndRestore`` saves it)."""
    return None if _global_generator is None else _global_generator.state.numpy()


def set_global_state(state):
    """Restore the state returned by :func:`get_global_state`."""
    global_seed_generator().state.assign(np.asarray(state, dtype=np.int64))


def draw_seed(seed):
    """An int64 ``[2]`` seed tensor for a stateless op."""
    if seed is None:
        return global_seed_generator().next()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)):
        return tf.constant([int(seed), 0], dtype=tf.int64)
    if tf.is_tensor(seed):
        seed = tf.cast(tf.reshape(seed, [-1]), tf.int64)
        return seed if seed.shape[0] == 2 else tf.concat([seed[:1], [0]], 0)
    raise ValueError(f"seed must be an int, a SeedGenerator or None, received {seed!r}")


def _shape(shape):
    if isinstance(shape, int):
        return [shape]
    if tf.is_tensor(shape):
        return shape
    dims = list(shape)
    if all(isinstance(d, (int, np.integer)) for d in dims):
        return [int(d) for d in dims]
    return tf.stack([tf.cast(d, tf.int32) for d in dims])


def _float_dtype(dtype):
    dtype = standardize_dtype(dtype or floatx())
    if not is_float_dtype(dtype):
        raise ValueError(f"expected a float dtype, received {dtype!r}")
    return to_tf_dtype(dtype)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    return tf.random.stateless_normal(
        _shape(shape), seed=draw_seed(seed), mean=mean, stddev=stddev, dtype=dtype
    )


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    return tf.random.stateless_uniform(
        _shape(shape), seed=draw_seed(seed), minval=minval, maxval=maxval, dtype=dtype
    )


def randint(shape, minval, maxval, dtype="int32", seed=None):
    dtype = to_tf_dtype(dtype)
    compute = dtype if dtype in (tf.int32, tf.int64) else tf.int64
    out = tf.random.stateless_uniform(
        _shape(shape), seed=draw_seed(seed),
        minval=tf.cast(minval, compute), maxval=tf.cast(maxval, compute), dtype=compute,
    )
    return out if compute == dtype else tf.cast(out, dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    return tf.random.stateless_truncated_normal(
        _shape(shape), seed=draw_seed(seed), mean=mean, stddev=stddev, dtype=dtype
    )


def categorical(logits, num_samples, dtype="int32", seed=None):
    logits = to_tensor(logits)
    if not logits.dtype.is_floating:
        logits = tf.cast(logits, to_tf_dtype(floatx()))
    squeeze = logits.shape.rank == 1
    if squeeze:
        logits = logits[tf.newaxis]
    dtype = to_tf_dtype(dtype)
    out_dtype = dtype if dtype in (tf.int32, tf.int64) else tf.int64
    out = tf.random.stateless_categorical(
        logits, int(num_samples), seed=draw_seed(seed), dtype=out_dtype
    )
    if squeeze:
        out = out[0]
    return out if out_dtype == dtype else tf.cast(out, dtype)


def _noise_shape(inputs, noise_shape):
    if noise_shape is None:
        return tf.shape(inputs)
    dyn = tf.shape(inputs)
    dims = [dyn[i] if s is None else int(s) for i, s in enumerate(noise_shape)]
    return _shape(dims)


def dropout(inputs, rate, noise_shape=None, seed=None):
    inputs = to_tensor(inputs)
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1], received {rate}")
    if rate == 0.0:
        return inputs
    if rate == 1.0:
        return tf.zeros_like(inputs)
    keep = 1.0 - rate
    mask = tf.random.stateless_uniform(
        _noise_shape(inputs, noise_shape), seed=draw_seed(seed), dtype=inputs.dtype
    ) >= rate
    return tf.where(mask, inputs / tf.cast(keep, inputs.dtype), tf.zeros_like(inputs))


def shuffle(x, axis=0, seed=None):
    x = to_tensor(x)
    n = tf.shape(x)[axis]
    keys = tf.random.stateless_uniform([n], seed=draw_seed(seed))
    perm = tf.argsort(keys)
    return tf.gather(x, perm, axis=axis)


def _sampling_dtype(dtype):
    # Sample half types in float32: stateless_gamma has no bfloat16 kernel, and small
    # gamma draws underflow in float16 (beta would divide 0 by 0).
    return tf.float64 if dtype == tf.float64 else tf.float32


def gamma(shape, alpha, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    compute = _sampling_dtype(dtype)
    out = tf.random.stateless_gamma(
        _shape(shape), seed=draw_seed(seed), alpha=tf.cast(alpha, compute), dtype=compute
    )
    return out if compute == dtype else tf.cast(out, dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    compute = _sampling_dtype(dtype)
    seeds = tf.random.experimental.stateless_split(draw_seed(seed), 2)
    g1 = tf.random.stateless_gamma(_shape(shape), seed=seeds[0], alpha=tf.cast(alpha, compute),
                                   dtype=compute)
    g2 = tf.random.stateless_gamma(_shape(shape), seed=seeds[1], alpha=tf.cast(beta, compute),
                                   dtype=compute)
    out = g1 / (g1 + g2)
    return out if compute == dtype else tf.cast(out, dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    out = tf.random.stateless_binomial(
        _shape(shape), seed=draw_seed(seed),
        counts=tf.cast(counts, tf.float32), probs=tf.cast(probabilities, tf.float32),
        output_dtype=tf.float32,
    )
    return tf.cast(out, dtype)
