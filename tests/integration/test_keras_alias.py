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
        import keras.src.no_such_package.module
    """)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    # as for any dotted import, the first missing package is the one named
    assert last.startswith("ModuleNotFoundError: No module named 'keras.src.no_such_package'")
    assert "there is no 'cornu.no_such_package'" in last
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
                and not getattr(m, "__name__", "").startswith("cornu")
                and not getattr(m, "__cornu_alias__", False)]  # the alias's keras.src
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


def test_keras_src_paths_that_keras_based_libraries_import():
    """The ``keras.src`` imports of KerasTuner, SciKeras, KerasHub and KerasRS resolve to
    the cornu modules holding those names, and they work."""
    check("""
        import numpy as np
        import cornu
        cornu.alias_keras()
        import keras.src.ops as src_ops  # KerasTuner star-imports it
        from keras.src import backend, saving
        from keras.src.saving.saving_lib import load_model, save_model  # SciKeras
        from keras.src.saving import serialization_lib  # KerasHub's forms
        from keras.src.backend import get_keras_mask, set_keras_mask
        from keras.src.losses.losses import LossFunctionWrapper
        from keras.src.distribution import distribution_lib
        from keras.src.trainers.data_adapters.data_adapter_utils import (
            class_weight_to_sample_weights)
        import keras
        assert src_ops is cornu.ops and backend is cornu.backend
        assert saving is cornu.saving and load_model is cornu.saving.load_model
        assert serialization_lib.serialize_keras_object(keras.layers.Dense(2))["class_name"] \\
            == "Dense"
        assert distribution_lib.distribution() is None
        assert LossFunctionWrapper is cornu.losses.LossFunctionWrapper
        np.testing.assert_allclose(class_weight_to_sample_weights(np.array([0, 1, 1]),
                                                                  {0: 2.0, 1: 0.5}),
                                   [2.0, 0.5, 0.5])
        x = cornu.ops.ones((2, 3))
        assert get_keras_mask(x) is None
        set_keras_mask(x, cornu.ops.ones((2,), dtype="bool"))
        assert get_keras_mask(x) is not None and x._keras_mask is get_keras_mask(x)
        set_keras_mask(x, None)
        assert get_keras_mask(x) is None
        import tempfile, os
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        path = os.path.join(tempfile.mkdtemp(), "m.keras")
        save_model(model, path)
        np.testing.assert_allclose(load_model(path).predict(np.ones((1, 3)), verbose=0),
                                   model.predict(np.ones((1, 3)), verbose=0))
        try:
            import keras.src.no_such_module
        except ModuleNotFoundError as err:
            assert "aliased to cornu" in str(err)
        else:
            raise AssertionError("keras.src.no_such_module imported")
        cornu.alias_keras()  # the alias's own keras.src package is not a real Keras
    """, CORNU_BACKEND=os.environ.get("CORNU_BACKEND", "torch"))


def test_keras_tuner_searches_on_cornu(tmp_path):
    """KerasTuner (from PyPI) runs a random search on cornu through the alias, and the
    best model it reloads from its checkpoint scores what the search recorded."""
    pytest.importorskip("keras_tuner")
    out = check(f"""
        import json
        import numpy as np
        import cornu
        cornu.alias_keras()
        import keras
        import keras_tuner

        def build(hp):
            model = keras.Sequential([
                keras.Input((4,)),
                keras.layers.Dense(hp.Int("units", 4, 16, step=4), activation="relu"),
                keras.layers.Dense(1)])
            model.compile(keras.optimizers.Adam(hp.Choice("lr", [1e-2, 1e-3])), "mse")
            return model

        rng = np.random.default_rng(0)
        x = rng.random((64, 4)).astype("float32")
        y = x.sum(1, keepdims=True)
        tuner = keras_tuner.RandomSearch(build, objective="val_loss", max_trials=3, seed=1,
                                         directory={str(tmp_path)!r}, overwrite=True)
        tuner.search(x, y, epochs=3, validation_data=(x[48:], y[48:]), verbose=0)
        best_trial = tuner.oracle.get_best_trials(1)[0]
        best = tuner.get_best_models(1)[0]
        print(json.dumps({{"trials": len(tuner.oracle.trials), "score": best_trial.score,
                          "hp": best_trial.hyperparameters.values,
                          "evaluated": best.evaluate(x[48:], y[48:], verbose=0)}}))
    """, CORNU_BACKEND=os.environ.get("CORNU_BACKEND", "torch"))
    import json

    result = json.loads(out.strip().splitlines()[-1])
    assert result["trials"] == 3
    assert set(result["hp"]) == {"units", "lr"}
    assert abs(result["evaluated"] - result["score"]) <= 1e-5 * max(1.0, result["score"])
