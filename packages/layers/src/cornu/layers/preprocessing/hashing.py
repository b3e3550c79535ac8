"""``Hashing``: hash strings or integers into a fixed number of bins.

The hash is stable and documented, identical on both backends and in every process,
and bin for bin equal to Keras 3 (which uses TensorFlow's ops):

* without ``salt``: ``FarmHash Fingerprint64(text) % num_bins``
  (``tf.strings.to_hash_bucket_fast``);
* with ``salt`` (an int ``s`` means the key ``(s, s)``): ``SipHash-2-4(key, text) %
  num_bins`` (``tf.strings.to_hash_bucket_strong``);

where ``text`` is the UTF-8 string, or the decimal spelling of an integer (floats are
truncated to integers first). With ``mask_value`` set, that value maps to bin 0 and the
others to ``1 + hash % (num_bins - 1)``.

What runs where: hashing is host work in pure Python (``_hash.py``), once per distinct
value of the batch; the bin ids then become a backend tensor and the one-hot /
multi-hot / count encoding runs on the device. A ``tf.Tensor`` input on the
TensorFlow backend is hashed with TensorFlow's own ops (same bins), so the layer also
works inside ``tf.function`` and ``tf.data`` pipelines.
"""
import numpy as np

from cornu import ops
from cornu.layer import Layer
from cornu.layers.preprocessing import _common, _hash


class Hashing(Layer):
    """Hashes and bins categorical features.

    Args:
        num_bins: the number of hash bins (including the mask bin when
            ``mask_value`` is set).
        mask_value: a value that maps to bin 0 (optional).
        salt: an int or a pair of ints: use the keyed SipHash (``to_hash_bucket_strong``)
            instead of FarmHash.
        output_mode: ``"int"`` (bin ids), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: not supported by cornu; must be False.
        **kwargs: base ``Layer`` arguments; ``dtype`` defaults to ``"int64"`` in int mode
            and to floatx otherwise.
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int",
                 sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            from cornu import config

            kwargs["dtype"] = "int64" if output_mode == "int" else config.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "Hashing: `num_bins` cannot be None or non-positive. "
                f"Received: num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                "Hashing: when output_mode='int', `dtype` should be an integer type, "
                f"'int32' or 'int64'. Received: dtype={self.dtype}"
            )
        _common.check_output_mode(output_mode, ("int", "one_hot", "multi_hot", "count"),
                                  "Hashing")
        if sparse:
            raise ValueError(
                "Hashing: `sparse=True` is not supported by cornu; the outputs are dense"
            )
        self._convert_input_args = False  # strings and ids are hashed as given
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = [int(s) for s in salt]
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "Hashing: the `salt` argument can only be a tuple of size 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )

    # -- hashing --------------------------------------------------------------------------
    def _hash_numpy(self, values):
        """Bin ids (int64) of a numpy array, on the host."""
        values = np.asarray(values)
        if values.dtype.kind == "O" or values.dtype.kind == "S":
            values = _common.to_text_array(values)
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        out = _hash.hash_buckets(values, bins, key=self.salt)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out.astype("int64")

    def _hash_tf(self, values):
        import tensorflow as tf

        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = tf.equal(values, self.mask_value)
        if values.dtype.is_floating:
            values = tf.cast(values, "int64")
        if values.dtype != tf.string:
            values = tf.strings.as_string(values)
        if self.salt is not None:
            out = tf.strings.to_hash_bucket_strong(values, bins, key=self.salt)
        else:
            out = tf.strings.to_hash_bucket_fast(values, bins)
        if mask is not None:
            out = tf.where(mask, tf.zeros_like(out), out + 1)
        return out

    def call(self, inputs):
        if _common.is_tf_tensor(inputs):
            indices = self._hash_tf(inputs)
        else:
            # Host work: strings cannot live in torch tensors; integer tensors are read
            # back once per call.
            indices = ops.convert_to_tensor(self._hash_numpy(_common.to_numpy(inputs)),
                                            dtype="int64")
        if self.output_mode == "int":
            return ops.cast(indices, self.dtype)
        return _common.encode_categorical(indices, self.output_mode, self.num_bins,
                                          self.dtype)

    def compute_output_shape(self, input_shape):
        return _common.encoded_shape(input_shape, self.output_mode, self.num_bins)

    def compute_output_spec(self, inputs):
        return _common.symbolic_spec(self.compute_output_shape(inputs.shape), self.dtype)

    def _build_with(self, input_shape):
        # Strings have no tensor shape to check; nothing to build.
        self.built = True

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        })
        return cfg
