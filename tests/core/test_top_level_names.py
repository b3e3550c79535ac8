"""The remaining top-level Keras names (``cornu.Function``, ``cornu.Operation``,
``cornu.device``, ``cornu.StatelessScope``, ``cornu.SymbolicScope``) and the names the
lazily resolved modules list (``dir``, ``__all__``, ``from cornu.ops import *``).

The comparisons with Keras 3 import it in this process, on the same backend
(``pytest.importorskip("keras")``: tests/core also runs without Keras).
"""
import importlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cornu
from cornu import backend_spec, ops
from cornu.backend import get_backend


def needs(*families):
    for family in families:
        pytest.importorskip(f"cornu.{family}")


def np_(x):
    return np.asarray(ops.convert_to_numpy(x))


# -- the names themselves -------------------------------------------------------------------
def test_the_top_level_names_resolve_and_are_listed():
    from cornu import scopes, symbolic

    expected = {"StatelessScope": scopes.StatelessScope, "SymbolicScope": scopes.SymbolicScope,
                "device": scopes.device, "Function": symbolic.Function,
                "Operation": symbolic.Operation}
    for name, value in expected.items():
        assert getattr(cornu, name) is value
        assert name in dir(cornu) and name in cornu.__all__


def test_the_top_level_names_match_keras_signatures():
    keras = pytest.importorskip("keras")
    import inspect

    for name in ("StatelessScope", "Function", "device"):
        ours = list(inspect.signature(getattr(cornu, name)).parameters)
        theirs = list(inspect.signature(getattr(keras, name)).parameters)
        assert ours == theirs, name


# -- Operation --------------------------------------------------------------------------------
def test_layers_and_op_nodes_are_operations():
    needs("layers")
    dense = cornu.layers.Dense(2)
    assert isinstance(dense, cornu.Operation)
    assert issubclass(cornu.layers.Dense, cornu.Operation)
    assert isinstance(cornu.Sequential([cornu.layers.Dense(1)]), cornu.Operation)
    # Layer's own bases are untouched (the backend's nn.Module / trackable first).
    assert cornu.Operation not in type(dense).__mro__
    x = cornu.KerasTensor((None, 3))
    y = ops.sum(x, axis=1)
    node_op = y._keras_history[0]
    assert isinstance(node_op, cornu.Operation)
    assert not isinstance(np.zeros(2), cornu.Operation)
    assert not isinstance(cornu.Variable(np.zeros(2)), cornu.Operation)


def test_keras_says_the_same_about_its_layers():
    keras = pytest.importorskip("keras")
    assert isinstance(keras.layers.Dense(2), keras.Operation)


class Scale(cornu.Operation):
    """A custom op: ``call`` and ``compute_output_spec``, as Keras's guide writes one."""

    def __init__(self, factor, name=None):
        super().__init__(name=name)
        self.factor = factor

    def call(self, x):
        return ops.multiply(x, self.factor)

    def compute_output_spec(self, x):
        return cornu.KerasTensor(x.shape, dtype=x.dtype)


class Double(cornu.Operation):  # no compute_output_spec: call is traced on placeholders
    def call(self, x):
        return x * 2.0


def test_a_custom_operation_runs_eagerly_and_symbolically():
    op = Scale(3.0)
    assert op.name.startswith("scale")
    np.testing.assert_allclose(np_(op(np.ones((2, 2), "float32"))), np.full((2, 2), 3.0))
    x = cornu.KerasTensor((None, 4))
    y = op(x)
    assert isinstance(y, cornu.KerasTensor) and y.shape == (None, 4)
    assert y._keras_history[0] is op and op.output is y and op.input is x
    z = Double()(y)
    assert z.shape == (None, 4) and z.dtype == "float32"
    fn = cornu.Function(x, z)
    np.testing.assert_allclose(np_(fn(np.ones((5, 4), "float32"))), np.full((5, 4), 6.0))
    assert op.get_config() == {"name": op.name}
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        Double(name="a/b")
    with pytest.raises(AttributeError, match="has never been called"):
        _ = Double().output


