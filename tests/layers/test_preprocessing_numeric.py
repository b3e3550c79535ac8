"""Numeric and categorical preprocessing: Normalization, Discretization, Rescaling,
CategoryEncoding, Hashing, HashedCrossing (against numpy, golden hashes and Keras 3)."""
import numpy as np
import pytest

import cornu
from cornu.layers.preprocessing import _hash

from .conftest import to_numpy

L = cornu.layers


# -- Normalization -------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, None, (1, 2)])
def test_normalization_adapt_matches_numpy(rng, axis):
    x = rng.normal(3.0, 2.0, size=(20, 3, 4)).astype("float32")
    layer = L.Normalization(axis=axis)
    layer.adapt(x)
    keep = () if axis is None else ((axis,) if isinstance(axis, int) else axis)
    keep = tuple(a % 3 for a in keep)
    reduce = tuple(d for d in range(3) if d not in keep)
    mean = x.astype("float64").mean(axis=reduce, keepdims=True)
    std = x.astype("float64").std(axis=reduce, keepdims=True)
    np.testing.assert_allclose(to_numpy(layer(x)), (x - mean) / std, atol=1e-4)
    np.testing.assert_allclose(to_numpy(layer.adapt_mean), np.squeeze(mean, reduce), rtol=1e-5)


def test_normalization_adapt_batches_equal_array(rng):
    x = rng.normal(size=(50, 3)) * [1.0, 10.0, 100.0] + [5.0, -3.0, 1e3]
    whole = L.Normalization()
    whole.adapt(x)
    batched = L.Normalization()
    batched.adapt(iter([x[:7], x[7:30], (x[30:], None)]))  # a generator, one (x, y) batch
    by_size = L.Normalization()
    by_size.adapt(x, batch_size=16)
    for other in (batched, by_size):
        np.testing.assert_allclose(to_numpy(other.adapt_mean), x.mean(0), rtol=1e-6)
        np.testing.assert_allclose(to_numpy(other.adapt_variance), x.var(0), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(whole.adapt_variance), x.var(0), rtol=1e-6)


def test_normalization_tf_dataset(rng):
    tf = pytest.importorskip("tensorflow")
    x = rng.normal(size=(40, 2)).astype("float32")
    layer = L.Normalization()
    layer.adapt(tf.data.Dataset.from_tensor_slices(x).batch(8), steps=3)
    np.testing.assert_allclose(to_numpy(layer.adapt_mean), x[:24].mean(0), rtol=1e-5, atol=1e-6)


def test_normalization_given_statistics_and_invert():
    x = np.array([[1.0], [2.0], [3.0]], "float32")
    out = to_numpy(L.Normalization(mean=3.0, variance=2.0)(x))
    np.testing.assert_allclose(out, (x - 3.0) / np.sqrt(2.0), rtol=1e-6)
    per_feature = L.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    y = to_numpy(per_feature(np.array([[3.0, 8.0]], "float32")))
    np.testing.assert_allclose(y, [[1.0, 2.0]])
    inv = L.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    np.testing.assert_allclose(to_numpy(inv(y)), [[3.0, 8.0]], rtol=1e-6)


