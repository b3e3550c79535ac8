"""Int8 quantization (``quantize("int8")``, ``QuantizedDTypePolicy``, ``Model.quantize``)
against Keras 3: the same int8 matrices and scales from the same float weights, the
same outputs, configs and files (both ways), and the same training steps."""
import json

import numpy as np
import pytest

import cornu
from cornu import dtype_policies, layers, quantizers

CASES = {  # id: (class, arguments, input shape, input dtype, quantized matrix)
    "Dense": ("Dense", dict(units=5), (4, 6), "float32", "kernel"),
    "Embedding": ("Embedding", dict(input_dim=10, output_dim=6), (4, 3), "int32",
                  "embeddings"),
    "EinsumDense-abc,cd->abd": ("EinsumDense", dict(
        equation="abc,cd->abd", output_shape=(3, 5), bias_axes="d"), (2, 3, 6), "float32",
        "kernel"),
    "EinsumDense-abc,cde->abde": ("EinsumDense", dict(
        equation="abc,cde->abde", output_shape=(3, 2, 4), bias_axes="de"), (2, 3, 6),
        "float32", "kernel"),
    "EinsumDense-abcd,cde->abe": ("EinsumDense", dict(
        equation="abcd,cde->abe", output_shape=(3, 5)), (2, 3, 2, 4), "float32", "kernel"),
    "EinsumDense-abc,cde->abed": ("EinsumDense", dict(
        equation="abc,cde->abed", output_shape=(3, 4, 2), bias_axes="e"), (2, 3, 6),
        "float32", "kernel"),
}


def _np(lib, x):
    return np.asarray(lib.ops.convert_to_numpy(x))


def _inputs(name, rng):
    _, _, shape, dtype, _ = CASES[name]
    if dtype == "int32":
        return rng.integers(0, 10, shape).astype("int32")
    return rng.standard_normal(shape).astype("float32")


def _describe(layer):
    return [(w.name, tuple(w.shape), str(w.dtype).replace("torch.", ""), w.trainable)
            for w in layer.weights]


def _pair(name, keras, rng, **kwargs):
    cls, args = CASES[name][:2]
    args = {**args, "name": "quantized", **kwargs}
    ours, theirs = getattr(layers, cls)(**args), getattr(keras.layers, cls)(**args)
    x = _inputs(name, rng)
    ours(x)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    return ours, theirs, x


# -- dtype policies -------------------------------------------------------------------
@pytest.mark.parametrize("source", ["float32", "mixed_bfloat16", "bfloat16"])
def test_quantized_policy_matches_keras(keras, source):
    ours = dtype_policies.get(f"int8_from_{source}")
    theirs = keras.dtype_policies.get(f"int8_from_{source}")
    assert type(ours).__name__ == type(theirs).__name__ == "QuantizedDTypePolicy"
    assert ours.name == theirs.name == f"int8_from_{source}"
    assert (ours.compute_dtype, ours.variable_dtype, ours.quantization_mode) == \
        (theirs.compute_dtype, theirs.variable_dtype, theirs.quantization_mode)
    assert ours.get_config() == theirs.get_config()
    assert dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    assert dtype_policies.deserialize(keras.dtype_policies.serialize(theirs)) == ours
    assert dtype_policies.QuantizedDTypePolicy.from_config(ours.get_config()) == ours
    assert dtype_policies.QuantizedDTypePolicy("int8", source) == ours
    assert ours != dtype_policies.get(source)
    assert dtype_policies.QuantizedDTypePolicy("int8").name == "int8_from_float32"


@pytest.mark.parametrize("name", [
    "int4_from_float32", "int4/128_from_float32", "int4/-1_from_mixed_bfloat16",
    "float8_from_float32", "gptq/4/128_from_float32", "gptq/8/-1_from_bfloat16",
    "awq/4/64_from_float32"])
def test_other_quantized_policies_match_keras_and_layers_refuse_them(keras, name):
    ours, theirs = dtype_policies.get(name), keras.dtype_policies.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert (ours.name, ours.quantization_mode, ours.compute_dtype, ours.variable_dtype) == \
        (theirs.name, theirs.quantization_mode, theirs.compute_dtype, theirs.variable_dtype)
    assert dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    assert dtype_policies.deserialize(keras.dtype_policies.serialize(theirs)) == ours
    assert ours == type(ours).from_config(ours.get_config())
    for attr in ("block_size", "weight_bits", "group_size", "amax_history_length"):
        assert getattr(ours, attr, None) == getattr(theirs, attr, None)
    dense = layers.Dense(3, dtype=name)
    with pytest.raises(NotImplementedError, match="only 'int8'"):
        dense.build((None, 4))
    built = layers.Dense(3)
    built.build((None, 4))
    with pytest.raises((NotImplementedError, ValueError), match="only 'int8'|GPTQConfig|AWQConfig"):
        built.dtype_policy = name


