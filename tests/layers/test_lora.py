"""LoRA on Dense, EinsumDense and Embedding, against Keras 3: the same weights (names,
shapes, trainability), the same outputs from the same factors, the same training
steps, the same saved files (the merged matrix in the matrix's place), both ways."""
import numpy as np
import pytest

import cornu
from cornu import layers

CASES = {
    "Dense": (dict(units=5), (4, 6), "float32"),
    "EinsumDense": (dict(equation="abc,cd->abd", output_shape=(3, 5), bias_axes="d"),
                    (2, 3, 6), "float32"),
    "Embedding": (dict(input_dim=10, output_dim=6), (4, 3), "int32"),
}


def _inputs(name, rng):
    _, shape, dtype = CASES[name]
    if dtype == "int32":
        return rng.integers(0, 10, shape).astype("int32")
    return rng.standard_normal(shape).astype("float32")


def _pair(name, ref, rng, **lora):
    kwargs = CASES[name][0]
    ours = getattr(layers, name)(**kwargs, **lora)
    theirs = ref.keras_layer(name, **kwargs, **lora)
    x = _inputs(name, rng)
    ours(x)
    theirs(x)
    return ours, theirs, x


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("how", ["enable_lora", "lora_rank"])
def test_lora_matches_keras(name, how, ref, rng):
    lora = {"lora_rank": 2, "lora_alpha": 4} if how == "lora_rank" else {}
    ours, theirs, x = _pair(name, ref, rng, **lora)
    if how == "enable_lora":
        ours.enable_lora(2, lora_alpha=4)
    # Keras's Dense and Embedding drop a constructor lora_alpha when they build (they
    # enable LoRA with the rank alone, against their docstring); cornu keeps it, so
    # the reference enables LoRA explicitly with the documented scale
    if how == "enable_lora" or name != "EinsumDense":
        theirs = ref.keras_layer(name, **CASES[name][0])
        theirs(x)
        theirs.enable_lora(2, lora_alpha=4)
    assert [(w.name, tuple(w.shape), w.trainable) for w in ours.weights] == \
        [(w.name, tuple(w.shape), w.trainable) for w in theirs.weights]
    assert [w.name for w in ours.trainable_weights] == \
        [w.name for w in theirs.trainable_weights]
    # B starts at zero: enabling LoRA leaves the output unchanged
    assert not np.any(ours.get_weights()[-1])
    # with non-zero factors both compute W + (alpha / rank) * A @ B
    weights = [rng.standard_normal(w.shape).astype("float32") for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    np.testing.assert_allclose(cornu.ops.convert_to_numpy(ours(x)),
                               np.asarray(ref.keras.ops.convert_to_numpy(theirs(x))),
                               rtol=1e-5, atol=1e-5)
    target = "embeddings" if name == "Embedding" else "kernel"
    np.testing.assert_allclose(cornu.ops.convert_to_numpy(getattr(ours, target)),
                               np.asarray(ref.keras.ops.convert_to_numpy(
                                   getattr(theirs, target))), rtol=1e-5, atol=1e-5)
    config = ours.get_config()
    assert config["lora_rank"] == 2 and config["lora_alpha"] == 4
    ref.assert_config_keys(ours, theirs)
    clone = ref.roundtrip(ours)
    clone(x)
    assert clone.lora_enabled and clone.lora_alpha == 4


def _model(lib, name):
    kwargs, shape, dtype = CASES[name]
    inputs = lib.Input(shape[1:], dtype=dtype)
    x = getattr(lib.layers, name)(**kwargs, name="adapted")(inputs)
    outputs = lib.layers.Dense(1, name="head")(lib.layers.Flatten()(x))
    return lib.Model(inputs, outputs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_lora_training_and_files_match_keras(name, ref, rng, tmp_path):
    keras = ref.keras
    ours, theirs = _model(cornu, name), _model(keras, name)
    theirs.set_weights(ours.get_weights())
    for model in (ours, theirs):
        model.get_layer("adapted").enable_lora(3)
        model.get_layer("head").trainable = False
        model.compile(optimizer=model_optimizer(model), loss="mse")
    # the same LoRA factors on both sides (A is random at enable time)
    theirs.set_weights(ours.get_weights())
    x = np.concatenate([_inputs(name, rng) for _ in range(4)])
    y = rng.standard_normal((len(x), 1)).astype("float32")
    frozen = ours.get_layer("adapted").get_weights()[0]
    ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(ours.get_layer("adapted").get_weights()[0], frozen)
    assert np.any(ours.get_layer("adapted").get_weights()[-1])  # B trained
    expected = np.asarray(theirs.predict(x, verbose=0))
    # cornu's file: Keras loads it into a model without LoRA (the update is merged)
    ours.save(tmp_path / "ours.keras")
    ours.save_weights(tmp_path / "ours.weights.h5")
    plain = _model(keras, name)
    plain.load_weights(str(tmp_path / "ours.weights.h5"))
    np.testing.assert_allclose(np.asarray(plain.predict(x, verbose=0)), expected,
                               rtol=1e-4, atol=1e-4)
    reloaded = keras.saving.load_model(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(np.asarray(reloaded.predict(x, verbose=0)), expected,
                               rtol=1e-4, atol=1e-4)
    # Keras's file into cornu, with LoRA enabled: the merged matrix, zero factors
    theirs.save_weights(str(tmp_path / "theirs.weights.h5"))
    back = _model(cornu, name)
    back.get_layer("adapted").enable_lora(3)
    back.load_weights(tmp_path / "theirs.weights.h5")
    assert not np.any(back.get_layer("adapted").get_weights()[-1])
    np.testing.assert_allclose(back.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)
    ours_reloaded = cornu.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(ours_reloaded.predict(x, verbose=0), expected, rtol=1e-4,
                               atol=1e-4)


def model_optimizer(model):
    lib = cornu if isinstance(model, cornu.Model) else __import__("keras")
    return lib.optimizers.SGD(0.05)


def test_enable_lora_errors():
    dense = layers.Dense(3)
    with pytest.raises(ValueError, match="build the layer before enable_lora"):
        dense.enable_lora(2)
    dense.build((None, 4))
    dense.enable_lora(2)
    with pytest.raises(ValueError, match="already enabled"):
        dense.enable_lora(2)
    constrained = layers.Dense(3, kernel_constraint="non_neg")
    constrained.build((None, 4))
    with pytest.raises(ValueError, match="kernel_constraint"):
        constrained.enable_lora(2)
    embedding = layers.Embedding(5, 2)
    embedding.build()
    with pytest.raises(ValueError, match="rank"):
        embedding.enable_lora(0)
