"""``CategoryEncoding``: one-hot, multi-hot or count encoding of integer ids (on device)."""
from cornu import ops
from cornu.layer import Layer
from cornu.layers.preprocessing import _common


class CategoryEncoding(Layer):
    """Encodes integer features as dense one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of categories; inputs must lie in ``[0, num_tokens)``.
        output_mode: ``"one_hot"`` (each element encoded; a trailing axis of size 1
            is replaced by the encoding), ``"multi_hot"`` (default; one vector per
            sample, the last axis being the sample, ``"binary"`` is an alias) or
            ``"count"`` (like multi_hot with the number of occurrences).
        sparse: return a sparse tensor (``tf.SparseTensor`` on tensorflow, a sparse
            COO tensor on torch) instead of a dense one.
        **kwargs: base ``Layer`` arguments (``dtype`` is the output dtype).

    Call arguments:
        inputs: integer ids.
        count_weights: weights with the inputs' shape, summed instead of counting 1
            per occurrence (``output_mode="count"`` only).
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        _common.check_output_mode(output_mode, ("one_hot", "multi_hot", "count"),
                                  "CategoryEncoding")
        if num_tokens is None:
            raise ValueError(
                "CategoryEncoding: `num_tokens` must be set to use this layer. If the "
                "number of tokens is not known beforehand, use the IntegerLookup layer."
            )
        if num_tokens < 1:
            raise ValueError(
                f"CategoryEncoding: `num_tokens` must be >= 1. Received: num_tokens={num_tokens}."
            )
        self.num_tokens = num_tokens
        self._convert_input_args = False  # integer ids are never cast to floats
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "CategoryEncoding: `count_weights` is only used when `output_mode` is "
                    f"'count'. Received output_mode={self.output_mode!r}"
                )
            count_weights = ops.convert_to_tensor(count_weights, dtype=self.compute_dtype)
        inputs = ops.convert_to_tensor(inputs)
        if "float" in str(inputs.dtype):
            inputs = ops.cast(inputs, "int64")
        out = _common.encode_categorical(inputs, self.output_mode, self.num_tokens,
                                         self.compute_dtype, count_weights=count_weights)
        return ops.to_sparse(out) if self.sparse else out

    def compute_output_shape(self, input_shape):
        return _common.encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def compute_output_spec(self, inputs, count_weights=None):
        return _common.symbolic_spec(self.compute_output_shape(inputs.shape),
                                     self.compute_dtype)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode,
                    "sparse": self.sparse})
        return cfg