def test_a_failing_trace_names_the_operation():
    class Broken(cornu.Operation):
        def call(self, x):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match=r"(?s)Could not automatically infer the output "
                       r"shape / dtype of 'broken.*'.*boom"):
        Broken()(cornu.KerasTensor((2, 3)))


# -- Function -------------------------------------------------------------------------------
def test_function_runs_the_graph_on_new_inputs(rng):
    a = cornu.KerasTensor((None, 2, 3))
    b = cornu.KerasTensor((None, 2, 3))
    out = ops.sigmoid(a + b)
    fn = cornu.Function(inputs=[a, b], outputs={"sig": out, "sum": ops.sum(out, axis=-1)})
    va = rng.random((4, 2, 3)).astype("float32")
    vb = rng.random((4, 2, 3)).astype("float32")
    result = fn([va, vb])
    expected = 1 / (1 + np.exp(-(va + vb)))
    np.testing.assert_allclose(np_(result["sig"]), expected, rtol=1e-5)
    np.testing.assert_allclose(np_(result["sum"]), expected.sum(-1), rtol=1e-5)
    assert fn.inputs == [a, b] and len(fn.outputs) == 2
    assert [op.name.split("_")[0] for op in fn.operations] == ["add", "sigmoid", "sum"]
    assert isinstance(fn, cornu.Operation)
    # symbolically: the shape/dtype inference, and a node of an enclosing graph
    spec = fn.compute_output_spec([cornu.KerasTensor((7, 2, 3)), cornu.KerasTensor((7, 2, 3))])
    assert spec["sig"].shape == (7, 2, 3) and spec["sum"].shape == (7, 2)
    assert fn.compute_output_shape([(None, 2, 3), (None, 2, 3)]) == {
        "sig": (None, 2, 3), "sum": (None, 2)}
    c = cornu.KerasTensor((None, 2, 3))
    nested = cornu.Function(c, fn([c, c])["sum"])
    np.testing.assert_allclose(np_(nested(va)), (1 / (1 + np.exp(-2 * va))).sum(-1),
                               rtol=1e-5)


def test_function_with_layers_and_checks(rng):
    needs("layers")
    x = cornu.Input((3,))
    dense = cornu.layers.Dense(2, kernel_initializer="ones")
    y = ops.relu(dense(x)) + 1.0
    fn = cornu.Function(x, y)
    assert dense in fn.operations
    data = rng.random((5, 3)).astype("float32")
    expected = np.repeat(np.maximum(data.sum(1, keepdims=True), 0) + 1, 2, axis=1)
    np.testing.assert_allclose(np_(fn(data)), expected, rtol=1e-5)
    model = cornu.Model(x, y)
    assert isinstance(model, cornu.Function) and not isinstance(dense, cornu.Function)
    with pytest.raises(ValueError, match="incompatible inputs.*expected shape"):
        fn(np.zeros((5, 4), "float32"))
    with pytest.raises(ValueError, match="invalid input structure"):
        fn([data, data])
    with pytest.raises(ValueError, match="`inputs` argument cannot be empty"):
        cornu.Function([], y)
    with pytest.raises(ValueError, match="Graph disconnected"):
        cornu.Function(cornu.KerasTensor((None, 3)), y)


def test_function_matches_keras(rng):
    keras = pytest.importorskip("keras")
    va = rng.random((4, 3)).astype("float32")
    vb = rng.random((4, 3)).astype("float32")

    def build(lib):
        a, b = lib.KerasTensor((None, 3)), lib.KerasTensor((None, 3))
        h = lib.ops.tanh(lib.ops.matmul(a, lib.ops.transpose(b)))
        return lib.Function([a, b], [lib.ops.mean(h, axis=0), lib.ops.exp(a) - b])

    ours, theirs = build(cornu)([va, vb]), build(keras)([va, vb])
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(np_(o), keras.ops.convert_to_numpy(t), rtol=1e-5)


