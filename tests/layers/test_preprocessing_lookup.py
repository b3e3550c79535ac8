"""StringLookup and IntegerLookup: vocabularies, OOV handling, encodings, inversion,
errors, asset and config round trips (against hand computations and Keras 3)."""
import collections
import json
import os

import numpy as np
import pytest

import cornu

from .conftest import to_numpy

L = cornu.layers

DOCS = np.array([["b", "a", "c", "a"], ["d", "a", "b", "e"], ["c", "a", "b", "b"]])


def _expected_vocab(tokens):
    counts = collections.Counter(tokens)
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)]


def test_string_lookup_adapt_vocabulary_and_indices():
    layer = L.StringLookup()
    layer.adapt(DOCS)
    vocab = _expected_vocab(DOCS.ravel().tolist())
    assert layer.get_vocabulary() == ["[UNK]"] + vocab
    assert layer.get_vocabulary(include_special_tokens=False) == vocab
    assert layer.vocabulary_size() == len(vocab) + 1
    x = np.array([["a", "zz"], ["e", "b"]])
    out = to_numpy(layer(x))
    index = {t: i + 1 for i, t in enumerate(vocab)}
    assert out.tolist() == [[index["a"], 0], [index["e"], index["b"]]]
    assert out.dtype == np.int64
    capped = L.StringLookup(max_tokens=3)
    capped.adapt(DOCS.ravel().tolist())  # a plain list of tokens works too
    assert capped.get_vocabulary() == ["[UNK]"] + vocab[:2]


def test_string_lookup_modes_match_keras(keras):
    x = np.array([["a", "zz", ""], ["c", "b", "b"]])
    for kwargs in ({"output_mode": "one_hot"}, {"output_mode": "multi_hot", "mask_token": ""},
                   {"output_mode": "count"}, {"output_mode": "tf_idf"},
                   {"num_oov_indices": 3}, {"num_oov_indices": 3, "salt": 9},
                   {"mask_token": "", "num_oov_indices": 2},
                   {"max_tokens": 4, "pad_to_max_tokens": True, "output_mode": "count"}):
        ours, theirs = L.StringLookup(**kwargs), keras.layers.StringLookup(**kwargs)
        ours.adapt(DOCS)
        theirs.adapt(DOCS)
        assert ours.get_vocabulary() == [str(v) for v in theirs.get_vocabulary()], kwargs
        np.testing.assert_allclose(to_numpy(ours(x)), np.asarray(theirs(x)), rtol=1e-6,
                                   err_msg=str(kwargs))


def test_tf_idf_weights_by_hand():
    layer = L.StringLookup(output_mode="tf_idf")
    layer.adapt(DOCS)
    vocab = layer.get_vocabulary(include_special_tokens=False)
    docs = [set(row) for row in DOCS.tolist()]
    idf = np.array([np.log(1 + len(docs) / (1 + sum(t in d for d in docs))) for t in vocab])
    np.testing.assert_allclose(layer.idf_weights, np.concatenate([[idf.mean()], idf]), rtol=1e-6)
    out = to_numpy(layer(np.array([["a", "a", "q"]])))
    expected = np.zeros(len(vocab) + 1)
    expected[0] = idf.mean()  # the OOV "q"
    expected[1 + vocab.index("a")] = 2 * idf[vocab.index("a")]
    np.testing.assert_allclose(out[0], expected, rtol=1e-6)


def test_integer_lookup_matches_keras(keras):
    data = np.array([[5, 6, 7, 7], [9, 7, 5, 12]])
    x = np.array([[5, 0, 9, -4, 7, 100]])
    for kwargs in ({}, {"num_oov_indices": 3, "mask_token": 0},
                   {"num_oov_indices": 3, "mask_token": 0, "oov_method": "farmhash"},
                   {"num_oov_indices": 2, "oov_method": "farmhash", "salt": 4},
                   {"output_mode": "multi_hot"}, {"output_mode": "count", "max_tokens": 3}):
        ours, theirs = L.IntegerLookup(**kwargs), keras.layers.IntegerLookup(**kwargs)
        ours.adapt(data)
        theirs.adapt(data)
        assert ours.get_vocabulary() == [int(v) for v in theirs.get_vocabulary()], kwargs
        np.testing.assert_array_equal(to_numpy(ours(x)), np.asarray(theirs(x)), err_msg=str(kwargs))


