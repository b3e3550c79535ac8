"""``cornu.random`` gamma, beta and binomial (and the moments of the other samplers),
checked statistically against their closed-form moments, plus dtypes and seeding."""
import inspect
import math

import numpy as np
import pytest

import cornu.random as random
from cornu import ops

N = 40000


def to_np(x):
    return np.asarray(ops.convert_to_numpy(x), dtype="float64")


def dtype_name(x):
    return ops.standardize_dtype(x.dtype)


def assert_moments(samples, mean, var, sigmas=6.0):
    """Column-wise sample mean and variance within ``sigmas`` standard errors.

    The standard errors come from the samples themselves (the variance's uses the
    fourth central moment), so the bound holds for any distribution.
    """
    samples = samples.reshape(samples.shape[0], -1)
    mean = np.broadcast_to(np.asarray(mean, "float64"), samples.shape[1:])
    var = np.broadcast_to(np.asarray(var, "float64"), samples.shape[1:])
    n = samples.shape[0]
    got_mean = samples.mean(axis=0)
    centered = samples - got_mean
    got_var = (centered ** 2).mean(axis=0)
    m4 = (centered ** 4).mean(axis=0)
    se_mean = np.sqrt(got_var / n)
    se_var = np.sqrt(np.maximum(m4 - got_var ** 2, 1e-30) / n)
    assert np.all(np.abs(got_mean - mean) <= sigmas * se_mean + 1e-6), (got_mean, mean)
    assert np.all(np.abs(got_var - var) <= sigmas * se_var + 1e-6), (got_var, var)


# -- gamma, beta, binomial ---------------------------------------------------------------
def test_gamma_moments_with_broadcast_alpha():
    alpha = np.array([0.3, 1.0, 4.5], "float32")
    x = to_np(random.gamma((N, 3), alpha=alpha, seed=1))
    assert x.shape == (N, 3) and x.min() > 0
    assert_moments(x, alpha, alpha)  # mean = var = alpha for unit scale
    # the third moment too: skewness 2 / sqrt(alpha)
    skew = ((x - x.mean(0)) ** 3).mean(0) / x.var(0) ** 1.5
    np.testing.assert_allclose(skew, 2 / np.sqrt(alpha), rtol=0.15)


def test_beta_moments():
    a = np.array([0.5, 2.0, 5.0])
    b = 3.0
    x = to_np(random.beta((N, 3), alpha=a, beta=b, seed=2))
    assert x.min() >= 0 and x.max() <= 1
    assert_moments(x, a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1)))
    # Beta(1, 1) is uniform: its deciles are evenly spaced.
    u = to_np(random.beta((N,), 1.0, 1.0, seed=3))
    np.testing.assert_allclose(np.quantile(u, np.linspace(0.1, 0.9, 9)),
                               np.linspace(0.1, 0.9, 9), atol=0.015)


def test_binomial_moments_and_support():
    counts = np.array([1.0, 7.0, 30.0])
    probs = np.array([0.5, 0.1, 0.8])
    x = to_np(random.binomial((N, 3), counts=counts, probabilities=probs, seed=4))
    assert np.all(x == np.round(x)) and x.min() >= 0 and np.all(x.max(0) <= counts)
    assert_moments(x, counts * probs, counts * probs * (1 - probs))
    assert np.all(to_np(random.binomial((50,), 5, 0.0, seed=5)) == 0)
    assert np.all(to_np(random.binomial((50,), 5, 1.0, seed=5)) == 5)


# -- the other samplers: variances as well as means ---------------------------------------
def test_normal_uniform_truncated_variances():
    assert_moments(to_np(random.normal((N,), mean=1.5, stddev=2.0, seed=6)), 1.5, 4.0)
    assert_moments(to_np(random.uniform((N,), minval=-2.0, maxval=4.0, seed=7)),
                   1.0, 36.0 / 12)
    # A normal truncated at two standard deviations: var = 1 - 2 * 2 phi(2) / (2 Phi(2) - 1).
    phi2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    var = 1 - 4 * phi2 / mass
    assert_moments(to_np(random.truncated_normal((N,), mean=-1.0, stddev=3.0, seed=8)),
                   -1.0, 9.0 * var)


