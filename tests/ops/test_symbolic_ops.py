"""``cornu.ops`` on symbolic tensors: shapes, dtypes, graph nodes, Functional models, configs."""
import inspect
import json

import numpy as np
import pytest

import cornu
from cornu import ops, tree
from cornu.symbolic import KerasTensor


def to_np(x):
    if isinstance(x, (tuple, list)):
        return type(x)(to_np(e) for e in x)
    return np.asarray(ops.convert_to_numpy(x))


# name -> (op on inputs, input shapes (batch dim first), input dtypes)
CASES = {
    "exp_sum": (lambda x: ops.sum(ops.exp(x), axis=-1), [(3, 4)], None),
    "mean_keepdims": (lambda x: ops.mean(x, axis=(1, 2), keepdims=True), [(3, 4)], None),
    "matmul": (lambda x, w: ops.matmul(x, w), [(3, 4), (4, 5)], None),
    "concatenate": (lambda x, y: ops.concatenate([x, y], axis=1), [(3, 4), (2, 4)], None),
    "reshape_transpose": (lambda x: ops.transpose(ops.reshape(x, (-1, 2, 6)), (0, 2, 1)),
                          [(3, 4)], None),
    "get_item": (lambda x: x[:, 1:, ::2], [(3, 4)], None),
    "cast": (lambda x: ops.cast(x, "float16"), [(3,)], None),
    "argmax": (lambda x: ops.argmax(x, axis=-1), [(3, 4)], None),
    "compare": (lambda x, y: ops.logical_and(x > 0, y <= 1), [(3,), (3,)], None),
    "where_scalar": (lambda x: ops.where(x > 0.5, 1.0, x), [(2, 2)], None),
    "split": (lambda x: ops.split(x, 2, axis=-1), [(3, 4)], None),
    "top_k": (lambda x: ops.top_k(x, 2), [(5,)], None),
    "one_hot": (lambda i: ops.one_hot(i, 6), [(3,)], ["int32"]),
    "take": (lambda x: ops.take(x, np.array([0, 2, 1]), axis=1), [(5, 2)], None),
    "take_along_axis": (lambda x, i: ops.take_along_axis(x, i, axis=1), [(5, 2), (3, 2)],
                        ["float32", "int32"]),
    "relu_softmax": (lambda x: ops.nn.softmax(ops.nn.relu(x)), [(3, 4)], None),
    "conv": (lambda x: ops.nn.conv(x, np.ones((3, 3, 3, 5), "float32") / 9, strides=2,
                                   padding="same"), [(8, 8, 3)], None),
    "max_pool": (lambda x: ops.nn.max_pool(x, 2, 2), [(8, 6, 3)], None),
    "qr": (lambda x: ops.linalg.qr(x), [(4, 3)], None),
    "resize": (lambda x: ops.image.resize(x, (5, 7)), [(4, 4, 3)], None),
    "rearrange": (lambda x: ops.rearrange(x, "b (h p) w -> b h (p w)", p=2), [(4, 3)], None),
    "operators": (lambda x, y: (-x + 2.0) * y / 3.0 - abs(y) ** 2 + (x @ ops.ones((4, 4))),
                  [(3, 4), (3, 4)], None),
}


def _inputs(shapes, dtypes, rng, batch=2):
    dtypes = dtypes or ["float32"] * len(shapes)
    arrays = []
    for shape, dtype in zip(shapes, dtypes):
        if dtype == "int32":
            arrays.append(rng.integers(0, 3, (batch,) + shape).astype("int32"))
        else:
            arrays.append(rng.standard_normal((batch,) + shape).astype(dtype))
    return arrays