def test_integer_lookup_device_path_and_invert():
    layer = L.IntegerLookup(vocabulary=[12, 5, 40], num_oov_indices=2, mask_token=0)
    ids = cornu.ops.convert_to_tensor(np.array([[5, 0, 40, 3, -3, 12]], "int64"))
    out = to_numpy(layer(ids))
    # mask 0 -> 0, OOV v -> 1 + floormod(v, 2), vocabulary from index 3.
    assert out.tolist() == [[4, 0, 5, 2, 2, 3]]
    inv = L.IntegerLookup(vocabulary=[12, 5, 40], num_oov_indices=2, mask_token=0, invert=True)
    assert to_numpy(inv(out)).tolist() == [[5, 0, 40, -1, -1, 12]]
    assert to_numpy(inv(np.array([9, -1]))).tolist() == [-1, -1]
    empty = L.IntegerLookup()
    assert to_numpy(empty(np.array([3, 4]))).tolist() == [0, 0]


def test_string_lookup_invert_and_tensor_shapes():
    layer = L.StringLookup(vocabulary=["a", "b", "c"], invert=True, mask_token="[M]")
    out = layer(np.array([[0, 1, 2], [3, 4, 9]]))
    assert isinstance(out, np.ndarray)
    assert out.tolist() == [["[M]", "[UNK]", "a"], ["b", "c", "[UNK]"]]
    fwd = L.StringLookup(vocabulary=["a", "b"])
    assert to_numpy(fwd("b")).tolist() == 2
    assert to_numpy(fwd([b"a", b"q"])).tolist() == [1, 0]


def test_set_vocabulary_with_special_tokens_and_idf():
    layer = L.StringLookup(output_mode="tf_idf", mask_token="")
    # In the encoded modes the mask token is dropped, not indexed: [UNK] comes first.
    layer.set_vocabulary(["[UNK]", "x", "y"], idf_weights=[0.5, 1.0, 2.0])
    assert layer.get_vocabulary(include_special_tokens=False) == ["x", "y"]
    np.testing.assert_allclose(to_numpy(layer(np.array([["y", "y", "", "q"]]))),
                               [[0.5, 0, 4.0]])
    given = L.StringLookup(vocabulary=["x", "y"], output_mode="tf_idf", idf_weights=[1.0, 3.0])
    np.testing.assert_allclose(given.idf_weights, [2.0, 1.0, 3.0])


def test_lookup_errors():
    with pytest.raises(ValueError, match="repeated term"):
        L.StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="repeated term"):
        L.IntegerLookup(vocabulary=[1, 2, 2])
    with pytest.raises(RuntimeError, match="set the layer's vocabulary"):
        L.StringLookup(output_mode="multi_hot")(np.array([["a"]]))
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        L.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        L.IntegerLookup(vocabulary=[1], num_oov_indices=0)(np.array([1, 2]))
    with pytest.raises(TypeError, match="integer"):
        L.IntegerLookup(vocabulary=[1, 2])(np.array([1.5, 2.0], "float32"))
    with pytest.raises(TypeError, match="string"):
        L.StringLookup().adapt(np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="integer"):
        L.IntegerLookup().adapt(np.array(["a"]))
    with pytest.raises(ValueError, match="static vocabulary"):
        L.StringLookup(vocabulary=["a"]).adapt(np.array(["b"]))
    with pytest.raises(ValueError, match="mask token"):
        L.StringLookup(vocabulary=["a", "[M]"], mask_token="[M]")
    with pytest.raises(ValueError, match="max_tokens"):
        L.StringLookup(max_tokens=2, vocabulary=["a", "b"])
    with pytest.raises(ValueError, match="invert"):
        L.StringLookup(invert=True, output_mode="count")


