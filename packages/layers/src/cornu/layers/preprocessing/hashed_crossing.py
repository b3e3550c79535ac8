"""``HashedCrossing``: hash the combination of categorical features into bins.

The bins equal Keras 3's (``tf.sparse.cross_hashed``): starting from the key
``0xDECAFCAFFE``, each feature's hash is folded in with ``FingerprintCat64``, where an
integer feature hashes to its own int64 value and a string feature to its FarmHash
Fingerprint64; the result is taken modulo ``num_bins``.

What runs where: on the host in pure Python (``_hash.py``) for numpy/list inputs and
backend tensors (read back once per call); a ``tf.Tensor`` input on the TensorFlow
backend uses ``tf.sparse.cross_hashed`` itself (same bins, usable in graphs). The
one-hot encoding runs on the device.
"""
import numpy as np

from cornu import ops
from cornu.layer import Layer
from cornu.layers.preprocessing import _common, _hash


class HashedCrossing(Layer):
    """Crosses two or more categorical features by hashing their values together.

    Args:
        num_bins: the number of hash bins.
        output_mode: ``"int"`` (bin ids, int64) or ``"one_hot"``.
        sparse: not supported by cornu; must be False.
        name, dtype: as for every layer (``dtype`` defaults to int64 in int mode).

    Call arguments:
        inputs: a list or tuple of at least two tensors/arrays of integers or strings,
            all of shape ``()``, ``(batch,)`` or ``(batch, 1)``.
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError(
                "HashedCrossing: `sparse=True` is not supported by cornu; the outputs are "
                "dense"
            )
        _common.check_output_mode(output_mode, ("int", "one_hot"), "HashedCrossing")
        self._convert_input_args = False  # strings and ids are hashed as given
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def _check(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "HashedCrossing should be called on a list or tuple of inputs. "
                f"Received: inputs={inputs!r}"
            )
        if len(inputs) < 2:
            raise ValueError(
                "HashedCrossing should be called on at least two inputs. "
                f"Received: {len(inputs)} input(s)"
            )
        shapes = [tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)
                  for x in inputs]
        first = shapes[0]
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(
                "HashedCrossing: all inputs should have shape (), (batch_size) or "
                f"(batch_size, 1). Received shapes: {shapes}"
            )
        if any(s != first for s in shapes[1:]):
            raise ValueError(
                f"HashedCrossing: all inputs should have equal shape. Received shapes: {shapes}"
            )
        return first

    def call(self, inputs):
        shape = self._check(inputs)
        if all(_common.is_tf_tensor(x) for x in inputs):
            ids = self._cross_tf(inputs, shape)
        else:
            columns = []
            for x in inputs:
                value = _common.to_numpy(x) if not isinstance(x, (list, tuple)) else np.asarray(x)
                if value.dtype.kind in "OSU":
                    value = _common.to_text_array(value)
                elif value.dtype.kind not in "iub":
                    raise ValueError(
                        "HashedCrossing: all inputs should have an integer or string dtype. "
                        f"Received dtype {value.dtype}"
                    )
                columns.append(value.reshape(-1))
            ids = _hash.cross_buckets(columns, self.num_bins).reshape(shape)
            ids = ops.convert_to_tensor(ids, dtype="int64")
        if self.output_mode == "int":
            return ops.cast(ids, self.dtype)
        return _common.encode_categorical(ids, "one_hot", self.num_bins, self.compute_dtype)

    def _cross_tf(self, inputs, shape):
        import tensorflow as tf

        for x in inputs:
            if not (x.dtype.is_integer or x.dtype == tf.string):
                raise ValueError(
                    "HashedCrossing: all inputs should have an integer or string dtype. "
                    f"Received dtype {x.dtype.name}"
                )
        cols = [tf.reshape(tf.cast(x, "int64") if x.dtype.is_integer else x, (-1, 1))
                for x in inputs]
        out = tf.sparse.to_dense(tf.sparse.cross_hashed(cols, self.num_bins))
        return tf.reshape(out, shape)

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] == 1:
            return first[:-1] + (self.num_bins,)
        return first + (self.num_bins,)

    def compute_output_spec(self, inputs):
        return _common.symbolic_spec(
            self.compute_output_shape([x.shape for x in inputs]),
            self.dtype if self.output_mode == "int" else self.compute_dtype)

    def _build_with(self, input_shape):
        self.built = True

    def get_config(self):
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": Layer.get_config(self)["dtype"],
        }