def test_normalization_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        L.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        L.Normalization(mean=[1.0, 2.0], variance=[1.0])
    layer = L.Normalization()
    layer.adapt(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(np.zeros((4, 5)))
    with pytest.raises(TypeError, match="numeric data"):
        L.Normalization().adapt(np.array([["a"]]))


def test_normalization_state_roundtrip_and_keras(rng, keras):
    x = rng.normal(size=(30, 4)).astype("float32")
    layer = L.Normalization()
    layer.adapt(x)
    store = {}
    layer.save_own_variables(store)
    fresh = L.Normalization.from_config(layer.get_config())
    fresh.build((None, 4))
    fresh.load_own_variables(store)
    np.testing.assert_allclose(to_numpy(fresh(x)), to_numpy(layer(x)), rtol=1e-6)
    klayer = keras.layers.Normalization()
    klayer.adapt(x)
    assert [w.shape for w in klayer.get_weights()] == [w.shape for w in layer.get_weights()]
    for ours, theirs in zip(layer.get_weights(), klayer.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(layer(x)), np.asarray(klayer(x)), atol=1e-5)


# -- Discretization ------------------------------------------------------------------------
def test_discretization_given_boundaries_matches_numpy(rng):
    x = rng.normal(size=(6, 5)).astype("float32")
    edges = [-1.0, 0.0, 0.5, 2.0]
    layer = L.Discretization(bin_boundaries=edges)
    out = to_numpy(layer(x))
    np.testing.assert_array_equal(out, np.digitize(x, edges))
    assert out.dtype == np.int32
    one_hot = to_numpy(L.Discretization(bin_boundaries=edges, output_mode="one_hot")(x[:, :1]))
    np.testing.assert_array_equal(one_hot, np.eye(5)[np.digitize(x[:, 0], edges)])
    counts = to_numpy(L.Discretization(bin_boundaries=edges, output_mode="count")(x))
    expected = np.stack([np.bincount(np.digitize(r, edges), minlength=5) for r in x])
    np.testing.assert_array_equal(counts, expected)
    multi = to_numpy(L.Discretization(bin_boundaries=edges, output_mode="multi_hot")(x))
    np.testing.assert_array_equal(multi, (expected > 0).astype("float32"))


def test_discretization_adapt_quantiles(rng, keras):
    small = np.arange(1.0, 41.0).reshape(10, 4)  # fewer values than 1/epsilon: exact
    layer = L.Discretization(num_bins=4)
    layer.adapt(small)
    # Cumulative-weight interpolation of the sorted values at 1/4, 2/4, 3/4.
    np.testing.assert_allclose(layer.bin_boundaries, [10.0, 20.0, 30.0])
    big = rng.normal(size=(4000,)).astype("float32")
    layer = L.Discretization(num_bins=5, epsilon=0.01)
    layer.adapt(big, batch_size=1000)
    np.testing.assert_allclose(layer.bin_boundaries, np.quantile(big, [0.2, 0.4, 0.6, 0.8]),
                               atol=0.05)
    klayer = keras.layers.Discretization(num_bins=5, epsilon=0.01)
    klayer.adapt([big[i:i + 1000] for i in range(0, 4000, 1000)])
    np.testing.assert_allclose(layer.bin_boundaries, klayer.bin_boundaries, rtol=1e-6)
    counts = np.bincount(to_numpy(layer(big)), minlength=5)
    assert counts.min() > 700  # roughly equal-population bins


def test_discretization_errors_and_config():
    layer = L.Discretization(num_bins=3)
    with pytest.raises(ValueError, match="call `adapt"):
        layer(np.zeros((2, 2), "float32"))
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        L.Discretization()
    with pytest.raises(ValueError, match="initialized with `bin_boundaries`"):
        L.Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))
    layer.adapt(np.arange(9.0))
    clone = L.Discretization.from_config(layer.get_config())
    assert clone.bin_boundaries == layer.bin_boundaries
    x = np.arange(9.0).reshape(3, 3).astype("float32")
    np.testing.assert_array_equal(to_numpy(clone(x)), to_numpy(layer(x)))


