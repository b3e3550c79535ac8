"""The trainer primitive ``value_and_grad(fn, variables)`` against analytic gradients.

Only for a backend that declares ``"gradients"``; one that does not is checked for
inference only (its ``fit`` is not run either, see test_trainer.py).
"""
import numpy as np
import pytest

import cornu
from cornu import backend, ops

pytestmark = pytest.mark.capability("gradients")


def value_and_grad(fn, variables):
    return backend.get_backend().trainer.value_and_grad(fn, variables)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_square_sum_and_aux():
    v = cornu.Variable(np.array([1.0, -2.0, 3.0], "float32"))

    def fn():
        loss = ops.sum(ops.square(v))
        return loss, ("aux", loss)

    (tag, loss), grads = value_and_grad(fn, [v])
    assert tag == "aux" and float(_np(loss)) == pytest.approx(14.0)
    assert len(grads) == 1
    np.testing.assert_allclose(_np(grads[0]), [2.0, -4.0, 6.0], rtol=1e-6)


def test_a_dense_tanh_layer(rng):
    x = rng.standard_normal((5, 3)).astype("float32")
    w = cornu.Variable(rng.standard_normal((3, 2)).astype("float32"))
    b = cornu.Variable(np.zeros(2, "float32"))

    def fn():
        y = ops.tanh(ops.add(ops.matmul(x, w), b))
        return ops.sum(y), y

    _, (gw, gb) = value_and_grad(fn, [w, b])
    d = 1 - np.tanh(x @ w.numpy() + b.numpy()) ** 2
    np.testing.assert_allclose(_np(gw), x.T @ d, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(gb), d.sum(0), rtol=1e-4, atol=1e-5)


def test_softmax_crossentropy(rng):
    logits = cornu.Variable(rng.standard_normal((4, 3)).astype("float32"))
    labels = np.array([0, 2, 1, 2], "int32")

    def fn():
        loss = ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True))
        return loss, None

    _, (g,) = value_and_grad(fn, [logits])
    p = np.exp(logits.numpy())
    p /= p.sum(-1, keepdims=True)
    expected = (p - np.eye(3)[labels]) / 4
    np.testing.assert_allclose(_np(g), expected, rtol=1e-4, atol=1e-6)


def test_only_the_given_variables_and_stop_gradient():
    a = cornu.Variable(np.array([2.0, 3.0], "float32"))
    b = cornu.Variable(np.array([5.0, 7.0], "float32"))

    def fn():
        return ops.sum(ops.multiply(a, ops.stop_gradient(b)) + ops.square(b)), None

    _, (ga,) = value_and_grad(fn, [a])
    np.testing.assert_allclose(_np(ga), [5.0, 7.0])
    _, (gb,) = value_and_grad(fn, [b])  # stop_gradient(b) contributes nothing
    np.testing.assert_allclose(_np(gb), [10.0, 14.0])


def test_no_accumulation_between_calls():
    v = cornu.Variable(np.array([1.0, 2.0], "float32"))

    def fn():
        return ops.sum(ops.multiply(v, 3.0)), None

    first = _np(value_and_grad(fn, [v])[1][0])
    second = _np(value_and_grad(fn, [v])[1][0])
    np.testing.assert_allclose(first, [3.0, 3.0])
    np.testing.assert_allclose(second, first)


def test_through_a_layer(rng):
    class Affine(cornu.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="ones")

        def call(self, x):
            return ops.matmul(x, self.w)

    layer = Affine()
    x = rng.standard_normal((4, 2)).astype("float32")
    layer(x)

    def fn():
        return ops.mean(ops.square(layer(x))), None

    _, (g,) = value_and_grad(fn, layer.trainable_variables)
    y = x @ np.ones((2, 1))
    np.testing.assert_allclose(_np(g), 2 * x.T @ y / 4, rtol=1e-4, atol=1e-6)
