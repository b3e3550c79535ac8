"""``GroupQueryAttention``: attention with fewer key/value heads than query heads
(Ainslie et al., 2023); each key/value head serves a group of query heads."""
import math

from cornu import config, ops
from cornu.layer import Layer
from cornu.layers import _utils
from cornu.layers.activations.softmax import Softmax
from cornu.layers.attention.multi_head_attention import (
    _AttentionBase,
    causal_mask,
    check_positive,
)
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.regularization.dropout import Dropout


class GroupQueryAttention(_AttentionBase):
    """Grouped-query attention over ``query (batch, Tq, dim)`` and ``value (batch, Tv, dim)``.

    ``num_query_heads`` query heads share ``num_key_value_heads`` key/value heads (each
    used by ``num_query_heads // num_key_value_heads`` consecutive query heads).  Runs on
    ``cornu.ops.nn.dot_product_attention`` unless dropout or the scores are needed.

    Args:
        head_dim: the size of each head.
        num_query_heads: the number of query heads.
        num_key_value_heads: the number of key/value heads (divides num_query_heads).
        dropout, use_bias, sliding_window, flash_attention, use_gate, seed, and the
        kernel/bias initializers, regularizers, constraints and activity_regularizer:
        as in ``MultiHeadAttention``.

    Call arguments: as ``MultiHeadAttention`` (query, value, key, the masks,
    attention_mask, return_attention_scores, training, use_causal_mask).  The output has
    the query's shape; the scores are ``(batch, num_query_heads, Tq, Tv)``.

    Weights, in order: query kernel ``(dim, num_query_heads, head_dim)`` and bias, key and
    value kernels ``(dim, num_key_value_heads, head_dim)`` and biases, output kernel
    ``(num_query_heads, head_dim, dim)`` and bias.
    """

    # Keras's class is GroupedQueryAttention (exported as GroupQueryAttention): its name
    # keys default layer names and weights-file paths.
    _keras_class_name = "GroupedQueryAttention"

    # The shared call (_AttentionBase.call) reads MultiHeadAttention's private names;
    # Keras's GroupQueryAttention keeps these two public.
    _sliding_window = property(lambda self: self.sliding_window)
    _use_gate = property(lambda self: self.use_gate)


    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        name = type(self).__name__
        check_positive(head_dim, "head_dim", name)
        check_positive(num_query_heads, "num_query_heads", name)
        check_positive(num_key_value_heads, "num_key_value_heads", name)
        check_positive(sliding_window, "sliding_window", name, allow_none=True)
        _utils.check_rate(dropout, name, "dropout")
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                f"{name}: `num_query_heads` must be divisible by `num_key_value_heads`, "
                f"received num_query_heads={num_query_heads} and "
                f"num_key_value_heads={num_key_value_heads}")
        if flash_attention and dropout > 0:
            raise ValueError(f"{name}: dropout is not supported with flash_attention=True")
        super().__init__(**kwargs)
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        self.sliding_window = sliding_window
        # None follows cornu.config.is_flash_attention_enabled() (Keras's `or`)
        self._flash_attention = flash_attention or config.is_flash_attention_enabled()
        self._init_weight_args(kernel_initializer, bias_initializer, kernel_regularizer,
                               bias_regularizer, activity_regularizer, kernel_constraint,
                               bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))

    kernel_initializer = property(lambda self: self._kernel_initializer)
    bias_initializer = property(lambda self: self._bias_initializer)

    def _score_heads(self):
        return self.num_query_heads

    def _dense(self, equation, output_shape, bias_axes, name, activation=None):
        return EinsumDense(equation, output_shape=output_shape,
                           bias_axes=bias_axes if self.use_bias else None,
                           activation=activation, name=name, **self._sublayer_kwargs())

    def _build_projections(self, query_shape, value_shape, key_shape):
        self.feature_dim = query_shape[-1]
        q_heads, kv_heads, h = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self._query_dense = self._dense("bqm,muh->bquh", (None, q_heads, h), "uh", "query")
        self._query_dense._build_with(query_shape)
        self._key_dense = self._dense("bkm,mvh->bkvh", (None, kv_heads, h), "vh", "key")
        self._key_dense._build_with(key_shape)
        if self.use_gate:
            self._gate_dense = self._dense("bqm,muh->bquh", (None, q_heads, h), "uh", "gate",
                                           activation="sigmoid")
            self._gate_dense._build_with(query_shape)
        self._value_dense = self._dense("bkm,mvh->bkvh", (None, kv_heads, h), "vh", "value")
        self._value_dense._build_with(value_shape)
        self._softmax = Softmax(axis=-1, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self.dropout, dtype=self.dtype_policy, seed=self.seed)
        self._output_dense = self._dense("bquh,uhm->bqm", (None, self.feature_dim), "m",
                                         "attention_output")
        self._output_dense._build_with((None, None, q_heads, h))

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        if not (self.dropout > 0 or return_attention_scores):
            if attention_mask is not None:
                attention_mask = ops.cast(ops.expand_dims(attention_mask, -3), "bool")
            # The backend repeats the key/value heads for their query groups.
            output = ops.nn.dot_product_attention(
                query, key, value, mask=attention_mask, scale=self._inverse_sqrt_head_dim,
                is_causal=use_causal_mask, flash_attention=self._flash_attention)
            return output, None
        key = ops.repeat(key, self.num_repeats, axis=2)
        value = ops.repeat(value, self.num_repeats, axis=2)
        if use_causal_mask:
            causal = causal_mask(query, value)
            attention_mask = causal if attention_mask is None else ops.logical_and(
                ops.cast(attention_mask, "bool"), causal)
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_head_dim, query.dtype))
        scores = ops.einsum("bquh,bkuh->buqk", query, key)
        if attention_mask is not None:
            attention_mask = ops.expand_dims(attention_mask, -3)
        scores = self._softmax.call(scores, mask=attention_mask)
        dropped = self._dropout_layer.call(scores, training=training) if self.dropout > 0 \
            else scores
        return ops.einsum("buqk,bkuh->bquh", dropped, value), scores

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                f"Layer '{self.name}' (GroupQueryAttention): the last dimension of the "
                f"query and the value must be equal, received query shape {query_shape} "
                f"and value shape {value_shape}")
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"Layer '{self.name}' (GroupQueryAttention): all dimensions of `value` and "
                f"`key` except the last must be equal, received value shape {value_shape} "
                f"and key shape {key_shape}")
        return query_shape

    def get_config(self):
        return {
            **Layer.get_config(self),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            **self._weight_args_config(),
            "seed": self.seed,
        }
