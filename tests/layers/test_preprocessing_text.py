"""TextVectorization: standardization, splitting, n-grams, vocabularies and encodings
(against hand computations and Keras 3 on the same inputs)."""
import json

import numpy as np
import pytest

import cornu

from .conftest import to_numpy

L = cornu.layers

TEXTS = np.array([
    "The Cat sat, on the mat!",
    "the dog; ate  THE cat",
    "Ünïcode ÉTÉ x\u00a0y\ttab",
    "a",
])


def test_standardize_and_split_by_hand():
    layer = L.TextVectorization()
    layer.adapt(TEXTS)
    tokens = []
    for text in TEXTS:
        lowered = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
        stripped = "".join(c for c in lowered if c not in '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\'')
        tokens.extend(t for t in stripped.replace("\t", " ").split(" ") if t)
    # ASCII-only lower-casing ("ÉTÉ" -> "ÉtÉ") and ASCII-only whitespace ("x\xa0y" stays).
    assert "ÉtÉ" in tokens and "x\u00a0y" in tokens
    counts = {t: tokens.count(t) for t in set(tokens)}
    expected = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
    assert layer.get_vocabulary() == ["", "[UNK]"] + expected
    index = {t: i for i, t in enumerate(layer.get_vocabulary())}
    out = to_numpy(layer(np.array(["the cat", "dog unknownword the cat"])))
    assert out.tolist() == [[index["the"], index["cat"], 0, 0],
                            [index["dog"], 1, index["the"], index["cat"]]]


@pytest.mark.parametrize("kwargs", [
    {},
    {"ngrams": 2},
    {"ngrams": (1, 3), "output_mode": "tf_idf"},
    {"split": "character", "output_sequence_length": 6},
    {"output_mode": "multi_hot", "max_tokens": 6},
    {"output_mode": "count", "standardize": "lower"},
    {"output_mode": "count", "max_tokens": 8, "pad_to_max_tokens": True},
    {"standardize": None, "split": None, "output_sequence_length": 3},
    {"output_sequence_length": 3, "standardize": "strip_punctuation"},
])
def test_matches_keras(keras, kwargs):
    ours, theirs = L.TextVectorization(**kwargs), keras.layers.TextVectorization(**kwargs)
    ours.adapt(TEXTS)
    theirs.adapt(TEXTS)
    assert ours.get_vocabulary() == [str(v) for v in theirs.get_vocabulary()]
    probe = TEXTS if kwargs.get("split", "whitespace") else TEXTS[:, None]
    np.testing.assert_allclose(to_numpy(ours(probe)), np.asarray(theirs(probe)), rtol=1e-6)


def test_adapt_from_batches_and_steps():
    whole = L.TextVectorization()
    whole.adapt(TEXTS)
    batched = L.TextVectorization()
    batched.adapt(iter([TEXTS[:2], TEXTS[2:]]))
    assert batched.get_vocabulary() == whole.get_vocabulary()
    by_size = L.TextVectorization()
    by_size.adapt(TEXTS, batch_size=1, steps=1)  # the first text only
    assert by_size.get_vocabulary(include_special_tokens=False) == ["the", "sat", "on", "mat",
                                                                     "cat"]


def test_custom_callables():
    def shout(texts):
        return np.char.upper(texts.astype(str))

    def on_commas(texts):
        return [t.split(",") for t in texts]

    layer = L.TextVectorization(standardize=shout, split=on_commas)
    layer.adapt(["a,b,b", "c,a,b"])
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "A", "C"]
    assert to_numpy(layer(["c,b", "zz"])).tolist() == [[4, 2], [1, 0]]


def test_errors():
    with pytest.raises(RuntimeError, match="set the layer's vocabulary"):
        L.TextVectorization(output_mode="multi_hot")(["abc"])
    with pytest.raises(ValueError, match="repeated term"):
        L.TextVectorization(vocabulary=["a", "b", "a"])
    with pytest.raises(TypeError, match="expected string inputs"):
        L.TextVectorization(vocabulary=["a"])(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="expects strings"):
        L.TextVectorization().adapt(np.array([1, 2]))
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        L.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="output_sequence_length"):
        L.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="standardize"):
        L.TextVectorization(standardize="upper")


def test_config_and_assets_roundtrip(tmp_path):
    layer = L.TextVectorization(ngrams=2, output_mode="tf_idf", max_tokens=12)
    layer.adapt(TEXTS)
    store = {}
    layer.save_own_variables(store)
    layer.save_assets(str(tmp_path))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["vocabulary_size"] == layer.vocabulary_size() and config["ngrams"] == 2
    fresh = L.TextVectorization.from_config(config)
    fresh.load_own_variables(store)
    fresh.load_assets(str(tmp_path))
    assert fresh.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_allclose(to_numpy(fresh(TEXTS)), to_numpy(layer(TEXTS)), rtol=1e-6)
    given = L.TextVectorization(vocabulary=["cat", "the"], output_sequence_length=2)
    clone = L.TextVectorization.from_config(given.get_config())
    assert to_numpy(clone(["the cat dog"])).tolist() == [[3, 2]]


def test_in_functional_model_and_saved(tmp_path):
    vectorizer = L.TextVectorization(output_mode="multi_hot", max_tokens=10)
    vectorizer.adapt(TEXTS)
    inputs = cornu.Input(shape=(1,), dtype="string")
    encoded = vectorizer(inputs)
    assert encoded.shape == (None, 10)
    outputs = L.Dense(1)(L.Activation("linear")(encoded))
    model = cornu.Model(inputs, outputs)
    probe = TEXTS[:, None]
    expected = to_numpy(model.predict(probe, verbose=0))
    path = str(tmp_path / "text.keras")
    model.save(path)
    restored = cornu.saving.load_model(path)
    np.testing.assert_allclose(to_numpy(restored.predict(probe, verbose=0)), expected, rtol=1e-6)


def test_tf_graph_and_ragged(backend_name):
    if backend_name != "tensorflow":
        pytest.skip("string tf.Tensors and ragged outputs exist on the TensorFlow backend only")
    import tensorflow as tf

    layer = L.TextVectorization(output_sequence_length=5)
    layer.adapt(tf.data.Dataset.from_tensor_slices(TEXTS).batch(2))
    eager = to_numpy(layer(TEXTS))
    mapped = next(iter(tf.data.Dataset.from_tensor_slices(TEXTS).batch(4).map(layer)))
    np.testing.assert_array_equal(mapped.numpy(), eager)
    assert mapped.shape == (4, 5)
    ragged = L.TextVectorization(vocabulary=["a", "b"], ragged=True)
    assert ragged(["a b a", "b"]).to_list() == [[2, 3, 2], [3]]
