"""``cornu.Variable`` on the backend's native variable (``core.make_variable``,
``assign``, ``assign_add``, ``assign_sub``, ``set_trainable``)."""
import numpy as np
import pytest

import cornu
from cornu import backend, ops


def test_create_from_a_value():
    v = cornu.Variable(np.array([[1.0, 2.0], [3.0, 4.0]], "float32"), name="kernel")
    assert v.name == "kernel" and v.trainable
    assert v.dtype == "float32" and tuple(v.shape) == (2, 2) and v.ndim == 2
    np.testing.assert_array_equal(v.numpy(), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(ops.convert_to_numpy(v), [[1, 2], [3, 4]])
    assert backend.standardize_dtype(ops.convert_to_tensor(v).dtype) == "float32"


def test_create_from_an_initializer():
    v = cornu.Variable(lambda shape, dtype: np.full(shape, 0.5, dtype), shape=(3,),
                       dtype="float32", trainable=False)
    assert not v.trainable and tuple(v.shape) == (3,)
    np.testing.assert_array_equal(v.numpy(), [0.5] * 3)
    with pytest.raises(ValueError, match="shape"):
        cornu.Variable(lambda shape, dtype: np.zeros(shape, dtype))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "bool"])
def test_dtypes(dtype):
    v = cornu.Variable(np.zeros((2,), dtype), dtype=dtype)
    assert v.dtype == dtype
    assert v.numpy().dtype == np.dtype(dtype)


def test_assign_assign_add_assign_sub():
    v = cornu.Variable(np.zeros((2, 2), "float32"))
    v.assign(np.ones((2, 2), "float32"))
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 2)))
    v.assign_add(np.full((2, 2), 2.0, "float32"))
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 3.0))
    v.assign_sub(ops.ones((2, 2)))
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 2.0))
    v.assign(ops.multiply(v, 3.0))  # a tensor computed from the variable itself
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 6.0))
    assert v.dtype == "float32" and tuple(v.shape) == (2, 2)


def test_an_integer_counter():
    v = cornu.Variable(np.array(0, "int64"), dtype="int64", trainable=False)
    for _ in range(3):
        v.assign_add(1)
    assert int(v.numpy()) == 3 and v.dtype == "int64"


def test_variables_in_ops():
    v = cornu.Variable(np.array([1.0, -2.0, 3.0], "float32"))
    np.testing.assert_allclose(ops.convert_to_numpy(ops.add(v, 1.0)), [2, -1, 4])
    np.testing.assert_allclose(ops.convert_to_numpy(ops.matmul(v, ops.ones((3, 2)))),
                               [2.0, 2.0])
    np.testing.assert_allclose(ops.convert_to_numpy(ops.relu(v)), [1, 0, 3])


def test_trainable_can_change():
    v = cornu.Variable(np.zeros(2, "float32"))
    v.trainable = False
    assert not v.trainable
    v.trainable = True
    assert v.trainable


def test_a_layer_tracks_its_weights():
    class Scale(cornu.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
            self.n = self.add_weight(shape=(), initializer="zeros", trainable=False, name="n")

        def call(self, x):
            return x * self.w

    layer = Scale()
    out = layer(np.full((2, 3), 2.0, "float32"))
    np.testing.assert_allclose(ops.convert_to_numpy(out), np.full((2, 3), 2.0))
    assert [w.name for w in layer.trainable_weights] == ["w"]
    assert [w.name for w in layer.non_trainable_weights] == ["n"]
    layer.set_weights([np.array([1.0, 2.0, 3.0], "float32"), np.array(5.0, "float32")])
    np.testing.assert_allclose(ops.convert_to_numpy(layer(np.ones((1, 3), "float32"))),
                               [[1, 2, 3]])
    np.testing.assert_allclose(layer.get_weights()[1], 5.0)
