"""``keras.src`` paths that Keras-based libraries import, under ``cornu.alias_keras()``:
each mapping in ``cornu._alias._KERAS_SRC`` (and the ``keras.src`` package itself) in
the way a library uses it.  Each case runs in a fresh interpreter (the alias is
per process).
"""
import os
import subprocess
import sys
import textwrap

import pytest

BACKEND = os.environ.get("CORNU_BACKEND", "torch")


def check(code):
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3",
               CORNU_BACKEND=BACKEND)
    env.pop("CORNU_ALIAS_KERAS", None)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_keras_src_as_attributes_after_a_plain_import():
    # KerasHub: keras.src.saving.saving_lib.H5IOStore; KerasRS:
    # keras.src.utils.tracking.no_automatic_dependency_tracking -- after `import keras`.
    check("""
        import cornu
        cornu.alias_keras()
        import keras
        assert keras.src.ops is cornu.ops
        assert keras.src.saving is cornu.saving
        assert keras.src.backend is cornu.backend
        try:
            keras.src.no_such_module
        except AttributeError as err:
            assert "aliased to cornu" in str(err)
        else:
            raise AssertionError("keras.src.no_such_module resolved")
        assert not hasattr(keras.src, "__wrapped__")  # dunder lookups import nothing
    """)


def test_backend_utils_in_grain_data_pipeline():
    # KerasHub's tensor_utils: preprocessing outputs stay NumPy inside a Grain pipeline.
    check("""
        import sys, types
        import cornu
        cornu.alias_keras()
        from keras.src.utils.backend_utils import in_grain_data_pipeline, in_tf_graph
        assert in_grain_data_pipeline() is False  # grain is not imported
        sys.modules.setdefault("grain", types.ModuleType("grain"))
        assert in_grain_data_pipeline() is False  # imported, but no grain frame
        # a function whose code lives in a Grain dataset file calls it
        import os
        name = os.path.join("site", "grain", "_src", "python", "dataset", "map.py")
        scope = {"check": in_grain_data_pipeline}
        exec(compile("def apply():\\n    return check()\\n", name, "exec"), scope)
        assert scope["apply"]() is True
        assert in_tf_graph() is False
    """)


def test_backend_common_variables_keras_variable():
    pytest.importorskip("cornu.optimizers")
    # SciKeras's tests: isinstance(optimizer.learning_rate, KerasVariable)
    check("""
        import cornu
        cornu.alias_keras()
        import keras
        from keras.src.backend.common.variables import KerasVariable
        from keras.src.backend import get_keras_mask  # keras.src.backend keeps its names
        assert KerasVariable is cornu.Variable
        opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
        assert isinstance(opt.learning_rate, KerasVariable)
        assert isinstance(keras.Variable(1.0), KerasVariable)
        import keras.src.backend as src_backend
        assert src_backend is cornu.backend and get_keras_mask is cornu.backend.get_keras_mask
    """)


def test_utils_tracking_no_automatic_dependency_tracking():
    pytest.importorskip("cornu.layers")
    # KerasRS decorates set-up methods that store layers on self without making them
    # sublayers: keras.src.utils.tracking.no_automatic_dependency_tracking(fn), reached
    # as attributes after a plain `import keras`.
    check("""
        import cornu
        cornu.alias_keras()
        import keras

        class Holder(keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.tracked = keras.layers.Dense(2)
                self._store()

            @keras.src.utils.tracking.no_automatic_dependency_tracking
            def _store(self):
                self.untracked = keras.layers.Dense(3)
                return "stored"

        holder = Holder()
        assert holder._store() == "stored" and holder._store.__name__ == "_store"
        assert [layer.name for layer in holder._layers] == [holder.tracked.name], \\
            holder._layers
        assert holder._tracking  # back on after the call
        holder.later = keras.layers.Dense(4)
        assert holder.later in holder._layers
        from keras.src.utils import tracking
        assert tracking.no_automatic_dependency_tracking is \\
            keras.src.utils.tracking.no_automatic_dependency_tracking
    """)
