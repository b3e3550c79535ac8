"""The Keras 3 surface that Keras-based libraries reach for first (issue 19's first walls).

``cornu.version()``, ``keras.__version__`` under the alias (and TensorFlow's ``tf.keras``
loader taking its Keras 3 path), ``cornu.backend`` as ``keras.backend``,
``cornu.layers.serialize``/``deserialize`` and the families' serializers,
a ``layers`` attribute on a plain Layer, and top-level names (``cornu.Optimizer``...).

The tests run on the process's backend.  The comparisons with Keras 3 run Keras in a
fresh interpreter on the same backend (``pytest.importorskip("keras")``: tests/core
also runs in a session without Keras); the reference values below always run.
"""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cornu
from cornu import backend as B


def run_python(code, **env_changes):
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
    env.update(env_changes)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def needs(*families):
    """Skip unless the families are installed (tests/core also runs with cornu-core alone)."""
    for family in families:
        pytest.importorskip(f"cornu.{family}")


def keras_json(code):
    """Run ``code`` under a real Keras on cornu's backend; it prints one JSON value."""
    pytest.importorskip("keras")
    out = run_python(code, KERAS_BACKEND=B.backend())
    return json.loads(out.strip().splitlines()[-1])


# -- versions ---------------------------------------------------------------------------


def test_version_is_a_function_and_version_module_still_imports():
    assert callable(cornu.version)
    assert cornu.version() == cornu.__version__ == cornu.cornu_version
    assert cornu.keras_version.startswith("3.")
    importlib.import_module("cornu.version")  # binds the module as cornu.version: callable
    from cornu.version import __version__

    assert __version__ == cornu.cornu_version
    assert cornu.version() == cornu.__version__


def test_alias_presents_the_keras_api_version():
    out = run_python("""
        import cornu
        own = cornu.__version__
        cornu.alias_keras()
        import keras
        print(keras.__version__, keras.version(), cornu.cornu_version, own)
    """)
    keras_version, called, own_after, own_before = out.split()
    assert keras_version == called == cornu.keras_version
    assert own_after == own_before == cornu.cornu_version


def test_keras_version_matches_the_reference_release():
    keras = keras_json("import json, keras; print(json.dumps(keras.version()))")
    assert keras.split(".")[:2] == cornu.keras_version.split(".")[:2]


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None,
                    reason="TensorFlow is not installed")
def test_tf_keras_takes_its_keras_3_path_under_the_alias():
    needs("layers", "optimizers")
    out = run_python("""
        import cornu
        cornu.alias_keras()
        import tensorflow as tf
        assert tf.keras.layers is cornu.layers, tf.keras
        assert tf.keras.Model is cornu.Model
        from tensorflow.keras import backend as K, layers, Input, Model
        from tensorflow.keras.layers import Dense
        import tensorflow.keras.optimizers as optimizers
        assert layers is cornu.layers and Dense is cornu.layers.Dense
        assert Input is cornu.Input and optimizers is cornu.optimizers
        # tf.keras.backend: keras.backend plus TF-Keras's legacy functions, on cornu.ops
        assert K is tf.keras.backend and K.floatx is cornu.backend.floatx
        assert K.shape(cornu.ops.ones((2, 3))) == (2, 3) and K.ndim(cornu.ops.ones((2,))) == 1
        with K.name_scope("block"):
            pass
        try:
            K.placeholder
        except AttributeError as err:
            assert "aliased to cornu" in str(err)
        import keras
        assert keras.backend is cornu.backend and not hasattr(keras.backend, "shape")
        print("ok")
    """)
    assert out.strip().endswith("ok")


# -- cornu.backend as keras.backend ---------------------------------------------------


def test_backend_module_names():
    for name in B.KERAS_BACKEND_NAMES:
        assert callable(getattr(B, name)), name
    assert B.backend() == cornu.config.backend()
    assert B.get_backend().NAME == B.backend()  # the engine's own entry point stays
    assert B.floatx() == cornu.config.floatx() and B.epsilon() == cornu.config.epsilon()