@pytest.mark.parametrize("case", list(CASES))
def test_symbolic_shapes_and_dtypes_match_eager(case, rng):
    fn, shapes, dtypes = CASES[case]
    symbols = [cornu.Input(shape, dtype=d) for shape, d in
               zip(shapes, dtypes or ["float32"] * len(shapes))]
    out = fn(*symbols)
    eager = fn(*[ops.convert_to_tensor(a) for a in _inputs(shapes, dtypes, rng)])
    flat_out, flat_eager = tree.flatten(out), tree.flatten(eager)
    assert len(flat_out) == len(flat_eager)
    for sym, real in zip(flat_out, flat_eager):
        assert isinstance(sym, KerasTensor)
        # Every output keeps the unknown batch dimension (all inputs are batched).
        assert sym.shape == (None,) + tuple(real.shape)[1:], (sym.shape, real.shape)
        assert sym.dtype == ops.standardize_dtype(real.dtype)
        assert sym._keras_history is not None  # recorded as a node


@pytest.mark.parametrize("case", list(CASES))
def test_functional_model_runs_the_ops(case, rng):
    fn, shapes, dtypes = CASES[case]
    symbols = [cornu.Input(shape, dtype=d) for shape, d in
               zip(shapes, dtypes or ["float32"] * len(shapes))]
    out = fn(*symbols)
    model = cornu.Model(symbols, out)
    assert model.layers == [s._keras_history[0] for s in symbols]  # ops are no layers
    arrays = _inputs(shapes, dtypes, rng, batch=3)
    expected = to_np(fn(*[ops.convert_to_tensor(a) for a in arrays]))
    got = model.predict(arrays, verbose=0)
    for g, e in zip(tree.flatten(got), tree.flatten(expected)):
        np.testing.assert_allclose(np.asarray(g, dtype="float64"), np.asarray(e, "float64"),
                                   rtol=1e-4, atol=1e-4)
    # The config round trip (through JSON) rebuilds the same graph.
    config = json.loads(json.dumps(model.get_config()))
    clone = cornu.Model.from_config(config)
    again = clone.predict(arrays, verbose=0)
    for g, e in zip(tree.flatten(again), tree.flatten(got)):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-6)
    assert json.loads(json.dumps(clone.get_config()))["layers"] == config["layers"]


def test_ops_against_numpy_in_a_model(rng):
    x = cornu.Input((3, 4))
    y = cornu.Input((4,))
    z = ops.sum(ops.exp(x), axis=-1)
    w = ops.concatenate([z, y], axis=1)[:, 1:3]
    model = cornu.Model([x, y], [ops.cast(w, "float16"), ops.matmul(x, ops.expand_dims(y, -1))])
    assert model.output_shape == [(None, 2), (None, 3, 1)]
    a = rng.random((2, 3, 4)).astype("float32")
    b = rng.random((2, 4)).astype("float32")
    out = model.predict([a, b], verbose=0)
    expected = np.concatenate([np.exp(a).sum(-1), b], 1)[:, 1:3]
    assert out[0].dtype == np.float16
    np.testing.assert_allclose(out[0], expected, rtol=2e-3)
    np.testing.assert_allclose(out[1], a @ b[..., None], rtol=1e-5)