def test_randint_and_categorical_frequencies():
    x = to_np(random.randint((N,), -3, 5, seed=9))
    assert x.min() == -3 and x.max() == 4
    assert_moments(x, 0.5, (8 ** 2 - 1) / 12)
    p = np.array([0.05, 0.15, 0.3, 0.5])
    draws = to_np(random.categorical(np.log(p)[None], N, seed=10))[0].astype(int)
    freq = np.bincount(draws, minlength=4) / N
    assert np.all(np.abs(freq - p) <= 6 * np.sqrt(p * (1 - p) / N)), freq


# -- dtypes ---------------------------------------------------------------------------------
SAMPLERS = {
    "gamma": lambda dtype, seed: random.gamma((200,), alpha=0.7, dtype=dtype, seed=seed),
    "beta": lambda dtype, seed: random.beta((200,), 0.4, 0.6, dtype=dtype, seed=seed),
    "binomial": lambda dtype, seed: random.binomial((200,), 12, 0.3, dtype=dtype, seed=seed),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("dtype", [None, "float16", "bfloat16", "float32", "float64"])
def test_dtypes(name, dtype):
    out = SAMPLERS[name](dtype, 11)
    assert dtype_name(out) == (dtype or "float32")
    values = to_np(out)
    assert values.shape == (200,) and np.all(np.isfinite(values)) and values.min() >= 0
    if name == "beta":
        assert values.max() <= 1


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_integer_dtype_is_refused(name):
    with pytest.raises(ValueError, match="float dtype"):
        SAMPLERS[name]("int32", 1)


# -- seeding -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_int_seeds_reproduce(name):
    a = to_np(SAMPLERS[name](None, 21))
    np.testing.assert_array_equal(to_np(SAMPLERS[name](None, 21)), a)
    assert not np.array_equal(to_np(SAMPLERS[name](None, 22)), a)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_seed_generators_advance_and_agree(name):
    g1, g2 = random.SeedGenerator(31), random.SeedGenerator(31)
    first = to_np(SAMPLERS[name](None, g1))
    second = to_np(SAMPLERS[name](None, g1))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(to_np(SAMPLERS[name](None, g2)), first)
    np.testing.assert_array_equal(to_np(SAMPLERS[name](None, g2)), second)
    other = to_np(SAMPLERS[name](None, random.SeedGenerator(32)))
    assert not np.array_equal(other, first)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_global_seed_makes_unseeded_draws_reproducible(name):
    from cornu.utils import set_random_seed

    set_random_seed(41)
    a, b = to_np(SAMPLERS[name](None, None)), to_np(SAMPLERS[name](None, None))
    assert not np.array_equal(a, b)
    set_random_seed(41)
    np.testing.assert_array_equal(to_np(SAMPLERS[name](None, None)), a)
    np.testing.assert_array_equal(to_np(SAMPLERS[name](None, None)), b)


def test_compiled_draws_advance_and_match_eager(compiled):
    eager, traced = random.SeedGenerator(51), random.SeedGenerator(51)
    fn = compiled(lambda: (random.gamma((6,), 2.0, seed=traced),
                           random.beta((6,), 2.0, 3.0, seed=traced),
                           random.binomial((6,), 9, 0.4, seed=traced)))
    previous = None
    for _ in range(2):
        got = [to_np(t) for t in fn()]
        want = [to_np(random.gamma((6,), 2.0, seed=eager)),
                to_np(random.beta((6,), 2.0, 3.0, seed=eager)),
                to_np(random.binomial((6,), 9, 0.4, seed=eager))]
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
        assert previous is None or not np.array_equal(previous, got[0])
        previous = got[0]


def test_signatures_match_keras():
    keras = pytest.importorskip("keras")
    for name in ("gamma", "beta", "binomial", "normal", "uniform", "truncated_normal",
                 "randint", "categorical", "dropout", "shuffle"):
        assert str(inspect.signature(getattr(random, name))) == str(
            inspect.signature(getattr(keras.random, name))), name
    missing = [n for n in dir(keras.random) if not n.startswith("_") and not hasattr(random, n)]
    assert missing == []