def test_backend_names_match_keras():
    names = keras_json("""
        import json, keras
        print(json.dumps([n for n in dir(keras.backend) if not n.startswith("_")]))
    """)
    assert sorted(names) == sorted(B.KERAS_BACKEND_NAMES)
    assert all(hasattr(B, n) for n in names)


_DTYPE_CASES = [
    ["int"], ["float"], ["complex"], ["bool"], ["int32", "int"], ["bfloat16", "int"],
    ["bfloat16", "float"], ["int8", "float"], ["complex64", "int"], ["bool", "int"],
    ["bool", "float"], ["uint8", "int8"], ["float16", "bfloat16"], [None, "int32"], [],
    ["int64", "float"], ["float64", "int"], ["float64"], ["int64", "int32"], ["uint64"],
    ["float16", "int"], ["uint8", "float"], ["int16", "uint32"],
]
_PY = {"int": int, "float": float, "complex": complex}


def _result_types():
    return [B.result_type(*[_PY.get(d, d) for d in case]) for case in _DTYPE_CASES]


def test_result_type_reference():
    wide = B._keeps_64bit()
    expected = [
        "int32", "float32", "complex64", "bool", "int32", "bfloat16", "bfloat16", "float32",
        "complex64", "int32", "float32", "int16", "float32", "float32", "float32",
        "float32", "float64" if wide else "float32",
        "float64" if wide else "float32", "int64" if wide else "int32", "uint32",
        "float16", "float32", "int64" if wide else "int32",
    ]
    assert _result_types() == expected
    with pytest.raises(ValueError):
        B.result_type("float8_e4m3fn", "float32")


def test_result_type_and_standardize_dtype_match_keras():
    code = f"""
        import json, keras, numpy as np
        B = keras.backend
        PY = {{"int": int, "float": float, "complex": complex}}
        res = [B.result_type(*[PY.get(d, d) for d in c]) for c in {_DTYPE_CASES!r}]
        std = [B.standardize_dtype(d) for d in (None, int, float, bool, str, "int",
                                               np.float64, np.dtype("int8"), "bfloat16")]
        print(json.dumps([res, std]))
    """
    res, std = keras_json(code)
    assert _result_types() == res
    assert [B.standardize_dtype(d) for d in (None, int, float, bool, str, "int", np.float64,
                                             np.dtype("int8"), "bfloat16")] == std


def test_standardize_dtype_and_kinds():
    assert B.standardize_dtype(None) == B.floatx()
    assert B.standardize_dtype(np.float16) == "float16"
    assert B.standardize_dtype(bool) == "bool"
    for bad in ("float", "foo"):
        with pytest.raises(ValueError):
            B.standardize_dtype(bad)
    assert B.is_float_dtype("bfloat16") and not B.is_float_dtype("int8")
    assert B.is_int_dtype("uint8") and not B.is_int_dtype("bool")


def test_is_keras_tensor_clear_session_and_get_uid():
    needs("layers")
    x = cornu.Input((3,))
    assert B.is_keras_tensor(x) and not B.is_keras_tensor(np.ones(3))
    assert cornu.utils.is_keras_tensor is B.is_keras_tensor
    B.clear_session()
    assert cornu.layers.Dense(2).name == "dense"
    assert cornu.layers.Dense(2).name == "dense_1"
    assert B.get_uid("dense") == 3
    B.clear_session(free_memory=False)
    assert cornu.layers.Dense(2).name == "dense"
    assert cornu.utils.clear_session is B.clear_session


def test_set_and_read_settings_through_backend():
    old = B.epsilon()
    try:
        B.set_epsilon(1e-5)
        assert B.epsilon() == cornu.config.epsilon() == 1e-5
    finally:
        B.set_epsilon(old)
    B.set_image_data_format("channels_first")
    try:
        assert cornu.config.image_data_format() == "channels_first"
    finally:
        B.set_image_data_format("channels_last")


# -- serialize / deserialize -------------------------------------------------------------

