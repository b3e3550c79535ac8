"""The NumPy backend against the real ones: a model trained and saved with torch or
TensorFlow predicts and evaluates the same when loaded with CORNU_BACKEND=numpy.

What any backend must do (ops against numpy references, Variables, RNG, predict and
evaluate, saving) is checked by cornu's conformance suite, which the ``plugins`` nox
session runs on this backend with ``../conformance-expected-failures.txt``; these tests
keep what the suite does not cover: discovery, the training error, cross-backend files.

Every check runs in a subprocess, because a process binds one backend.  Needs
cornu-core, cornu-layers, cornu-optimizers, cornu-metrics, this distribution and
at least one of cornu-backend-torch / cornu-backend-tf installed.
"""
import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _backends():
    return {ep.name for ep in metadata.entry_points(group="cornu.backends")}


def _run(code, backend, cwd, timeout=300):
    env = dict(os.environ, CORNU_BACKEND=backend, KERAS_BACKEND=backend if backend != "numpy"
               else "torch", TF_CPP_MIN_LOG_LEVEL="3", OMP_NUM_THREADS="1",
               PYTHONWARNINGS="ignore")
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# The models: every layer family the backend claims, in two small graphs.
BUILD = """
import numpy as np
import cornu
from cornu import layers

rng = np.random.default_rng(0)

def image_model():
    inputs = cornu.Input((12, 12, 3))
    x = layers.Conv2D(6, 3, padding="same", activation="relu")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
    x = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    x = layers.SeparableConv2D(5, 3, strides=2, padding="same", activation="gelu")(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(x)
    x = layers.Conv2D(4, 3, padding="valid", dilation_rate=1, activation="elu")(x)
    x = layers.AveragePooling2D(pool_size=3, strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(16, activation="tanh")(x)
    x = layers.LayerNormalization()(x)
    outputs = layers.Dense(4, activation="softmax")(x)
    return cornu.Model(inputs, outputs)

def text_model():
    inputs = cornu.Input((7,), dtype="int32")
    embedded = layers.Embedding(20, 8, mask_zero=True)(inputs)
    averaged = layers.GlobalAveragePooling1D()(embedded)  # over the unmasked steps only
    conv = layers.Conv1D(8, 3, padding="same", activation="sigmoid")(embedded)
    x = layers.Concatenate()([averaged, layers.GlobalMaxPooling1D()(conv)])
    x = layers.Dense(6, activation="swish")(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return cornu.Model(inputs, outputs)

DATA = {
    "image": (rng.random((40, 12, 12, 3), dtype="float32"), rng.integers(0, 4, 40)),
    "text": (np.where(rng.random((40, 7)) < 0.3, 0, rng.integers(1, 20, (40, 7))).astype("int32"),
             rng.integers(0, 2, (40, 1)).astype("float32")),
}
LOSSES = {"image": "sparse_categorical_crossentropy", "text": "binary_crossentropy"}
METRICS = {"image": ["accuracy"], "text": ["accuracy", "mse"]}
"""

TRAIN = BUILD + """
import json
results = {}
for name, make in (("image", image_model), ("text", text_model)):
    cornu.utils.set_random_seed(1)
    model = make()
    model.compile(optimizer="adam", loss=LOSSES[name], metrics=METRICS[name])
    x, y = DATA[name]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(f"{name}.keras")
    np.save(f"{name}_pred.npy", model.predict(x, batch_size=16, verbose=0))
    results[name] = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
print(json.dumps(results))
"""

INFER = BUILD + """
import json
results = {}
assert cornu.config.backend() == "numpy"
for name in ("image", "text"):
    model = cornu.saving.load_model(f"{name}.keras")
    x, y = DATA[name]
    np.save(f"{name}_numpy_pred.npy", model.predict(x, batch_size=16, verbose=0))
    results[name] = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
import sys
results["frameworks"] = sorted(m for m in ("torch", "tensorflow") if m in sys.modules)
print(json.dumps(results))
"""


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_a_model_trained_elsewhere_predicts_the_same_on_numpy(framework, tmp_path):
    if framework not in _backends():
        pytest.skip(f"cornu's {framework} backend is not installed")
    trained = json.loads(_run(TRAIN, framework, tmp_path).strip().splitlines()[-1])
    inferred = json.loads(_run(INFER, "numpy", tmp_path).strip().splitlines()[-1])
    assert inferred.pop("frameworks") == []  # the numpy backend imported no framework
    for name in ("image", "text"):
        expected = np.load(tmp_path / f"{name}_pred.npy")
        got = np.load(tmp_path / f"{name}_numpy_pred.npy")
        assert got.shape == expected.shape and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=name)
        assert inferred[name].keys() == trained[name].keys()
        for key, value in trained[name].items():
            assert inferred[name][key] == pytest.approx(value, rel=1e-4, abs=1e-5), (name, key)


def test_fit_raises_a_clear_error(tmp_path):
    out = _run("""
        import numpy as np
        import cornu
        from cornu import layers
        from cornu.backends.numpy.trainer import TrainingNotSupportedError
        model = cornu.Sequential([cornu.Input((3,)), layers.Dense(2)])
        model.compile(optimizer="sgd", loss="mse")
        x = np.ones((4, 3), "float32")
        for call in (lambda: model.fit(x, x[:, :2], verbose=0),
                     lambda: model.train_on_batch(x, x[:, :2])):
            try:
                call()
            except TrainingNotSupportedError as err:
                print(err)
            else:
                raise SystemExit("training did not raise")
    """, "numpy", tmp_path)
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("The numpy backend cannot train") for line in lines)
    assert "Train with CORNU_BACKEND=torch or tensorflow" in lines[0]


def test_discovered_like_any_backend(tmp_path):
    out = _run("""
        import json, sys
        import cornu
        from cornu.plugins import installed_backends
        y = cornu.ops.nn.softmax(cornu.ops.convert_to_tensor([[1.0, 2.0, 3.0]]))
        print(json.dumps({"backend": cornu.config.backend(), "installed": installed_backends(),
                          "type": type(y).__module__, "sum": float(cornu.ops.sum(y)),
                          "frameworks": sorted(m for m in ("torch", "tensorflow")
                                               if m in sys.modules)}))
    """, "numpy", tmp_path)
    data = json.loads(out.strip().splitlines()[-1])
    assert data["backend"] == "numpy" and "numpy" in data["installed"]
    assert data["type"] == "cornu.backends.numpy._utils"
    assert data["sum"] == pytest.approx(1.0, abs=1e-6)
    assert data["frameworks"] == []
    listing = subprocess.run([sys.executable, "-m", "cornu", "plugins"], capture_output=True,
                             text=True, env=dict(os.environ, CORNU_BACKEND="numpy"), timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert ("numpy        cornu-backend-numpy 0.1.0 (selected by CORNU_BACKEND)\n"
            "    capabilities: none\n") in listing.stdout  # and the spec's quick check