def test_vocabulary_file_and_safe_mode(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\nz\n", encoding="utf-8")
    layer = L.StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "x", "y", "z"]
    cfg = layer.get_config()
    assert cfg["vocabulary"] is None  # the file's content travels as an asset, not its path
    evil = dict(cfg, vocabulary=str(path))
    with pytest.raises(ValueError, match="safe mode"):
        cornu.saving.deserialize_cornu_object(
            {"class_name": "StringLookup", "config": evil, "module": "keras.layers"})
    loaded = cornu.saving.deserialize_cornu_object(
        {"class_name": "StringLookup", "config": evil, "module": "keras.layers"},
        safe_mode=False)
    assert loaded.get_vocabulary() == ["[UNK]", "x", "y", "z"]
    tv_cfg = dict(L.TextVectorization().get_config(), vocabulary=str(path))
    with pytest.raises(ValueError, match="safe mode"):
        L.TextVectorization.from_config(tv_cfg)


@pytest.mark.parametrize("cls,data,probe", [
    ("StringLookup", DOCS, np.array([["a", "e", "??"]])),
    ("IntegerLookup", np.array([[3, 3, 9], [4, 3, 4]]), np.array([[4, 9, 77]])),
])
def test_assets_and_config_roundtrip(tmp_path, cls, data, probe):
    layer = getattr(L, cls)(mask_token=None, num_oov_indices=2, output_mode="count")
    layer.adapt(data)
    layer.save_assets(str(tmp_path))
    assert (tmp_path / "vocabulary.txt").read_text(encoding="utf-8").split("\n") == [
        str(v) for v in layer.get_vocabulary()]
    config = json.loads(json.dumps(layer.get_config()))
    fresh = getattr(L, cls).from_config(config)
    fresh.load_assets(str(tmp_path))
    assert fresh.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(to_numpy(fresh(probe)), to_numpy(layer(probe)))


def test_tf_idf_own_variables_roundtrip(tmp_path):
    layer = L.StringLookup(output_mode="tf_idf")
    layer.adapt(DOCS)
    store = {}
    layer.save_own_variables(store)
    layer.save_assets(str(tmp_path))
    fresh = L.StringLookup.from_config(layer.get_config())
    fresh.load_own_variables(store)
    fresh.load_assets(str(tmp_path))
    probe = np.array([["a", "b", "q", "c"]])
    np.testing.assert_allclose(to_numpy(fresh(probe)), to_numpy(layer(probe)), rtol=1e-6)


def test_lookup_in_saved_model(tmp_path):
    """An adapted vocabulary survives model.save / load_model (assets in the archive)."""
    lookup = L.StringLookup(output_mode="one_hot")
    lookup.adapt(DOCS)
    inputs = cornu.Input(shape=(1,), dtype="string")
    outputs = L.Dense(2)(lookup(inputs))
    model = cornu.Model(inputs, outputs)
    probe = np.array([["a"], ["e"], ["zz"]])
    expected = to_numpy(model.predict(probe, verbose=0))
    path = os.path.join(tmp_path, "lookup.keras")
    model.save(path)
    restored = cornu.saving.load_model(path)
    assert restored.layers[1].get_vocabulary() == lookup.get_vocabulary()
    np.testing.assert_allclose(to_numpy(restored.predict(probe, verbose=0)), expected, rtol=1e-6)


def test_tf_graph_and_dataset_paths(backend_name):
    if backend_name != "tensorflow":
        pytest.skip("string tf.Tensors exist on the TensorFlow backend only")
    import tensorflow as tf

    layer = L.StringLookup(num_oov_indices=2)
    layer.adapt(tf.data.Dataset.from_tensor_slices(DOCS).batch(2))
    x = np.array([["a", "zz"], ["e", "b"]])
    eager = to_numpy(layer(x))
    np.testing.assert_array_equal(to_numpy(layer(tf.constant(x))), eager)
    graph = tf.function(lambda t: layer(t))(tf.constant(x))
    np.testing.assert_array_equal(graph.numpy(), eager)
    mapped = list(tf.data.Dataset.from_tensor_slices(x).batch(2).map(layer))[0]
    np.testing.assert_array_equal(mapped.numpy(), eager)
    ints = L.IntegerLookup(vocabulary=[4, 8])
    np.testing.assert_array_equal(
        tf.function(lambda t: ints(t))(tf.constant([8, 4, 1], "int64")).numpy(), [2, 1, 0])