_SERIALIZED = textwrap.dedent("""
    objs = {
     "layers": [lambda: K.layers.Dense(3, activation="relu", name="d"),
                lambda: K.layers.Conv2D(4, 3, name="c"), lambda: K.layers.Dropout(0.5, name="dr")],
     "losses": [lambda: K.losses.MeanSquaredError(),
                lambda: K.losses.SparseCategoricalCrossentropy(from_logits=True)],
     "metrics": [lambda: K.metrics.Accuracy(), lambda: K.metrics.AUC(name="auc")],
     "optimizers": [lambda: K.optimizers.Adam(learning_rate=0.01),
                    lambda: K.optimizers.SGD(momentum=0.9)],
     "activations": [lambda: K.activations.relu, lambda: K.activations.softmax],
     "initializers": [lambda: K.initializers.GlorotUniform(seed=1),
                      lambda: K.initializers.Constant(2.0)],
     "regularizers": [lambda: K.regularizers.L2(0.01), lambda: K.regularizers.L1L2(l1=0.1, l2=0.2)],
     "constraints": [lambda: K.constraints.MaxNorm(2), lambda: K.constraints.NonNeg()],
    }
    serialized = {f: [getattr(K, f).serialize(m()) for m in ms] for f, ms in objs.items()}
""")


def _cornu_serialized():
    scope = {"K": cornu}
    exec(_SERIALIZED, scope)
    return scope["serialized"]


def _comparable(family, config):
    if family == "optimizers":
        # Keras's own output differs by backend here (torch: a backend subclass's module
        # and registered_name): compare the class and its config.
        return {k: config[k] for k in ("class_name", "config")}
    return config


def test_layers_serialize_deserialize_reference():
    needs("layers", "losses")
    layer = cornu.layers.Dense(3, activation="relu", name="d")
    config = cornu.layers.serialize(layer)
    assert config["class_name"] == "Dense" and config["module"] == "keras.layers"
    assert config["config"]["activation"] == "relu"
    again = cornu.layers.deserialize(config)
    assert isinstance(again, cornu.layers.Dense) and again.get_config() == layer.get_config()
    with pytest.raises(ValueError):
        cornu.layers.deserialize(cornu.losses.serialize(cornu.losses.MeanSquaredError()))
    for family in ("losses", "metrics", "optimizers", "activations", "initializers",
                   "regularizers", "constraints"):
        module = getattr(cornu, family)
        assert all(callable(getattr(module, n)) for n in ("serialize", "deserialize", "get"))


def test_serialize_matches_keras_and_deserializes_keras_output():
    needs("layers", "losses", "metrics", "optimizers")
    code = "import json, keras as K\n" + _SERIALIZED + "print(json.dumps(serialized))"
    theirs = keras_json(code)
    ours = json.loads(json.dumps(_cornu_serialized()))
    for family, configs in theirs.items():
        assert len(ours[family]) == len(configs)
        for mine, their in zip(ours[family], configs):
            assert _comparable(family, mine) == _comparable(family, their), family
            module = getattr(cornu, family)
            rebuilt = module.deserialize(their)
            again = json.loads(json.dumps(module.serialize(rebuilt)))
            assert _comparable(family, again) == _comparable(family, mine), family


# -- Layer.layers, top-level names ------------------------------------------------------------


