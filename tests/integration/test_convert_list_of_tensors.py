"""``ops.convert_to_numpy`` and ``ops.convert_to_tensor`` of a list of tensors (KerasRS's
tests compare ``[e[1], e[2]]``, rows of a trainable embedding table): one array or one
stacked tensor, as Keras, even where the tensors are part of a gradient computation."""
import numpy as np

import cornu
from cornu import ops


def _rows():
    layer = cornu.layers.Embedding(5, 3)
    layer.build((None,))
    return layer, [layer.embeddings[1], layer.embeddings[2] * 2.0]


def test_convert_to_numpy_of_a_list_of_weight_rows():
    layer, rows = _rows()
    table = ops.convert_to_numpy(layer.embeddings)
    out = ops.convert_to_numpy(rows)
    assert isinstance(out, np.ndarray) and out.shape == (2, 3)
    np.testing.assert_allclose(out, [table[1], table[2] * 2.0])


def test_convert_to_tensor_of_a_list_of_tensors_stacks_them():
    _, rows = _rows()
    t = ops.convert_to_tensor(rows)
    assert tuple(t.shape) == (2, 3) and cornu.backend.standardize_dtype(t.dtype) == "float32"
    np.testing.assert_allclose(ops.convert_to_numpy(t), ops.convert_to_numpy(rows))