# -- device ----------------------------------------------------------------------------------
def _device_of(x):
    value = getattr(x, "value", x)
    return str(value.device).lower()


def test_the_device_part_is_in_the_spec_and_the_backend():
    part = backend_spec.part("core.device_scope")
    assert part.kind == "function" and not part.required and part.keras == "keras.device"
    assert callable(get_backend().core.device_scope)
    assert "core.device_scope" in backend_spec.check_backend(get_backend()).optional


def test_device_cpu_places_new_tensors_and_variables():
    with cornu.device("cpu"):
        t = ops.ones((2, 2))
        converted = ops.convert_to_tensor(np.zeros(3, "float32"))
        v = cornu.Variable(np.zeros((2,), "float32"))
        initialized = cornu.Variable(cornu.initializers.Ones(), shape=(3,))
        assert "cpu" in str(get_backend().core.device_name()).lower()
        with cornu.device("cpu:0"):
            inner = ops.zeros((1,))
    for x in (t, converted, v, initialized, inner):
        assert "cpu" in _device_of(x)
    np.testing.assert_array_equal(np_(t), np.ones((2, 2)))
    assert float(np_(ops.sum(v))) == 0.0


def test_device_restores_the_previous_device():
    before = get_backend().core.device_name()
    with cornu.device("cpu"):
        pass
    with pytest.raises(ValueError):
        with cornu.device("cpu"):
            raise ValueError("inside")
    assert get_backend().core.device_name() == before


def test_device_refuses_bad_names():
    for bad in (3, "bogus", "tpu:7"):
        with pytest.raises(ValueError):
            with cornu.device(bad):
                pass


def _gpu_count(backend_name):
    if backend_name == "torch":
        import torch

        return torch.cuda.device_count()
    import tensorflow as tf

    return len(tf.config.list_logical_devices("GPU"))


def test_device_gpu_places_new_tensors_and_variables(backend_name):
    if _gpu_count(backend_name) == 0:
        with pytest.raises(ValueError):  # a GPU that is not there is an error, not a CPU
            with cornu.device("gpu:0"):
                pass
        pytest.skip("no GPU on this machine")
    with cornu.device("gpu:0"):
        t = ops.ones((2, 2))
        v = cornu.Variable(cornu.initializers.Zeros(), shape=(2,))
    with cornu.device("cpu"):
        c = ops.ones((2,))
    expected = "cuda" if backend_name == "torch" else "gpu"
    assert expected in _device_of(t) and expected in _device_of(v)
    assert "cpu" in _device_of(c)


def test_a_backend_without_a_device_scope(monkeypatch):
    core = get_backend().core
    monkeypatch.delattr(core, "device_scope")
    kind = "cpu" if "cpu" in str(core.device_name()).lower() else "gpu"
    with cornu.device(kind):  # the device it uses: accepted
        pass
    with pytest.raises(ValueError, match="has no device_scope"):
        cornu.device("tpu:0")


# -- dir, __all__, star imports -------------------------------------------------------------
def _op_names(namespaces):
    backend = get_backend()
    names = set()
    for ns in namespaces:
        module = getattr(backend, ns)
        names |= {n for n in backend_spec.op_names(ns) if hasattr(module, n)}
    return names


def test_dir_of_cornu_ops_lists_every_op_and_the_namespaces():
    listed = set(dir(cornu.ops))
    assert _op_names(backend_spec.OPS_NAMESPACES) <= listed
    assert set(backend_spec.OPS_NAMESPACES) <= listed
    assert {"matmul", "relu", "svd", "resize", "logsumexp", "scan", "make_variable"} <= listed
    assert len(listed) > 300