def test_a_plain_layer_may_assign_layers_and_tracking_still_works():
    needs("layers")
    class Block(cornu.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.layers = []  # as keras-tcn's ResidualBlock

        def build(self, input_shape):
            for i in range(2):
                self.layers.append(cornu.layers.Dense(4, name=f"dense_{i}"))
            for layer in self.layers:
                setattr(self, layer.name, layer)  # what keras-tcn does to track them
                layer.build(input_shape)
                input_shape = layer.compute_output_shape(input_shape)

        def call(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    block = Block()
    assert block.layers == []
    y = block(np.ones((2, 3), "float32"))
    assert tuple(y.shape) == (2, 4)
    assert [layer.name for layer in block.layers] == ["dense_0", "dense_1"]
    assert len(block.trainable_weights) == 4
    assert len(block._layers) == 2
    # an untouched layer still lists its tracked sublayers
    inner = cornu.layers.Dense(2)

    class Wrapper(cornu.Layer):
        def __init__(self):
            super().__init__()
            self.inner = inner

    assert Wrapper().layers == [inner]
    # Model keeps its read-only property
    model = cornu.Sequential([cornu.layers.Dense(2)])
    with pytest.raises(AttributeError):
        model.layers = []


def test_top_level_names():
    needs("losses", "metrics", "optimizers")
    assert cornu.Optimizer is cornu.optimizers.Optimizer
    assert cornu.Loss is cornu.losses.Loss
    assert cornu.Metric is cornu.metrics.Metric
    assert cornu.Initializer is cornu.initializers.Initializer
    assert cornu.Regularizer is cornu.regularizers.Regularizer
    with cornu.name_scope("outer"):
        with cornu.name_scope("inner"):
            from cornu.naming import current_path

            assert current_path() == "outer/inner"
    assert current_path() == ""
    assert {"Optimizer", "Loss", "Metric", "name_scope", "version"} <= set(dir(cornu))


def test_names_reachable_under_the_alias():
    needs("layers", "optimizers")
    out = run_python("""
        import cornu
        cornu.alias_keras()
        import keras
        from keras.utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
        from keras.layers import serialize, deserialize
        assert keras.Optimizer is cornu.optimizers.Optimizer
        assert keras.backend.backend() == cornu.config.backend()
        assert keras.utils.FeatureSpace.__name__ == "FeatureSpace"
        print(pack_x_y_sample_weight(1, 2), unpack_x_y_sample_weight((1, 2)))
    """)
    assert out.strip() == "(1, 2) (1, 2, None)"


def test_functional_call_unpacks_a_single_output_list():
    needs("layers")
    i = cornu.Input((3,))
    o = cornu.layers.Dense(2)(i)
    model = cornu.Model(inputs=[i], outputs=[o])
    y = model(np.ones((1, 3), "float32"))
    assert not isinstance(y, (list, tuple)) and tuple(y.shape) == (1, 2)
    assert isinstance(model.predict(np.ones((1, 3), "float32"), verbose=0), np.ndarray)
    symbolic = model(cornu.Input((3,)))
    assert isinstance(symbolic, list) and len(symbolic) == 1  # as Keras: structure kept


def test_enable_unsafe_deserialization_is_process_wide():
    needs("layers")
    out = run_python("""
        import base64, marshal
        import cornu
        assert cornu.config.is_nnx_enabled() is False
        code = base64.b64encode(marshal.dumps((lambda x: x * 2).__code__)).decode("ascii")
        config = {"module": "keras.layers", "class_name": "Lambda", "config": {
            "name": "lambda", "function": {"class_name": "__lambda__", "config": {
                "code": code, "defaults": None, "closure": None}}}}  # as Keras writes it
        try:
            cornu.layers.deserialize(config)
        except ValueError as err:
            print("refused" if "safe" in str(err).lower() else err)
        cornu.config.enable_unsafe_deserialization()
        layer = cornu.layers.deserialize(config)  # as Keras: wins over the default
        assert float(cornu.ops.convert_to_numpy(layer(cornu.ops.ones((1,))))[0]) == 2.0
        print("loaded")
    """)
    assert out.split() == ["refused", "loaded"]


def test_get_source_inputs():
    needs("layers")
    a, b = cornu.Input((3,), name="a"), cornu.Input((3,), name="b")
    x = cornu.layers.Dense(2)(a)
    z = cornu.layers.Add()([x, cornu.layers.Dense(2)(b)])
    w = cornu.layers.Concatenate()([z, x])
    names = lambda t: [s.name for s in cornu.utils.get_source_inputs(t)]  # noqa: E731
    assert names(a) == ["a"] and names(x) == ["a"] and names(w) == ["a", "b"]
    model = cornu.Model([a, b], w)
    out = model([cornu.Input((3,), name="c"), cornu.Input((3,), name="d")])
    assert names(out) == ["c", "d"]