class Scale(cornu.Layer):
    """A core-only layer (a weight per feature) to mix layers and ops in one graph."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return ops.multiply(x, self.w)


def test_layers_and_ops_mixed_save_and_load(tmp_path, rng):
    x = cornu.Input((4,))
    h = Scale()(ops.nn.relu(x) + 1.0)
    out = ops.sum(h * h, axis=-1, keepdims=True)
    model = cornu.Model(x, out)
    model.layers[1].w.assign(np.array([1.0, 2.0, 3.0, 4.0], "float32"))
    a = rng.standard_normal((5, 4)).astype("float32")
    expected = np.sum(((np.maximum(a, 0) + 1) * [1, 2, 3, 4]) ** 2, -1, keepdims=True)
    np.testing.assert_allclose(model.predict(a, verbose=0), expected, rtol=1e-5)
    path = tmp_path / "ops.keras"
    model.save(path)
    loaded = cornu.saving.load_model(path, custom_objects={"Scale": Scale})
    np.testing.assert_allclose(loaded.predict(a, verbose=0), expected, rtol=1e-5)


def test_wrong_shapes_fail_at_build_time_naming_op_and_shapes():
    x = cornu.Input((3, 4))
    y = cornu.Input((5, 2))
    with pytest.raises(ValueError, match=r"cornu\.ops\.matmul.*\(None, 3, 4\).*\(None, 5, 2\)"):
        ops.matmul(x, y)
    with pytest.raises(ValueError, match=r"cornu\.ops\.add"):
        ops.add(x, y)


def test_static_queries_need_no_node():
    x = cornu.Input((3, 4), dtype="int32")
    assert ops.shape(x) == (None, 3, 4)
    assert ops.dtype(x) == "int32"
    assert ops.ndim(x) == 3
    assert not ops.is_tensor(x)
    assert not x._keras_history[0]._outbound_nodes
    with pytest.raises(ValueError, match="symbolic"):
        ops.convert_to_numpy(x)


def test_control_flow_ops_on_symbolic_inputs(rng):
    x = cornu.Input((4,))
    carry, ys = ops.scan(lambda c, v: (c + v, c * v), x[:, 0] * 0.0, ops.transpose(x))
    assert carry.shape == (None,) and ys.shape == (4, None)
    y = ops.cond(True, lambda: ops.cumsum(x, axis=1), lambda: x)
    model = cornu.Model(x, [carry, y])
    a = rng.standard_normal((3, 4)).astype("float32")
    out = model.predict(a, verbose=0)
    np.testing.assert_allclose(out[0], a.sum(1), rtol=1e-5)
    np.testing.assert_allclose(out[1], np.cumsum(a, 1), rtol=1e-5)
    with pytest.raises(TypeError, match="cannot be saved"):
        model.get_config()  # a Python function is no config


def test_eager_path_is_the_backend_function_signature():
    from cornu.backend import get_backend

    backend = get_backend()
    for name, namespace in (("add", "numpy"), ("matmul", "numpy"), ("relu", "nn"),
                            ("sum", "numpy"), ("cond", "core")):
        front = getattr(ops, name)
        raw = getattr(getattr(backend, namespace), name)
        assert front.__wrapped__ is raw
        assert inspect.signature(front) == inspect.signature(raw)
        assert getattr(getattr(ops, namespace), name) is front  # one front per op
    a = np.ones((2, 2), "float32")
    np.testing.assert_array_equal(to_np(ops.add(a, a)), to_np(backend.numpy.add(a, a)))
    # Genuine errors on real tensors propagate unchanged.
    with pytest.raises(Exception) as err:
        ops.matmul(np.ones((2, 3), "float32"), np.ones((2, 3), "float32"))
    assert "symbolic" not in str(err.value)


def test_keras_reads_cornu_op_graphs_and_back(rng):
    keras = pytest.importorskip("keras")
    x = cornu.Input((3, 4))
    y = ops.transpose(ops.reshape(x, (-1, 2, 6)), (0, 2, 1))
    outputs = [ops.where(y > 0.5, 1.0, y), ops.split(x, 2, axis=-1)[1], ops.add(x, 2.0),
               ops.sum(x, axis=(1, 2), keepdims=True), x[:, 1:, ::2]]
    model = cornu.Model(x, outputs)
    config = json.loads(json.dumps(model.get_config()))
    assert config["layers"][1]["module"] == "keras.src.ops.numpy"
    assert config["layers"][1]["class_name"] == "Reshape"
    keras_model = keras.Model.from_config(config)
    a = rng.random((2, 3, 4)).astype("float32")
    expected = keras_model.predict(a, verbose=0)
    for got, want in zip(model.predict(a, verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    back = cornu.Model.from_config(json.loads(json.dumps(keras_model.get_config())))
    for got, want in zip(back.predict(a, verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_clone_model_and_summary_show_op_nodes(rng):
    x = cornu.Input((4,))
    model = cornu.Model(x, ops.sum(ops.exp(x) * 2.0, axis=-1))
    clone = cornu.models.clone_model(model)
    a = rng.random((3, 4)).astype("float32")
    np.testing.assert_allclose(clone.predict(a, verbose=0), np.sum(np.exp(a) * 2, -1), rtol=1e-5)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for kind in ("(Exp)", "(Multiply)", "(Sum)"):
        assert kind in text, text
    assert "Total params: 0" in text
