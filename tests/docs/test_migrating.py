"""docs/guides/migrating.md stays true: every difference it lists still holds.

Each test below checks one row of the page's table of differences (the row number is
in the test's name). When cornu closes a gap, the test fails: update the page and the
test together.  The missing names are also checked to appear on the page, so the page
and this file cannot drift apart.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cornu

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "guides" / "migrating.md").read_text(encoding="utf-8")

# module -> the Keras 3 public names that page lists as not provided by cornu
MISSING = {
}


def _module(name):
    return cornu if not name else importlib.import_module(f"cornu.{name}")


def _child(code, **env):
    """Runs `code` in a fresh interpreter with `env` (None removes a variable)."""
    full = dict(os.environ)
    for key, value in env.items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full, timeout=120)


def test_every_listed_name_is_on_the_page():
    for names in MISSING.values():
        for name in names:
            assert f"`{name}`" in PAGE or f".{name}`" in PAGE, name


# -- 1, 2: backends and their selection -------------------------------------------------
def test_1_jax_is_not_a_cornu_backend(tmp_path):
    result = _child("import cornu; cornu.ops.ones((1,))", CORNU_BACKEND="jax",
                    CORNU_HOME=str(tmp_path))
    assert result.returncode != 0
    assert "The cornu backend 'jax' is not installed" in result.stderr


def test_2_the_config_file_is_cornu_json_under_cornu_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CORNU_HOME", str(tmp_path))
    assert cornu.config.config_path() == os.path.join(str(tmp_path), "cornu.json")


@pytest.mark.parametrize("alias", [False, True])
def test_2_keras_backend_is_honoured_only_after_alias_keras(tmp_path, backend_name, alias):
    other = "tensorflow" if backend_name == "torch" else "torch"
    code = "import cornu\n" + ("cornu.alias_keras()\n" if alias else "") + \
        "print(cornu.config.backend())"
    # KERAS_BACKEND names the other backend; the default with no CORNU_BACKEND is torch.
    result = _child(code, CORNU_BACKEND=None, KERAS_BACKEND=other, CORNU_HOME=str(tmp_path))
    assert result.returncode == 0, result.stderr
    chosen = result.stdout.strip().splitlines()[-1]
    assert chosen == (other if alias else "torch")


def test_2_cornu_backend_wins_over_keras_backend(tmp_path, backend_name):
    other = "tensorflow" if backend_name == "torch" else "torch"
    code = "import cornu\ncornu.alias_keras()\nprint(cornu.config.backend())"
    result = _child(code, CORNU_BACKEND=backend_name, KERAS_BACKEND=other,
                    CORNU_HOME=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == backend_name


# -- 3: alias_keras -----------------------------------------------------------------------
def test_3_alias_keras_exists():
    assert callable(cornu.alias_keras)


# -- 4, 5, 6, 7: names not provided -------------------------------------------------------
def test_4_to_7_listed_names_are_still_missing():
    # (MISSING is empty since the quantized dtype policies came, row 6: a name added to
    # it and to the page is checked here.)
    for module, names in MISSING.items():
        present = [name for name in names if hasattr(_module(module), name)]
        assert not present, (
            f"cornu{'.' + module if module else ''} now has {present}: remove them from "
            "docs/guides/migrating.md and from this test"
        )


def test_6_quantized_dtype_policies_are_provided():
    for name in ("QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy", "Int4DTypePolicy",
                 "GPTQDTypePolicy", "AWQDTypePolicy"):
        assert issubclass(getattr(cornu.dtype_policies, name),
                          cornu.dtype_policies.DTypePolicy)
        assert f"`{name}`" in PAGE
    assert cornu.dtype_policies.get("int4/128_from_float32").block_size == 128


def test_4_quantizers_are_provided():
    assert importlib.import_module("cornu.quantizers") is cornu.quantizers
    assert cornu.Quantizer is cornu.quantizers.Quantizer
    assert "`cornu.quantizers`" in PAGE and "`cornu.Quantizer`" in PAGE


def test_5_jax_and_flax_layers_are_provided():
    from cornu import layers

    assert layers.JaxLayer.__name__ == "JaxLayer" and issubclass(layers.FlaxLayer,
                                                                 layers.JaxLayer)
    assert "`cornu.layers.JaxLayer`" in PAGE and "cornu-layers[jax]" in PAGE


def test_7_data_parallel_is_provided():
    assert hasattr(cornu.distribution, "DataParallel")


def test_7_model_parallel_takes_one_device_only():
    dist = cornu.distribution
    for name in ("DeviceMesh", "TensorLayout", "LayoutMap", "get_device_count"):
        assert f"`{name}`" in PAGE and hasattr(dist, name)
    mesh = dist.DeviceMesh((2,), ("model",), devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="model_parallel"):
        dist.ModelParallel(layout_map=dist.LayoutMap(mesh))
    assert not cornu.backend.supports("model_parallel") and "`model_parallel`" in PAGE


# -- 8, 9, 10: arguments that raise, and LoRA's scale ---------------------------------------
_QUANTIZABLE = {
    "dense": lambda **kw: cornu.layers.Dense(2, **kw),
    "einsum-dense": lambda **kw: cornu.layers.EinsumDense("ab,bc->ac", 2, **kw),
    "embedding": lambda **kw: cornu.layers.Embedding(10, 2, **kw),
}


@pytest.mark.parametrize("name", sorted(_QUANTIZABLE))
def test_8_int8_quantization_is_supported(name):
    q = cornu.quantizers
    layer = _QUANTIZABLE[name]()
    layer.build((None, 3))
    layer.quantize("int8")
    assert layer.quantization_mode == "int8"
    assert layer.dtype_policy == cornu.dtype_policies.QuantizedDTypePolicy("int8", "float32")
    built = _QUANTIZABLE[name](dtype="int8_from_float32",
                               quantization_config=q.Int8QuantizationConfig())
    built.build((None, 3))
    assert "int8" in {cornu.ops.standardize_dtype(w.dtype) for w in built.weights}
    assert "quantize(\"int8\")" in PAGE and "`\"int8_from_...\"`" in PAGE


@pytest.mark.parametrize("name", sorted(_QUANTIZABLE))
@pytest.mark.parametrize("mode", ["int4", "float8"])
def test_8_other_quantization_modes_are_refused(name, mode):
    layer = _QUANTIZABLE[name]()
    layer.build((None, 3))
    with pytest.raises(NotImplementedError, match="only 'int8'"):
        layer.quantize(mode)
    config = {"int4": cornu.quantizers.Int4QuantizationConfig,
              "float8": cornu.quantizers.Float8QuantizationConfig}[mode]()
    with pytest.raises(NotImplementedError, match="only int8"):
        _QUANTIZABLE[name](quantization_config=config)
    policy = cornu.dtype_policies.get(f"{mode}_from_float32")  # the policy is Keras's
    assert policy.quantization_mode == mode
    with pytest.raises(NotImplementedError, match="only 'int8'"):
        _QUANTIZABLE[name](dtype=policy).build((None, 3))
    assert "only 'int8' quantization is implemented" in PAGE


def test_8_models_quantize_int8_only():
    inputs = cornu.Input((3,))
    model = cornu.Model(inputs, cornu.layers.Dense(2)(inputs))
    for mode, config in (("int4", None), ("float8", None),
                         ("gptq", cornu.quantizers.GPTQConfig(dataset=[[0]], tokenizer=str)),
                         ("awq", cornu.quantizers.AWQConfig(dataset=[[0]], tokenizer=str))):
        with pytest.raises(NotImplementedError, match="only 'int8'"):
            model.quantize(mode, config=config)
    with pytest.warns(cornu.CornuWarning, match="InputLayer does not have a `quantize`"):
        model.quantize("int8")  # (Keras warns for every layer it cannot quantize)
    assert model.layers[-1].quantization_mode == "int8"


def test_9_a_constructor_lora_alpha_scales_the_update():
    layer = cornu.layers.Dense(2, lora_rank=2, lora_alpha=8)
    layer.build((None, 3))
    assert layer.lora_enabled and layer.lora_alpha == 8


@pytest.mark.parametrize("make", [
    lambda: cornu.layers.StringLookup(sparse=True),
    lambda: cornu.layers.IntegerLookup(sparse=True),
    lambda: cornu.layers.TextVectorization(sparse=True),
    lambda: cornu.layers.Hashing(num_bins=4, sparse=True),
    lambda: cornu.layers.Discretization(bin_boundaries=[0.0], sparse=True),
], ids=["string-lookup", "integer-lookup", "text-vectorization", "hashing",
        "discretization"])
def test_10_sparse_outputs_are_not_supported(make):
    with pytest.raises(ValueError, match="`sparse=True` is not supported by cornu"):
        make()


# -- 11: export formats -------------------------------------------------------------------
def _tiny_model():
    inputs = cornu.Input((3,))
    return cornu.Model(inputs, cornu.layers.Dense(1)(inputs))


@pytest.mark.parametrize("fmt", ["onnx", "openvino", "litert"])
def test_11_other_export_formats_are_not_available(tmp_path, fmt):
    with pytest.raises(ValueError, match="is not available in cornu"):
        _tiny_model().export(str(tmp_path / "model"), format=fmt)


def test_11_each_backend_exports_its_own_format(tmp_path, backend_name):
    own, other = ("torch", "tf_saved_model") if backend_name == "torch" else \
        ("tf_saved_model", "torch")
    assert own in cornu.export.formats()
    with pytest.raises(ValueError, match="is not available in cornu"):
        _tiny_model().export(str(tmp_path / "model"), format=other)


# -- 12: Lambda functions are never written into a file -----------------------------------
def test_12_a_bare_lambda_cannot_be_saved(tmp_path):
    model = cornu.Sequential([cornu.Input((2,)), cornu.layers.Lambda(lambda t: t * 2.0)])
    with pytest.raises(ValueError, match="never writes Python code"):
        model.save(str(tmp_path / "lambda.keras"))


# -- 13: StatelessScope initialises new variables at once -----------------------------
def test_13_a_variable_made_in_a_stateless_scope_exists_at_once():
    with cornu.StatelessScope():
        variable = cornu.Variable(cornu.initializers.Ones(), shape=(2,))
        np.testing.assert_array_equal(cornu.ops.convert_to_numpy(variable), [1.0, 1.0])
