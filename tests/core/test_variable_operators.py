"""Python operators between backend tensors and cornu Variables inside ``call``.

Regression: on TensorFlow, ``x * self.w`` (``x`` a tf.Tensor, ``self.w`` from
``add_weight``) went through TensorFlow's ``__array__`` fallback: a host copy that
dropped the gradient in eager mode and failed (``numpy()`` in a graph) when a
functional model was built from ``cornu.Input``.  The TF backend now registers a
tensor conversion for Variables.  References: numpy values and the analytic
gradients, on both backends.
"""
import numpy as np
import pytest

import cornu
from cornu import ops

# name -> (the operator in `call`, numpy value, d sum(out) / d w in numpy)
OPERATORS = {
    "x*w": (lambda x, w: x * w, lambda x, w: x * w, lambda x, w: x.sum(0)),
    "w*x": (lambda x, w: w * x, lambda x, w: w * x, lambda x, w: x.sum(0)),
    "x+w": (lambda x, w: x + w, lambda x, w: x + w,
            lambda x, w: np.full_like(w, len(x))),
    "x-w": (lambda x, w: x - w, lambda x, w: x - w,
            lambda x, w: np.full_like(w, -len(x))),
    "x/w": (lambda x, w: x / w, lambda x, w: x / w, lambda x, w: -x.sum(0) / w ** 2),
}


class Elementwise(cornu.Layer):
    def __init__(self, op, **kwargs):
        super().__init__(**kwargs)
        self.op = op

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return OPERATORS[self.op][0](x, self.w)


class MatMul(cornu.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 2), name="w")

    def call(self, x):
        return x @ self.w


def gradient(backend_name, fn, variable):
    """d sum(fn()) / d variable, as numpy."""
    if backend_name == "torch":
        variable.value.grad = None
        ops.sum(fn()).backward()
        return variable.value.grad.numpy()
    import tensorflow as tf

    with tf.GradientTape() as tape:
        y = tf.reduce_sum(fn())
    grad = tape.gradient(y, variable.value)
    assert grad is not None, "the gradient did not reach the variable"
    return grad.numpy()


@pytest.fixture
def x(rng):
    return (rng.random((4, 3)) + 0.5).astype("float32")


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_in_a_functional_model(backend_name, x, name):
    _, np_value, np_grad = OPERATORS[name]
    inputs = cornu.Input((3,))
    layer = Elementwise(name)
    outputs = layer(inputs)  # traced symbolically (a TF graph on TensorFlow)
    assert tuple(outputs.shape) == (None, 3) and outputs.dtype == "float32"
    model = cornu.Model(inputs, outputs)
    w = (np.arange(3, dtype="float32") + 1.0) / 2
    layer.w.assign(w)
    np.testing.assert_allclose(ops.convert_to_numpy(model(x)), np_value(x, w), rtol=1e-6)
    # The gradient reaches the variable (no host copy on the way).
    tensor_x = ops.convert_to_tensor(x)
    np.testing.assert_allclose(gradient(backend_name, lambda: model(tensor_x), layer.w),
                               np_grad(x, w), rtol=1e-5)


def test_matmul_in_a_functional_model_and_a_compiled_step(backend_name, x):
    inputs = cornu.Input((3,))
    layer = MatMul()
    model = cornu.Model(inputs, layer(inputs))
    w = layer.w.numpy()
    np.testing.assert_allclose(ops.convert_to_numpy(model(x)), x @ w, rtol=1e-5)
    tensor_x = ops.convert_to_tensor(x)
    expected_grad = np.repeat(x.sum(0)[:, None], 2, axis=1)  # d sum(x @ w) / d w
    np.testing.assert_allclose(gradient(backend_name, lambda: model(tensor_x), layer.w),
                               expected_grad, rtol=1e-5)
    if backend_name == "tensorflow":  # the trainer's path: the model inside tf.function
        import tensorflow as tf

        np.testing.assert_allclose(tf.function(model)(tensor_x).numpy(), x @ w, rtol=1e-5)


def test_operators_read_the_autocast_dtype(x):
    # Under a mixed policy the variable reads in the compute dtype inside `call`.
    inputs = cornu.Input((3,))
    layer = Elementwise("x*w", dtype="mixed_bfloat16")
    outputs = layer(inputs)
    assert outputs.dtype == "bfloat16"
    y = cornu.Model(inputs, outputs)(x)
    assert ops.standardize_dtype(ops.dtype(y)) == "bfloat16"
    assert layer.w.dtype == "float32"
    np.testing.assert_allclose(ops.convert_to_numpy(ops.cast(y, "float32")), x, rtol=1e-2)


def test_convert_to_numpy_of_a_variable_is_a_snapshot():
    """The array does not follow later assignments (Keras 3 copies on every backend)."""
    v = cornu.Variable(np.zeros(3, "float32"))
    taken = ops.convert_to_numpy(v)
    from_value = ops.convert_to_numpy(v.value)
    v.assign(np.ones(3, "float32"))
    np.testing.assert_array_equal(taken, np.zeros(3))
    np.testing.assert_array_equal(from_value, np.zeros(3))
    np.testing.assert_array_equal(ops.convert_to_numpy(v), np.ones(3))