# -- Rescaling ------------------------------------------------------------------------------
def test_rescaling(rng):
    x = rng.uniform(0, 255, size=(2, 3, 3, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(L.Rescaling(1 / 127.5, offset=-1)(x)), x / 127.5 - 1,
                               rtol=1e-6, atol=1e-6)
    scale = np.array([1.0, 2.0, 3.0], "float32")
    np.testing.assert_allclose(to_numpy(L.Rescaling(scale, offset=[0.0, 1.0, 2.0])(x)),
                               x * scale + [0, 1, 2], rtol=1e-6)
    cfg = L.Rescaling(scale, 0.5).get_config()
    assert cfg["scale"] == [1.0, 2.0, 3.0] and cfg["offset"] == 0.5
    ints = to_numpy(L.Rescaling(0.5)(np.array([[2, 4]], "int32")))
    assert ints.dtype == np.float32 and ints.tolist() == [[1.0, 2.0]]


# -- CategoryEncoding -------------------------------------------------------------------------
def test_category_encoding_modes(keras):
    x2 = np.array([[0, 1, 1], [3, 3, 2]])
    eye = np.eye(4, dtype="float32")
    one = to_numpy(L.CategoryEncoding(4, output_mode="one_hot")(x2))
    np.testing.assert_array_equal(one, eye[x2])
    multi = to_numpy(L.CategoryEncoding(4)(x2))
    np.testing.assert_array_equal(multi, [[1, 1, 0, 0], [0, 0, 1, 1]])
    count = to_numpy(L.CategoryEncoding(4, output_mode="count")(x2))
    np.testing.assert_array_equal(count, [[1, 2, 0, 0], [0, 0, 1, 2]])
    weights = np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 4.0]], "float32")
    weighted = to_numpy(L.CategoryEncoding(4, output_mode="count")(x2, count_weights=weights))
    np.testing.assert_allclose(weighted, [[0.5, 3.0, 0, 0], [0, 0, 4.0, 2.0]])
    for mode in ("one_hot", "multi_hot", "count"):
        for x in (np.array([0, 1, 1, 3]), x2, np.array([[1], [2]])):
            ours = to_numpy(L.CategoryEncoding(4, output_mode=mode)(x))
            theirs = np.asarray(keras.layers.CategoryEncoding(4, output_mode=mode)(x))
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{mode} {x.shape}")
    with pytest.raises(ValueError, match="num_tokens"):
        L.CategoryEncoding()
    with pytest.raises(ValueError, match="count_weights"):
        L.CategoryEncoding(4)(x2, count_weights=weights)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding_sparse_output(mode, backend_name):
    x2 = np.array([[0, 1, 1], [3, 3, 2]])
    layer = L.CategoryEncoding(4, output_mode=mode, sparse=True)
    out = layer(x2)
    if backend_name == "torch":
        import torch

        assert out.layout == torch.sparse_coo
        nonzeros = int(out.coalesce().values().count_nonzero())
    else:
        import tensorflow as tf

        assert isinstance(out, tf.SparseTensor)
        nonzeros = int(tf.math.count_nonzero(out.values))
    dense = to_numpy(L.CategoryEncoding(4, output_mode=mode)(x2))
    np.testing.assert_array_equal(to_numpy(out), dense)
    assert nonzeros == int(np.count_nonzero(dense))  # only the nonzeros are stored
    config = layer.get_config()
    assert config["sparse"] is True
    assert L.CategoryEncoding.from_config(config).sparse is True


# -- hashing ------------------------------------------------------------------------------------
_STRINGS = ["", "a", "hello", "The quick brown fox", "x" * 70, "héllo"]


def test_hash_functions_golden_values():
    """The pure-Python hashes equal TensorFlow's (values recorded from tf 2.21), in any
    process: this is what makes bins stable across backends and runs."""
    n = 2 ** 63 - 1
    assert [_hash.fingerprint64(s) % n for s in _STRINGS] == [
        1936946117179621456, 3694432073954588132, 3786372426573024489,
        8706065398841449446, 5457250325824655745, 7873941210624644344]
    assert [_hash.siphash24((7, 42), s) % n for s in _STRINGS] == [
        6240339571666724266, 1515806392981532503, 3886925023559971051,
        7368309385594703772, 3024992645304502460, 2105047003902919327]
    assert _hash.cross_buckets([np.array([1, 2]), np.array(["a", "b"])], 1000).tolist() == [445, 149]