def test_cornu_ops_all_is_every_op():
    names = cornu.ops.__all__
    assert len(names) == len(set(names))
    assert set(names) <= set(dir(cornu.ops))
    from cornu.ops._front import PLUMBING, surface_names

    ops_listed = set(names) - set(backend_spec.OPS_NAMESPACES)
    assert ops_listed == surface_names(backend_spec.OPS_NAMESPACES) - PLUMBING
    assert _op_names(backend_spec.OPS_NAMESPACES) - PLUMBING <= ops_listed
    assert not set(names) & PLUMBING  # backend plumbing resolves but is not star-imported
    for name in names:
        assert getattr(cornu.ops, name) is not None


def test_star_import_of_cornu_ops():
    namespace = {}
    exec("from cornu.ops import *", namespace)
    assert set(cornu.ops.__all__) <= set(namespace)
    assert namespace["matmul"] is cornu.ops.matmul
    assert namespace["numpy"] is importlib.import_module("cornu.ops.numpy")
    np.testing.assert_allclose(np_(namespace["add"](np.ones(2, "float32"), 1.0)), [2.0, 2.0])


@pytest.mark.parametrize("namespace", backend_spec.OPS_NAMESPACES)
def test_each_ops_namespace_lists_its_names(namespace):
    module = importlib.import_module(f"cornu.ops.{namespace}")
    expected = _op_names([namespace])
    assert expected <= set(dir(module))
    from cornu.ops._front import PLUMBING

    assert expected - PLUMBING <= set(module.__all__)
    scope = {}
    exec(f"from cornu.ops.{namespace} import *", scope)
    assert set(module.__all__) <= set(scope)


def test_cornu_random_lists_its_names():
    listed = set(dir(cornu.random))
    assert {"SeedGenerator", "normal", "uniform", "dropout", "shuffle"} <= listed
    assert set(cornu.random.__all__) <= listed
    assert "set_global_seed" in listed and "set_global_seed" not in cornu.random.__all__
    scope = {}
    exec("from cornu.random import *", scope)
    assert scope["normal"] is cornu.random.normal


def test_the_keras_op_names_are_all_there():
    keras = pytest.importorskip("keras")
    keras_ops = {n for n in dir(keras.ops) if not n.startswith("_")}
    assert keras_ops <= set(dir(cornu.ops))
    assert keras_ops <= set(cornu.ops.__all__)
    for sub in ("nn", "numpy", "linalg", "image"):
        theirs = {n for n in dir(getattr(keras.ops, sub)) if not n.startswith("_")}
        module = importlib.import_module(f"cornu.ops.{sub}")
        assert theirs <= set(dir(module)), (sub, sorted(theirs - set(dir(module))))
    theirs = {n for n in dir(keras.random) if not n.startswith("_")}
    assert theirs <= set(cornu.random.__all__)


@pytest.mark.parametrize("name", ["cornu", "cornu.ops", "cornu.random", "cornu.utils",
                                  "cornu.backend", "cornu.config"])
def test_what_a_lazy_module_lists_resolves(name):
    module = importlib.import_module(name)
    listed = dir(module)
    for attr in listed:
        try:
            getattr(module, attr)  # nothing listed that does not resolve ...
        except ModuleNotFoundError as err:
            # ... except a family whose distribution is not installed (cornu-core's own
            # session): that must be the error naming the distribution to install
            assert "is not installed: pip install cornu-" in str(err), (attr, err)
    for attr in getattr(module, "__all__", ()):
        assert attr in listed, attr


def test_star_import_of_keras_src_ops_under_the_alias(backend_name):
    # KerasTuner's keras_tuner/src/backend/ops.py says `from keras.src.ops import *`.
    code = textwrap.dedent("""
        import cornu
        cornu.alias_keras()
        from keras.src.ops import *
        import numpy as np
        x = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
        print(shape(x), cast(x, "int32").dtype, np.asarray(convert_to_numpy(
            where(equal(x, 2.0), x, 0.0))).tolist())
    """)
    env = dict(os.environ, CORNU_BACKEND=backend_name)
    env.pop("KERAS_BACKEND", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("(2, 2) ") and "int32" in line
    assert line.endswith("[[0.0, 2.0], [0.0, 0.0]]")
