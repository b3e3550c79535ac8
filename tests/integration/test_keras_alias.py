"""``cornu.alias_keras()``: ``import keras`` runs on cornu.

Every case runs in a fresh interpreter, since the alias changes
``sys.meta_path`` and ``sys.modules`` for the whole process.  The cases bind
no backend unless they must, and then only the one this test process uses.
"""
import os
import subprocess
import sys
import textwrap

import pytest


def run_python(code, **env_changes):
    """Run ``code`` in a fresh interpreter; ``None`` values unset variables."""
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env, capture_output=True, text=True, timeout=120,
    )


def check(code, **env_changes):
    proc = run_python(code, **env_changes)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_not_active_until_called():
    check("""
        import sys
        import cornu
        from cornu._alias import KerasAliasFinder
        assert not any(isinstance(f, KerasAliasFinder) for f in sys.meta_path)
        assert "keras" not in sys.modules
    """)


def test_keras_names_are_cornu_modules():
    check("""
        import cornu
        assert cornu.alias_keras() is cornu
        import keras
        import keras.layers
        import keras.utils
        from keras import layers, ops, random
        from keras.layers import Dense
        assert keras is cornu
        assert layers is cornu.layers and keras.layers is cornu.layers
        assert ops is cornu.ops and random is cornu.random
        assert Dense is cornu.layers.Dense
        assert keras.utils is cornu.utils
        assert keras.random.SeedGenerator is cornu.random.SeedGenerator
        # the modules keep their own identity (spec, name), not the alias's
        assert cornu.layers.__spec__.name == "cornu.layers"
        assert cornu.__spec__.name == "cornu"
        assert cornu.layers.__name__ == "cornu.layers"
    """)


def test_dotted_import_of_an_unimported_submodule():
    check("""
        import sys
        import cornu
        cornu.alias_keras()
        assert "cornu.optimizers.schedules" not in sys.modules
        import keras.optimizers.schedules as s
        assert s is sys.modules["cornu.optimizers.schedules"]
        assert sys.modules["keras.optimizers.schedules"] is s
    """)


def test_calling_twice_is_harmless():
    check("""
        import sys
        import cornu
        from cornu._alias import KerasAliasFinder
        cornu.alias_keras(); cornu.alias_keras()
        assert sum(isinstance(f, KerasAliasFinder) for f in sys.meta_path) == 1
        import keras
        assert keras is cornu
    """)


def test_refuses_when_a_real_keras_is_imported():
    proc = run_python("""
        import sys, types
        fake = types.ModuleType("keras")
        fake.__file__ = "/site-packages/keras/__init__.py"
        sys.modules["keras"] = fake
        import cornu
        cornu.alias_keras()
    """)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: cornu.alias_keras(): a real Keras is already imported")
    assert "/site-packages/keras/__init__.py" in last


def test_refuses_a_real_keras_submodule_too():
    proc = run_python("""
        import sys, types
        sys.modules["keras.src"] = types.ModuleType("keras.src")
        import cornu
        cornu.alias_keras()
    """)
    assert proc.returncode != 0
    assert "a real Keras is already imported" in proc.stderr


def test_missing_module_names_the_alias():
    proc = run_python("""
        import cornu
        cornu.alias_keras()
        import keras.src.engine
    """)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    # as for any dotted import, the first missing package is the one named
    assert last.startswith("ModuleNotFoundError: No module named 'keras.src'")
    assert "there is no 'cornu.src'" in last
    assert "aliased to cornu" in last


@pytest.mark.parametrize("keras_backend", ["torch", "tensorflow"])
def test_keras_backend_is_honoured_when_cornu_backend_is_unset(keras_backend):
    # requested_backend() names the choice without importing the framework.
    out = check("""
        import os, sys
        import cornu
        cornu.alias_keras()
        print(cornu.config.requested_backend(), os.environ["CORNU_BACKEND"])
        assert "torch" not in sys.modules and "tensorflow" not in sys.modules
    """, CORNU_BACKEND=None, KERAS_BACKEND=keras_backend)
    assert out.split() == [keras_backend, keras_backend]


def test_cornu_backend_wins_over_keras_backend():
    out = check("""
        import cornu
        cornu.alias_keras()
        print(cornu.config.requested_backend())
    """, CORNU_BACKEND="tensorflow", KERAS_BACKEND="torch")
    assert out.split() == ["tensorflow"]


def test_keras_backend_conflicting_with_the_bound_backend_is_refused(backend_name):
    other = "tensorflow" if backend_name == "torch" else "torch"
    proc = run_python(f"""
        import os
        import cornu
        cornu.config.set_backend({backend_name!r})
        cornu.ops.ones((1,))  # binds the backend
        os.environ["KERAS_BACKEND"] = {other!r}
        cornu.alias_keras()
    """, CORNU_BACKEND=None, KERAS_BACKEND=None)
    assert proc.returncode != 0
    assert f"KERAS_BACKEND={other!r}" in proc.stderr
    assert "already in use" in proc.stderr


def test_a_keras_program_runs(backend_name):
    out = check("""
        import cornu
        cornu.alias_keras()
        import numpy as np
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)
        print(type(model).__module__.split(".")[0], cornu.config.backend())
    """, CORNU_BACKEND=None, KERAS_BACKEND=backend_name)
    assert out.split() == ["cornu", backend_name]


def test_tensorflow_imported_after_the_alias_does_not_bring_real_keras(backend_name):
    if backend_name != "tensorflow":
        pytest.skip("imports tensorflow")
    check("""
        import sys
        import cornu
        cornu.alias_keras()
        import tensorflow as tf
        import keras
        assert keras is cornu
        real = [n for n, m in sys.modules.items()
                if n.split(".")[0] == "keras" and m is not None
                and not getattr(m, "__name__", "").startswith("cornu")]
        assert not real, real
        assert float(tf.reduce_sum(keras.ops.ones((2,)))) == 2.0
    """)


def test_a_missing_family_names_its_distribution():
    proc = run_python("""
        import sys
        import cornu
        cornu.alias_keras()
        sys.modules["cornu.applications"] = None  # as if cornu-applications were not installed
        import keras.applications
    """)
    assert proc.returncode != 0
    assert "pip install cornu-applications" in proc.stderr.strip().splitlines()[-1]