def test_hash_functions_match_tensorflow(rng):
    tf = pytest.importorskip("tensorflow")
    alphabet = list("abcxyz é日")
    strings = ["".join(rng.choice(alphabet, size=n)) for n in range(0, 140, 3)]
    n = 2 ** 63 - 1
    fast = tf.strings.to_hash_bucket_fast(strings, n).numpy().tolist()
    assert fast == [_hash.fingerprint64(s) % n for s in strings]
    strong = tf.strings.to_hash_bucket_strong(strings, n, key=[3, 99]).numpy().tolist()
    assert strong == [_hash.siphash24((3, 99), s) % n for s in strings]


def test_hashing_layer_matches_keras(keras):
    strings = np.array([["a"], ["b"], ["hello"], [""], ["b"]])
    ints = np.array([[1], [-7], [123456789], [0]])
    for kwargs in ({}, {"salt": 133}, {"salt": (1, 2)}, {"mask_value": "b"}):
        ours = to_numpy(L.Hashing(num_bins=5, **kwargs)(strings))
        theirs = np.asarray(keras.layers.Hashing(num_bins=5, **kwargs)(strings))
        np.testing.assert_array_equal(ours, theirs, err_msg=str(kwargs))
    np.testing.assert_array_equal(to_numpy(L.Hashing(7)(ints)),
                                  np.asarray(keras.layers.Hashing(7)(ints)))
    floats = np.array([[1.7], [-2.2]])  # truncated to integers first
    np.testing.assert_array_equal(to_numpy(L.Hashing(7)(floats)), to_numpy(L.Hashing(7)(
        np.array([[1], [-2]]))))
    for mode in ("one_hot", "multi_hot", "count"):
        ours = to_numpy(L.Hashing(6, output_mode=mode)(strings[:, 0]))
        theirs = np.asarray(keras.layers.Hashing(6, output_mode=mode)(strings[:, 0]))
        np.testing.assert_array_equal(ours, theirs, err_msg=mode)


def test_hashing_tensor_inputs_and_errors(backend_name):
    ids = np.array([[3], [5], [3]])
    expected = to_numpy(L.Hashing(4)(ids))
    np.testing.assert_array_equal(to_numpy(L.Hashing(4)(cornu.ops.convert_to_tensor(ids))),
                                  expected)
    assert expected[0, 0] == expected[2, 0]
    with pytest.raises(ValueError, match="num_bins"):
        L.Hashing(0)
    with pytest.raises(ValueError, match="salt"):
        L.Hashing(3, salt="x")
    cfg = L.Hashing(3, salt=5).get_config()
    assert cfg["salt"] == [5, 5] and L.Hashing.from_config(cfg).salt == [5, 5]


def test_hashed_crossing_matches_keras(keras):
    a = np.array([1, 2, 3, 1])
    b = np.array(["x", "y", "z", "x"])
    ours = to_numpy(L.HashedCrossing(num_bins=10)((a, b)))
    theirs = np.asarray(keras.layers.HashedCrossing(num_bins=10)((a, b)))
    np.testing.assert_array_equal(ours, theirs)
    assert ours[0] == ours[3]
    hot = to_numpy(L.HashedCrossing(num_bins=10, output_mode="one_hot")((a[:, None], b[:, None])))
    np.testing.assert_array_equal(hot, np.eye(10)[ours])
    with pytest.raises(ValueError, match="at least two"):
        L.HashedCrossing(4)([a])
    with pytest.raises(ValueError, match="integer or string"):
        L.HashedCrossing(4)((a.astype("float32"), b))


def test_hashed_crossing_symbolic():
    x1 = cornu.Input(shape=(1,), dtype="int64")
    x2 = cornu.Input(shape=(1,), dtype="string")
    y = L.HashedCrossing(8, output_mode="one_hot")([x1, x2])
    assert y.shape == (None, 8)