def test_quantized_policy_errors(keras):
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        dtype_policies.QuantizedDTypePolicy("int3", "float32")
    with pytest.raises(ValueError, match="float16"):
        dtype_policies.get("int8_from_float16")
    with pytest.raises(ValueError, match="_from_"):
        dtype_policies.get("int8_float32")
    for name in ("int4/0_from_float32", "int4/x_from_float32", "gptq/5/128_from_float32",
                 "awq/8/128_from_float32", "gptq/4_from_float32"):
        with pytest.raises(ValueError):
            keras.dtype_policies.get(name)  # Keras refuses these too
        with pytest.raises(ValueError, match="mode"):
            dtype_policies.get(name)
    with pytest.raises(TypeError, match="amax_history_length"):
        dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=1.5)


# -- layers ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_quantize_matches_keras(name, keras, rng):
    ours, theirs, x = _pair(name, keras, rng)
    ours.quantize("int8")
    theirs.quantize("int8")
    assert _describe(ours) == _describe(theirs)
    target = CASES[name][4]
    assert str(getattr(ours, "_" + target).dtype).endswith("int8")
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        if a.dtype == np.int8:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6)
    assert ours.dtype_policy.name == theirs.dtype_policy.name == "int8_from_float32"
    assert ours.quantization_mode == "int8"
    np.testing.assert_allclose(_np(cornu, ours(x)), _np(keras, theirs(x)),
                               rtol=1e-5, atol=1e-5)
    assert json.loads(json.dumps(ours.get_config())) == \
        json.loads(json.dumps(theirs.get_config()))
    # the config builds a quantized layer directly, in both libraries
    clone = type(ours).from_config(theirs.get_config())
    clone(x)
    assert _describe(clone) == _describe(ours)
    kclone = type(theirs).from_config(ours.get_config())
    kclone(x)
    kclone.set_weights(ours.get_weights())
    clone.set_weights(ours.get_weights())
    np.testing.assert_allclose(_np(cornu, clone(x)), _np(keras, kclone(x)),
                               rtol=1e-5, atol=1e-5)


