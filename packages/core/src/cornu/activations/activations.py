"""Activation functions, written against ``cornu.ops`` (Keras 3 names and arguments)."""
from cornu import ops


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), with optional leaky slope, cap and threshold (Keras semantics)."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    x = ops.convert_to_tensor(x)
    if threshold != 0.0:
        positive = ops.where(ops.greater(x, threshold), x, ops.zeros_like(x))
    else:
        positive = ops.relu(x)
    if max_value is not None:
        positive = ops.minimum(positive, max_value)
    if negative_slope != 0.0:
        negative = ops.multiply(negative_slope, ops.minimum(ops.subtract(x, threshold), 0.0))
        return ops.add(positive, negative)
    return positive


def leaky_relu(x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    return ops.relu6(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis=axis)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha=alpha)


def selu(x):
    return ops.selu(x)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return ops.softsign(x)


def silu(x):
    return ops.silu(x)


swish = silu


def gelu(x, approximate=False):
    return ops.gelu(x, approximate=approximate)


def celu(x, alpha=1.0):
    x = ops.convert_to_tensor(x)
    return ops.add(ops.relu(x), ops.minimum(0.0, ops.multiply(alpha, ops.subtract(ops.exp(ops.divide(x, alpha)), 1.0))))


def glu(x, axis=-1):
    a, b = ops.split(x, 2, axis=axis)
    return ops.multiply(a, ops.sigmoid(b))


def tanh(x):
    return ops.tanh(x)


def tanh_shrink(x):
    return ops.subtract(x, ops.tanh(x))


def hard_tanh(x):
    return ops.clip(x, -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    x = ops.convert_to_tensor(x)
    return ops.where(ops.greater(ops.abs(x), threshold), x, ops.zeros_like(x))


def soft_shrink(x, threshold=0.5):
    x = ops.convert_to_tensor(x)
    shrunk = ops.multiply(ops.sign(x), ops.maximum(ops.subtract(ops.abs(x), threshold), 0.0))
    return shrunk


def threshold(x, threshold, default_value):
    x = ops.convert_to_tensor(x)
    return ops.where(ops.greater(x, threshold), x, ops.full_like(x, default_value))


def sigmoid(x):
    return ops.sigmoid(x)


def sparse_sigmoid(x):
    """0 for x <= -1, 1 for x >= 1, and (x + 1) / 2 in between."""
    x = ops.convert_to_tensor(x)
    return ops.clip(ops.multiply(ops.add(x, 1.0), 0.5), 0.0, 1.0)


def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Like softmax its outputs sum to 1, but it can give exact zeros (Martins and
    Astudillo, 2016): ``max(x - tau, 0)`` with ``tau`` chosen so the sum is 1.
    """
    x = ops.convert_to_tensor(x)
    ranked = ops.flip(ops.sort(x, axis=axis), axis=axis)  # descending
    cumulative = ops.cumsum(ranked, axis=axis)
    size = x.shape[axis]
    shape = [1] * len(x.shape)
    shape[axis] = size
    k = ops.reshape(ops.arange(1, size + 1, dtype=x.dtype), shape)
    support = ops.greater(ops.multiply(k, ranked), ops.subtract(cumulative, 1.0))
    count = ops.sum(ops.cast(support, x.dtype), axis=axis, keepdims=True)
    total = ops.sum(ops.where(support, ranked, ops.zeros_like(ranked)), axis=axis, keepdims=True)
    tau = ops.divide(ops.subtract(total, 1.0), count)
    return ops.maximum(ops.subtract(x, tau), 0.0)


def log_sigmoid(x):
    return ops.negative(ops.softplus(ops.negative(x)))


def exponential(x):
    return ops.exp(x)


def hard_sigmoid(x):
    return ops.hard_sigmoid(x)


def hard_silu(x):
    return ops.hard_silu(x)


hard_swish = hard_silu


def mish(x):
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def sparse_plus(x):
    x = ops.convert_to_tensor(x)
    mid = ops.multiply(0.25, ops.square(ops.add(x, 1.0)))
    return ops.where(ops.less_equal(x, -1.0), ops.zeros_like(x),
                     ops.where(ops.greater_equal(x, 1.0), x, mid))


def squareplus(x, b=4):
    x = ops.convert_to_tensor(x)
    return ops.divide(ops.add(x, ops.sqrt(ops.add(ops.square(x), b))), 2.0)


def linear(x):
    """The identity: returns its input unchanged."""
    return x


ALL_ACTIVATIONS = (
    relu, leaky_relu, relu6, softmax, log_softmax, elu, selu, softplus, softsign, silu,
    gelu, celu, glu, tanh, tanh_shrink, hard_tanh, hard_shrink, soft_shrink, threshold,
    sigmoid, sparse_sigmoid, sparsemax, log_sigmoid, exponential, hard_sigmoid, hard_silu, mish, sparse_plus,
    squareplus, linear,
)
ALIASES = {"swish": silu, "hard_swish": hard_silu}
