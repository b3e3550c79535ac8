"""``AdditiveAttention``: Bahdanau-style attention, ``sum(scale * tanh(query + key))``."""
from cornu import ops
from cornu.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Additive attention of ``query (batch, Tq, dim)`` over ``value (batch, Tv, dim)``.

    ``scores[i, j] = sum(scale * tanh(query[i] + key[j]))``; ``output =
    softmax(scores) @ value``.

    Args:
        use_scale: learn the ``(dim,)`` vector ``scale`` (else 1).
        dropout: fraction of the attention weights dropped in training.
        seed: seed of the dropout.

    Call arguments: as ``Attention`` (inputs ``[query, value(, key)]``, ``mask``,
    ``training``, ``return_attention_scores``, ``use_causal_mask``).
    Weights: ``scale (dim,)`` with ``use_scale``.
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(tuple(input_shape[0])[-1],),
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        summed = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            summed = ops.multiply(self.scale, summed)
        return ops.sum(summed, axis=-1)

    def get_config(self):
        config = Attention.get_config(self)
        del config["score_mode"]
        return config