def test_einsum_dense_with_ellipsis_quantizes_like_dense(rng):
    # Keras 3.15 fails on "..." equations here (its analysis takes the input rank for
    # a shape); cornu quantizes them as the equivalent Dense.
    einsum = layers.EinsumDense("...b,bc->...c", output_shape=5, bias_axes="c")
    dense = layers.Dense(5)
    x = rng.standard_normal((2, 3, 6)).astype("float32")
    einsum(x)
    dense(x)
    dense.set_weights(einsum.get_weights())
    expected = cornu.ops.convert_to_numpy(einsum(x))
    einsum.quantize("int8")
    dense.quantize("int8")
    assert [w.shape for w in einsum.weights] == [(5,), (6, 5), (1, 1, 5)]
    np.testing.assert_array_equal(einsum.get_weights()[1], dense.get_weights()[1])
    np.testing.assert_allclose(einsum.get_weights()[2].ravel(), dense.get_weights()[2])
    out = cornu.ops.convert_to_numpy(einsum(x))
    np.testing.assert_allclose(out, cornu.ops.convert_to_numpy(dense(x)), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(out, expected, atol=0.05)  # close to the float layer
    assert not np.allclose(out, expected, atol=1e-7)  # but computed in int8


def test_quantize_with_config_matches_keras(keras, rng):
    def config(lib):
        q = lib.quantizers
        return q.Int8QuantizationConfig(
            weight_quantizer=q.AbsMaxQuantizer(axis=0, value_range=(-100, 100)),
            activation_quantizer=None)

    ours, theirs, x = _pair("Dense", keras, rng)
    ours.quantize("int8", config=config(cornu))
    theirs.quantize("int8", config=config(keras))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert np.abs(ours.get_weights()[1]).max() == 100
    assert ours.inputs_quantizer is None
    np.testing.assert_allclose(_np(cornu, ours(x)), _np(keras, theirs(x)),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_built_under_quantized_policy(name, keras, rng):
    cls, args = CASES[name][:2]
    args = {**args, "dtype": "int8_from_mixed_bfloat16", "quantization_config": None}
    ours, theirs = getattr(layers, cls)(**args), getattr(keras.layers, cls)(**args)
    x = _inputs(name, rng)
    ours(x)
    theirs(x)
    assert _describe(ours) == _describe(theirs)
    weights = [np.clip(np.round(rng.standard_normal(w.shape) * 40), -127, 127).astype(w.dtype)
               if w.dtype == np.int8 else rng.uniform(20, 40, w.shape).astype(w.dtype)
               for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    out, kout = ours(x), theirs(x)
    assert cornu.ops.standardize_dtype(out.dtype) == "bfloat16"
    np.testing.assert_allclose(_np(cornu, cornu.ops.cast(out, "float32")),
                               _np(keras, keras.ops.cast(kout, "float32")),
                               rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("name", ["Dense", "EinsumDense-abc,cde->abde"])
def test_quantize_mixed_precision_matches_keras(name, keras, rng):
    ours, theirs, x = _pair(name, keras, rng, dtype="mixed_bfloat16")
    ours.quantize("int8")
    theirs.quantize("int8")
    assert ours.dtype_policy.name == theirs.dtype_policy.name == "int8_from_mixed_bfloat16"
    assert _describe(ours) == _describe(theirs)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    out, kout = ours(x), theirs(x)
    assert cornu.ops.standardize_dtype(out.dtype) == "bfloat16"
    np.testing.assert_allclose(_np(cornu, cornu.ops.cast(out, "float32")),
                               _np(keras, keras.ops.cast(kout, "float32")),
                               rtol=2e-2, atol=2e-2)


def test_einsum_dense_weight_only_matches_keras(keras, rng):
    ours, theirs, x = _pair("EinsumDense-abcd,cde->abe", keras, rng)
    for lib, layer in ((cornu, ours), (keras, theirs)):
        layer.quantize("int8", config=lib.quantizers.Int8QuantizationConfig(
            activation_quantizer=None))
    np.testing.assert_allclose(_np(cornu, ours(x)), _np(keras, theirs(x)),
                               rtol=1e-5, atol=1e-5)


def test_dtype_policy_setter_quantizes_a_built_layer(rng):
    dense = layers.Dense(3)
    dense.build((None, 4))
    dense.dtype_policy = "int8_from_float32"
    assert dense.quantization_mode == "int8"
    assert [w.name for w in dense.weights] == ["bias", "kernel", "kernel_scale"]


def test_quantize_errors(keras):
    dense = layers.Dense(3)
    with pytest.raises(ValueError, match="isn't yet built"):
        dense.quantize("int8")
    dense.build((None, 4))
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        dense.quantize("int3")
    for mode in ("int4", "float8"):
        with pytest.raises(NotImplementedError, match="only 'int8'"):
            dense.quantize(mode)
    with pytest.raises(ValueError, match="GPTQConfig"):
        dense.quantize("gptq")
    dense.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        dense.quantize("int8")
    half = layers.Dense(3, dtype="float16")
    half.build((None, 4))
    with pytest.raises(ValueError, match="float16"):
        half.quantize("int8")

    class MyDense(layers.Dense):
        pass

    mine = MyDense(3)
    mine.build((None, 4))
    with pytest.raises(NotImplementedError, match="MyDense"):
        mine.quantize("int8")
    with pytest.raises(NotImplementedError, match="only int8"):
        layers.Dense(3, quantization_config=quantizers.Int4QuantizationConfig())
    with pytest.raises(ValueError, match="quantization_config"):
        layers.Embedding(3, 2, quantization_config="int8")


# -- models ---------------------------------------------------------------------------
def _model(lib):
    inputs = lib.Input((3,), dtype="int32")
    x = lib.layers.Embedding(10, 6, name="embed")(inputs)
    x = lib.layers.EinsumDense("abc,cd->abd", output_shape=(3, 8), bias_axes="d",
                               activation="relu", name="hidden")(x)
    x = lib.layers.Flatten()(x)
    return lib.Model(inputs, lib.layers.Dense(2, name="head")(x))


def _data(rng, n=16):
    return (rng.integers(0, 10, (n, 3)).astype("int32"),
            rng.standard_normal((n, 2)).astype("float32"))


def test_model_quantize_and_files_match_keras(keras, rng, tmp_path):
    ours, theirs = _model(cornu), _model(keras)
    theirs.set_weights(ours.get_weights())
    x, _ = _data(rng)
    with pytest.warns(UserWarning, match="does not have a `quantize`") as record:
        ours.quantize("int8")
    assert any("Flatten" in str(w.message) for w in record)
    theirs.quantize("int8")
    for layer in ("embed", "hidden", "head"):
        assert ours.get_layer(layer).dtype_policy.name == "int8_from_float32"
        assert _describe(ours.get_layer(layer)) == _describe(theirs.get_layer(layer))
    assert ours.get_layer("flatten").dtype_policy.name == "float32"
    expected = np.asarray(theirs.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    # Keras's files into cornu
    theirs.save_weights(str(tmp_path / "theirs.weights.h5"))
    theirs.save(str(tmp_path / "theirs.keras"))
    loaded = cornu.saving.load_model(tmp_path / "theirs.keras")
    assert loaded.get_layer("hidden").quantization_mode == "int8"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    fresh = _model(cornu)
    fresh.quantize("int8", filters=["embed", "hidden", "head"])
    fresh.load_weights(tmp_path / "theirs.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    # cornu's files into Keras
    ours.save_weights(tmp_path / "ours.weights.h5")
    ours.save(tmp_path / "ours.keras")
    kloaded = keras.saving.load_model(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(np.asarray(kloaded.predict(x, verbose=0)), expected,
                               rtol=1e-5, atol=1e-5)
    kfresh = _model(keras)
    kfresh.quantize("int8")
    kfresh.load_weights(str(tmp_path / "ours.weights.h5"))
    np.testing.assert_allclose(np.asarray(kfresh.predict(x, verbose=0)), expected,
                               rtol=1e-5, atol=1e-5)


def test_quantized_model_trains_like_keras(keras, rng):
    ours, theirs = _model(cornu), _model(keras)
    theirs.set_weights(ours.get_weights())
    x, y = _data(rng)
    for lib, model in ((cornu, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        with pytest.warns(UserWarning, match="does not have a `quantize`"):  # Flatten, as Keras
            model.quantize("int8")
        assert model.train_function is None
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")  # recompile
    assert [w.name for w in ours.trainable_weights] == \
        [w.name for w in theirs.trainable_weights] == ["bias", "bias"]
    before = ours.get_layer("hidden").get_weights()
    history = ours.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    khistory = theirs.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"], khistory["loss"], rtol=1e-4, atol=1e-5)
    assert history["loss"][-1] < history["loss"][0]
    after = ours.get_layer("hidden").get_weights()
    np.testing.assert_array_equal(before[1], after[1])  # the int8 kernel is frozen
    assert not np.allclose(before[0], after[0])  # the bias trained (through int8)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_model_quantize_errors(keras):
    model = _model(cornu)
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        model.quantize("int3")
    for mode in ("int4", "float8"):
        with pytest.raises(NotImplementedError, match="only 'int8'"):
            model.quantize(mode)
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        model.quantize("int8", foo=1)
    with pytest.raises(ValueError, match="filters"):
        model.quantize("int8", filters=3)
    model.quantize("int8", filters="head")
    assert model.get_layer("head").quantization_mode == "int8"
    assert model.get_layer("hidden").quantization_mode is None


# -- LoRA on a quantized matrix -------------------------------------------------------
# (LoRA's update ``einsum(x, A) @ B`` needs the kernel's last axis last in the output:
# "abc,cde->abed" fails in Keras as in cornu, quantized or not.)
@pytest.mark.parametrize("name", sorted(set(CASES) - {"EinsumDense-abc,cde->abed"}))
def test_lora_on_quantized_matches_keras(name, keras, rng, tmp_path):
    ours, theirs, x = _pair(name, keras, rng)
    for layer in (ours, theirs):
        layer.quantize("int8")
        layer.enable_lora(2, lora_alpha=4)
    assert _describe(ours) == _describe(theirs)
    weights = [w if w.dtype == np.int8 or "scale" in n
               else rng.standard_normal(w.shape).astype(w.dtype)
               for w, n in zip(ours.get_weights(), [v.name for v in ours.weights])]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    np.testing.assert_allclose(_np(cornu, ours(x)), _np(keras, theirs(x)),
                               rtol=1e-5, atol=1e-4)
    # saving merges the update and quantizes again, as Keras does
    store, kstore = {}, {}
    ours.save_own_variables(store)
    theirs.save_own_variables(kstore)
    assert sorted(store) == sorted(kstore)
    for key in store:
        np.testing.assert_allclose(np.asarray(store[key], "float32"),
                                   np.asarray(kstore[key], "float32"), rtol=1e-5, atol=1)


def test_int8_einsum_and_matmul_accumulate_in_int32_as_keras(keras):
    # The quantized EinsumDense multiplies int8 by int8: 64 * 127 * 127 overflows int8.
    a, b = np.full((2, 64), 127, "int8"), np.full((64, 3), 127, "int8")
    for op in ("einsum", "matmul"):
        args = ("ab,bc->ac", a, b) if op == "einsum" else (a, b)
        ours = getattr(cornu.ops, op)(*args)
        theirs = getattr(keras.ops, op)(*args)
        assert cornu.ops.standardize_dtype(ours.dtype) == \
            keras.backend.standardize_dtype(theirs.dtype) == "int32"
        np.testing.assert_array_equal(_np(cornu, ours), _np(keras, theirs))
