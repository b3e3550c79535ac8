"""``Attention``: dot-product (Luong-style) or concat attention over ``[query, value, key]``."""
from cornu import ops, random
from cornu.layer import Layer
from cornu.layers import _utils
from cornu.symbolic import KerasTensor


class Attention(Layer):
    """Attention of ``query (batch, Tq, dim)`` over ``value (batch, Tv, dim)``.

    ``scores = query @ key^T`` (``score_mode="dot"``, times ``scale`` with
    ``use_scale``) or ``concat_score_weight * sum(tanh(scale * (query + key)))``
    (``score_mode="concat"``); ``output = softmax(scores) @ value``.

    Args:
        use_scale: learn a scalar ``scale`` applied to the scores.
        score_mode: ``"dot"`` or ``"concat"``.
        dropout: fraction of the attention weights dropped in training.
        seed: seed of the dropout.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]`` (key defaults to value).
        mask: ``[query_mask (batch, Tq), value_mask (batch, Tv)]``; masked values get
            no weight and masked query steps output zeros.
        training: dropout on or off.
        return_attention_scores: also return the ``(batch, Tq, Tv)`` weights.
        use_causal_mask: query step ``i`` attends to value steps ``<= i`` only.

    Output: ``(batch, Tq, dim)`` (and the scores).  Weights: ``scale`` (with
    ``use_scale``), ``concat_score_weight`` (``score_mode="concat"``).
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        name = type(self).__name__
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{name}: `score_mode` must be 'dot' or 'concat', received "
                f"score_mode={score_mode!r}")
        _utils.check_rate(dropout, name, "dropout")
        super().__init__(**kwargs)
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        if dropout > 0:
            self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones")
        self.built = True

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = ops.multiply(scores, self.scale)
            return scores
        summed = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            summed = ops.multiply(self.scale, summed)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(summed), axis=-1))

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        if scores_mask is not None:
            if len(scores_mask.shape) == 2:
                scores_mask = ops.expand_dims(scores_mask, -2)
            large = 65504.0 if ops.dtype(scores) == "float16" else 1.0e9
            scores = ops.where(scores_mask, scores, ops.subtract(scores, large))
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = random.dropout(weights, self.dropout, seed=self.seed_generator)
        return ops.matmul(weights, value), weights

    @staticmethod
    def _causal_mask(scores):
        shape = ops.shape(scores)
        rows = ops.expand_dims(ops.arange(shape[-2]), -1)
        cols = ops.expand_dims(ops.arange(shape[-1]), 0)
        return ops.expand_dims(ops.greater_equal(rows, cols), 0)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query = ops.convert_to_tensor(inputs[0])
        value = ops.convert_to_tensor(inputs[1])
        key = ops.convert_to_tensor(inputs[2]) if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = None
        if value_mask is not None:
            scores_mask = ops.cast(value_mask, "bool")
        if use_causal_mask:
            causal = self._causal_mask(scores)
            scores_mask = causal if scores_mask is None else ops.logical_and(
                ops.expand_dims(scores_mask, -2), causal)
        output, weights = self._apply_scores(scores, value, scores_mask, training)
        if query_mask is not None:
            query_mask = ops.expand_dims(ops.cast(query_mask, "bool"), -1)
            output = ops.where(query_mask, output, ops.zeros_like(output))
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, mask=None):
        if mask is None or mask[0] is None:
            return None
        return ops.convert_to_tensor(mask[0])

    def compute_output_shape(self, input_shape):
        self._validate_inputs(input_shape)
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        output = KerasTensor((*query.shape[:-1], value.shape[-1]), dtype=self.compute_dtype)
        if return_attention_scores:
            return output, KerasTensor((*query.shape[:-1], key.shape[-2]),
                                       dtype=self.compute_dtype)
        return output

    def _validate_inputs(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"Layer '{self.name}' ({name}) must be called on a list of 2 or 3 inputs, "
                f"[query, value] or [query, value, key], received inputs={inputs!r}")
        if mask is not None and (not isinstance(mask, (list, tuple))
                                 or not 2 <= len(mask) <= 3):
            raise ValueError(
                f"Layer '{self.name}' ({name}): the mask must be a list [query_mask, "
                f"value_mask], received mask={mask!r}")

    def get_config(self):
        return {**Layer.get_config(self), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}
