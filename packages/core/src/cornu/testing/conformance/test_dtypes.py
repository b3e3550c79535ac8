"""The dtypes ops produce: Keras 3's type promotion and defaults, on any backend."""
import numpy as np
import pytest

from cornu import backend, ops


def _i(dtype):
    return np.array([1, 2, 3], dtype)


def _f(dtype):
    return np.array([0.5, 1.5, 2.5], dtype)


#: (id, call, expected dtype name)
RESULTS = [
    ("add-int32-float32", lambda: ops.add(_i("int32"), _f("float32")), "float32"),
    ("add-int8-int16", lambda: ops.add(_i("int8"), _i("int16")), "int16"),
    ("add-uint8-int8", lambda: ops.add(_i("uint8"), _i("int8")), "int16"),
    ("multiply-float16-float32", lambda: ops.multiply(_f("float16"), _f("float32")), "float32"),
    ("add-float16-python-float", lambda: ops.add(_f("float16"), 1.5), "float16"),
    ("add-int32-python-int", lambda: ops.add(_i("int32"), 2), "int32"),
    ("add-int32-python-float", lambda: ops.add(_i("int32"), 2.5), "float32"),
    ("divide-int32-int32", lambda: ops.divide(_i("int32"), _i("int32")), "float32"),
    ("floor_divide-int32", lambda: ops.floor_divide(_i("int32"), _i("int32")), "int32"),
    ("sqrt-int32", lambda: ops.sqrt(_i("int32")), "float32"),
    ("mean-int32", lambda: ops.mean(_i("int32")), "float32"),
    ("sum-bool", lambda: ops.sum(np.array([True, False, True])), "int32"),
    ("abs-int8", lambda: ops.abs(_i("int8")), "int8"),
    ("matmul-int32", lambda: ops.matmul(np.ones((2, 2), "int32"), np.ones((2, 2), "int32")),
     "int32"),
    ("argmax", lambda: ops.argmax(_f("float32")), "int32"),
    ("argsort", lambda: ops.argsort(_f("float32")), "int32"),
    ("equal", lambda: ops.equal(_i("int32"), _i("int32")), "bool"),
    ("isnan", lambda: ops.isnan(_f("float32")), "bool"),
    ("arange-int", lambda: ops.arange(3), "int32"),
    ("arange-float", lambda: ops.arange(0.0, 1.0, 0.5), "float32"),
    ("ones-default", lambda: ops.ones((2,)), "float32"),
    ("zeros-int64", lambda: ops.zeros((2,), dtype="int64"), "int64"),
    ("full_like-float16", lambda: ops.full_like(_f("float16"), 2.0), "float16"),
    ("cast-float16", lambda: ops.cast(_f("float32"), "float16"), "float16"),
    ("cast-uint8", lambda: ops.cast(_f("float32"), "uint8"), "uint8"),
    ("one_hot", lambda: ops.one_hot(np.array([0, 1], "int32"), 3), "float32"),
    ("softmax-float16", lambda: ops.softmax(_f("float16")), "float16"),
    ("convert-int-list", lambda: ops.convert_to_tensor([1, 2]), "int32"),
    ("convert-float-list", lambda: ops.convert_to_tensor([1.0, 2.0]), "float32"),
    ("convert-float64-array", lambda: ops.convert_to_tensor(_f("float64")), "float64"),
    ("convert-bool-array", lambda: ops.convert_to_tensor(np.array([True])), "bool"),
    ("convert-with-dtype", lambda: ops.convert_to_tensor([1, 2], dtype="float32"), "float32"),
]


@pytest.mark.parametrize("call,expected", [r[1:] for r in RESULTS], ids=[r[0] for r in RESULTS])
def test_result_dtype(call, expected):
    out = call()
    assert backend.standardize_dtype(out.dtype) == expected
    assert ops.convert_to_numpy(out).dtype == np.dtype(expected)


def test_the_tensor_api():
    x = ops.convert_to_tensor(np.arange(6, dtype="float32").reshape(2, 3))
    assert ops.is_tensor(x) and not ops.is_tensor([1.0, 2.0])
    assert tuple(ops.shape(x)) == (2, 3)
    assert ops.ndim(x) == 2 and ops.size(x) == 6
    np.testing.assert_array_equal(ops.convert_to_numpy(x), np.arange(6).reshape(2, 3))
    assert backend.standardize_dtype(ops.dtype(x)) == "float32"
    assert isinstance(ops.device_name(), str) and ops.device_name()


def test_standardize_dtype_of_native_dtypes():
    for name in ("float16", "float32", "float64", "int8", "int32", "int64", "uint8", "bool"):
        native = ops.convert_to_tensor(np.zeros(1, name)).dtype
        assert backend.standardize_dtype(native) == name
