"""Sparse and ragged tensors on tensorflow, as Keras (KerasRS's EmbedReduce and
DistributedEmbedding look up sparse and ragged ids): ``ops.take`` with sparse or ragged
indices, ``convert_to_tensor(sparse=False)`` densifies, ``ops.shape`` of a ragged tensor,
and ``Input(sparse=True)`` / ``Input(ragged=True)`` placeholders."""
import numpy as np
import pytest
import tensorflow as tf

pytest.importorskip("cornu.layers")

import cornu  # noqa: E402
from cornu import ops  # noqa: E402

_TABLE = np.arange(12, dtype="float32").reshape(6, 2)


def _sparse_ids():
    return tf.SparseTensor(indices=[[0, 0], [1, 0], [1, 2]], values=[1, 2, -1],
                           dense_shape=[2, 3])


def test_take_with_sparse_indices_looks_up_the_stored_ids():
    out = ops.take(_TABLE, _sparse_ids(), axis=0)
    assert tuple(out.shape) == (2, 3, 2)
    # Keras's lookup: the rows at the stored ids (a negative id counts from the end),
    # row 0 where no id is stored.
    expected = np.broadcast_to(_TABLE[0], (2, 3, 2)).copy()
    expected[0, 0], expected[1, 0], expected[1, 2] = _TABLE[1], _TABLE[2], _TABLE[5]
    np.testing.assert_allclose(out.numpy(), expected)
    keras = pytest.importorskip("keras")
    np.testing.assert_allclose(out.numpy(), keras.ops.take(_TABLE, _sparse_ids(), axis=0))


def test_take_with_ragged_indices_is_ragged():
    ids = tf.ragged.constant([[1], [2, -1]])
    out = ops.take(_TABLE, ids, axis=0)
    assert isinstance(out, tf.RaggedTensor)
    np.testing.assert_allclose(out.values.numpy(), _TABLE[[1, 2, 5]])


def test_convert_to_tensor_sparse_false_densifies():
    dense = ops.convert_to_tensor(_sparse_ids(), sparse=False)
    assert not isinstance(dense, tf.SparseTensor)
    np.testing.assert_array_equal(dense.numpy(), [[1, 0, 0], [2, 0, -1]])
    ragged = ops.convert_to_tensor(tf.ragged.constant([[1], [2, 3]]), ragged=False)
    np.testing.assert_array_equal(ragged.numpy(), [[1, 0], [2, 3]])


def test_shape_of_a_ragged_tensor_leaves_the_ragged_dimension_none():
    @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.int32)])
    def batch_size(x):
        shape = ops.shape(x)
        assert shape[1] is None
        return shape[0]

    assert int(batch_size(tf.ragged.constant([[1], [2, 3], [4]]))) == 3


def test_sparse_and_ragged_inputs():
    sparse = cornu.Input((3,), sparse=True, dtype="int32")
    ragged = cornu.Input((None,), ragged=True, dtype="int32")
    assert sparse.sparse and not sparse.ragged
    assert ragged.ragged and not ragged.sparse
    assert cornu.models.InputLayer(shape=(None,), ragged=True).get_config()["ragged"] is True
    # A layer called on a sparse placeholder sees a SparseTensor (its output is dense).
    seen = []

    class Lookup(cornu.layers.Layer):
        def call(self, ids):
            seen.append(isinstance(ids, tf.SparseTensor))
            return ops.take(_TABLE, ids, axis=0)

    out = Lookup()(sparse)
    assert seen == [True] and out.shape == (None, 3, 2) and not out.sparse
