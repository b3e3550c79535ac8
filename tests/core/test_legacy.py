"""``cornu.legacy`` (``keras.legacy``): what Keras 3.15 keeps of Keras 2's public API.

Keras 3's ``keras.legacy`` holds one submodule, ``saving``, with Keras 2's
``serialize_keras_object`` / ``deserialize_keras_object`` (the functions
``keras.utils.legacy`` exports too); cornu's are ``cornu.utils.legacy``'s (whose
behaviour tests/core/test_config_utils_surface.py checks in detail).  Here: the surface,
the same script run through ``keras.legacy.saving`` and ``cornu.legacy.saving`` (Keras in
a fresh interpreter on cornu's backend, skipped without Keras), and the alias.
"""
import importlib
import json
import os
import subprocess
import sys
import textwrap

import pytest

import cornu
from cornu import backend as B


def run_python(code, **env_changes):
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
    env.update(env_changes)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# Run with LIB = keras or cornu; prints one JSON list.
SCRIPT = """
    import importlib, json
    LIB = importlib.import_module("{lib}")
    saving = importlib.import_module("{lib}.legacy.saving")
    serialize_keras_object = saving.serialize_keras_object
    deserialize_keras_object = saving.deserialize_keras_object
    out = [sorted(n for n in dir(LIB.legacy) if not n.startswith("_")),
           sorted(n for n in dir(saving) if not n.startswith("_") and callable(getattr(saving, n))
                  and getattr(saving, n).__module__.split(".")[0] in ("keras", "cornu"))]

    def scaled(x):
        return x

    class Inner:
        def __init__(self, rate=0.5):
            self.rate = rate
        def get_config(self):
            return {{"rate": self.rate}}
        @classmethod
        def from_config(cls, config):
            return cls(**config)

    class Outer:
        def __init__(self, name="outer", inner=None, fn=None, table=None):
            self.name, self.inner, self.fn, self.table = name, inner, fn, table
        def get_config(self):
            return {{"name": self.name, "inner": self.inner, "fn": self.fn, "table": self.table}}
        @classmethod
        def from_config(cls, config):
            return cls(**config)

    objects = {{"Inner": Inner, "Outer": Outer, "scaled": scaled}}
    config = serialize_keras_object(Outer(name="o", inner=Inner(0.25), fn=scaled, table={{"a": 1}}))
    back = deserialize_keras_object(json.loads(json.dumps(config)), module_objects=objects)
    out += [config, type(back).__name__, type(back.inner).__name__, back.inner.rate,
            back.fn is scaled, back.table, serialize_keras_object(scaled),
            serialize_keras_object(None), deserialize_keras_object(None)]
    for bad in ({{"config": {{}}}}, {{"class_name": "Nope", "config": {{}}}}):
        try:
            deserialize_keras_object(bad, module_objects=objects)
        except ValueError:
            out.append("ValueError")
    if {layers}:
        layer = LIB.layers.Dense(3, activation="relu", name="d")
        config = serialize_keras_object(layer)
        back = deserialize_keras_object(config, module_objects={{"Dense": LIB.layers.Dense}})
        out += [config["class_name"], sorted(config), config["config"]["units"],
                config["config"]["activation"], type(back).__name__, back.units, back.name]
    print(json.dumps(out))
"""


def _layers():
    try:
        return importlib.util.find_spec("cornu.layers") is not None
    except ModuleNotFoundError:
        return False


def test_the_modules_and_their_names():
    assert cornu.legacy is importlib.import_module("cornu.legacy")
    assert cornu.legacy.saving is importlib.import_module("cornu.legacy.saving")
    assert sorted(n for n in dir(cornu.legacy) if not n.startswith("_")) == ["saving"]
    assert sorted(cornu.legacy.saving.__all__) == ["deserialize_keras_object",
                                                   "serialize_keras_object"]
    # The same functions as cornu.utils.legacy (Keras exports one pair under both names).
    assert cornu.legacy.saving.serialize_keras_object is cornu.utils.legacy.serialize_keras_object
    assert (cornu.legacy.saving.deserialize_keras_object
            is cornu.utils.legacy.deserialize_keras_object)
    assert "legacy" in dir(cornu) and "legacy" in cornu.__all__


def test_legacy_saving_matches_keras():
    pytest.importorskip("keras")
    layers = _layers()
    theirs = run_python(SCRIPT.format(lib="keras", layers=layers), KERAS_BACKEND=B.backend())
    ours = run_python(SCRIPT.format(lib="cornu", layers=layers))
    assert ours[:2] == [["saving"], ["deserialize_keras_object", "serialize_keras_object"]]
    assert ours == theirs


def test_the_alias_maps_keras_legacy():
    out = run_python("""
        import json
        import cornu
        cornu.alias_keras()
        import keras
        from keras.legacy.saving import serialize_keras_object
        import keras.legacy.saving as saving
        print(json.dumps([keras.legacy is cornu.legacy, saving is cornu.legacy.saving,
                          serialize_keras_object is cornu.utils.legacy.serialize_keras_object]))
    """)
    assert out == [True, True, True]
