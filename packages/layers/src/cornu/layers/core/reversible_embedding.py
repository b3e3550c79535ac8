"""``ReversibleEmbedding``: an embedding that can also project vectors back to logits."""
from cornu import ops
from cornu.layers.core.embedding import Embedding
from cornu.symbolic import KerasTensor


class ReversibleEmbedding(Embedding):
    """An ``Embedding`` whose ``call(x, reverse=True)`` maps vectors to vocabulary logits.

    With ``tie_weights=True`` the reverse projection is the transposed embedding
    matrix (the usual tied input/output embedding of language models); otherwise
    it has its own ``reverse_embeddings`` weight.

    Args:
        input_dim, output_dim, embeddings_initializer: as in ``Embedding``.
        embeddings_regularizer, embeddings_constraint, mask_zero: as in ``Embedding``.
        tie_weights: share the matrix between both directions.
        reverse_dtype: the dtype of the reverse projection (default: the layer's).
        logit_soft_cap: if set, logits become ``tanh(logits / cap) * cap``.

    Weights, in order: ``embeddings`` ``(input_dim, output_dim)``, and without tied
    weights ``reverse_embeddings`` ``(output_dim, input_dim)``.
    """

    def __init__(self, input_dim, output_dim, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings", shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer, trainable=True,
            )
        self.built = True

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs = ops.cast(inputs, self.reverse_dtype)
            kernel = ops.cast(kernel, self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        # The forward embedding masks its output (index 0); the reverse call does not.
        if not self.mask_zero or not _is_int(inputs):
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return (*input_shape[:-1], self.input_dim)
        return (*input_shape, self.output_dim)

    def compute_output_spec(self, inputs, reverse=False):
        dtype = (self.reverse_dtype or self.compute_dtype) if reverse else self.compute_dtype
        return KerasTensor(self.compute_output_shape(inputs.shape, reverse), dtype=dtype)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                    "logit_soft_cap": self.logit_soft_cap})
        return cfg


def _is_int(x):
    return "int" in str(getattr(x, "dtype", ""))
