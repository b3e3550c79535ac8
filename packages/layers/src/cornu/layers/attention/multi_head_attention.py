"""``MultiHeadAttention``: scaled dot-product attention over several learned projections
(Vaswani et al., 2017), with Keras's einsum projections and weight layout."""
import math
import string

from cornu import config, ops
from cornu.layer import Layer, shape_to_json
from cornu.layers import _utils
from cornu.layers.activations.softmax import Softmax
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.regularization.dropout import Dropout
from cornu.symbolic import KerasTensor


# -- einsum equations (the Keras layout of the projection kernels) ---------------------------
def _letter(i):
    return string.ascii_lowercase[i]


def build_proj_equation(free_dims, bound_dims, output_dims):
    """The EinsumDense equation contracting ``bound_dims`` axes into ``output_dims`` new
    ones: returns ``(equation, bias_axes, output_rank)``."""
    inputs = kernel = output = bias = ""
    for i in range(free_dims):
        inputs += _letter(i)
        output += _letter(i)
    for i in range(bound_dims):
        inputs += _letter(free_dims + i)
        kernel += _letter(free_dims + i)
    for i in range(output_dims):
        char = _letter(free_dims + bound_dims + i)
        kernel += char
        output += char
        bias += char
    return f"{inputs},{kernel}->{output}", bias, len(output)


def build_attention_equation(rank, attn_axes):
    """The einsums ``key, query -> scores`` and ``scores, value -> output`` of projected
    tensors of ``rank`` (the last two axes being heads and head size)."""
    target = "".join(_letter(i) for i in range(rank))
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    offset, source = rank, ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _letter(offset)
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def output_shape_for(output_rank, known_last_dims):
    return [None] * (output_rank - len(known_last_dims)) + list(known_last_dims)


# -- masks shared with GroupQueryAttention ----------------------------------------------------
def causal_mask(query, value):
    """``(1, Tq, Tv)`` booleans: query step ``i`` sees value steps ``<= i``."""
    rows = ops.expand_dims(ops.arange(ops.shape(query)[1]), -1)
    cols = ops.expand_dims(ops.arange(ops.shape(value)[1]), 0)
    return ops.expand_dims(ops.greater_equal(rows, cols), 0)


def sliding_window_mask(query, value, window):
    rows = ops.expand_dims(ops.arange(ops.shape(query)[1]), -1)
    cols = ops.expand_dims(ops.arange(ops.shape(value)[1]), 0)
    return ops.expand_dims(ops.less(ops.abs(ops.subtract(rows, cols)), window), 0)


def combine_masks(query, value, query_mask, value_mask, key_mask, attention_mask,
                  use_causal_mask, sliding_window):
    """The ``(batch, Tq, Tv)`` boolean attention mask (None when nothing is masked)."""
    auto = None

    def both(a, b):
        return b if a is None else ops.logical_and(a, b)

    if query_mask is not None:
        auto = ops.expand_dims(ops.cast(query_mask, "bool"), -1)
    if value_mask is not None:
        auto = both(auto, ops.expand_dims(ops.cast(value_mask, "bool"), -2))
    if key_mask is not None:
        auto = both(auto, ops.expand_dims(ops.cast(key_mask, "bool"), -2))
    if use_causal_mask:
        auto = both(auto, causal_mask(query, value))
    if sliding_window is not None:
        auto = both(auto, sliding_window_mask(query, value, sliding_window))
    if attention_mask is not None:
        attention_mask = ops.cast(attention_mask, "bool")
    if auto is not None:
        attention_mask = auto if attention_mask is None else ops.logical_and(
            attention_mask, auto)
    return attention_mask


def tensor_masks(query, value, key, query_mask, value_mask, key_mask):
    """Explicit masks, else the masks the tensors carry (``_keras_mask``)."""
    if query_mask is None:
        query_mask = getattr(query, "_keras_mask", None)
    if value_mask is None:
        value_mask = getattr(value, "_keras_mask", None)
    if key_mask is None and key is not None:
        key_mask = getattr(key, "_keras_mask", None)
    return query_mask, value_mask, key_mask


def check_positive(value, arg, layer_cls, allow_none=False):
    if allow_none and value is None:
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"{layer_cls}: `{arg}` must be a positive integer"
            f"{' or None' if allow_none else ''}, received {arg}={value!r}")
    return value


class _AttentionBase(Layer):
    """What MultiHeadAttention and GroupQueryAttention share: the weight arguments, the
    deferred build (the layer is built from the query, value and key shapes at its
    first call), the build config and the symbolic shapes."""

    def _init_weight_args(self, kernel_initializer, bias_initializer, kernel_regularizer,
                          bias_regularizer, activity_regularizer, kernel_constraint,
                          bias_constraint):
        # As in Keras, the activity regularizer applies to the projections' outputs.
        self._activity_regularizer = _utils.get_regularizer(activity_regularizer)
        self._kernel_initializer = _utils.get_initializer(kernel_initializer)
        self._bias_initializer = _utils.get_initializer(bias_initializer)
        self._kernel_regularizer = _utils.get_regularizer(kernel_regularizer)
        self._bias_regularizer = _utils.get_regularizer(bias_regularizer)
        self._kernel_constraint = _utils.get_constraint(kernel_constraint)
        self._bias_constraint = _utils.get_constraint(bias_constraint)
        self._built_shapes = None

    def _sublayer_kwargs(self):
        return dict(
            kernel_initializer=type(self._kernel_initializer).from_config(
                self._kernel_initializer.get_config()),
            bias_initializer=type(self._bias_initializer).from_config(
                self._bias_initializer.get_config()),
            kernel_regularizer=self._kernel_regularizer,
            bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._activity_regularizer,
            kernel_constraint=self._kernel_constraint, bias_constraint=self._bias_constraint,
            dtype=self.dtype_policy)

    def _project(self, layer, x):
        # The sublayers' own call: the inputs' masks are this layer's business.
        out = layer.call(x)
        if self._activity_regularizer is not None:
            self.add_loss(self._activity_regularizer(out))
        return out

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        query_mask, value_mask, key_mask = tensor_masks(query, value, key, query_mask,
                                                        value_mask, key_mask)
        query, value = ops.convert_to_tensor(query), ops.convert_to_tensor(value)
        key = value if key is None else ops.convert_to_tensor(key)
        self._ensure_built(query, value, key)
        # Causal alone: the backend's own causal flag, no mask tensor.
        causal_only = (use_causal_mask and query_mask is None and value_mask is None
                       and key_mask is None and attention_mask is None
                       and self._sliding_window is None)
        if not causal_only:
            attention_mask = combine_masks(query, value, query_mask, value_mask, key_mask,
                                           attention_mask, use_causal_mask,
                                           self._sliding_window)
        gate = self._project(self._gate_dense, query) if self._use_gate else None
        q = self._project(self._query_dense, query)
        k = self._project(self._key_dense, key)
        v = self._project(self._value_dense, value)
        output, scores = self._compute_attention(
            q, k, v, attention_mask, training, return_attention_scores,
            use_causal_mask=causal_only)
        if gate is not None:
            output = ops.multiply(output, gate)
        output = self._project(self._output_dense, output)
        if return_attention_scores:
            return output, scores
        return output

    def _weight_args_config(self):
        return {
            "kernel_initializer": _utils.serialize_initializer(self._kernel_initializer),
            "bias_initializer": _utils.serialize_initializer(self._bias_initializer),
            "kernel_regularizer": _utils.serialize_regularizer(self._kernel_regularizer),
            "bias_regularizer": _utils.serialize_regularizer(self._bias_regularizer),
            "activity_regularizer": _utils.serialize_regularizer(self._activity_regularizer),
            "kernel_constraint": _utils.serialize_constraint(self._kernel_constraint),
            "bias_constraint": _utils.serialize_constraint(self._bias_constraint),
        }

    # Layer.__call__ builds from the query alone; the projections need every shape, so
    # the real build happens on the first call (or symbolic call).
    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            return
        key_shape = value_shape if key_shape is None else key_shape
        query_shape, value_shape, key_shape = (tuple(s) for s in (query_shape, value_shape,
                                                                  key_shape))
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): all dimensions of `value` and "
                f"`key` except the last must be equal, received value shape {value_shape} "
                f"and key shape {key_shape}")
        self._build_projections(query_shape, value_shape, key_shape)
        self._built_shapes = (query_shape, value_shape, key_shape)
        self.built = True

    def _ensure_built(self, query, value, key):
        if self._built_shapes is None:
            self.build(tuple(query.shape), tuple(value.shape),
                       None if key is None else tuple(key.shape))

    def get_build_config(self):
        # Keras's layout: the call's shapes by argument name, under "shapes_dict".
        if self._built_shapes is None:
            return None
        q, v, k = self._built_shapes
        shapes = {"query_shape": shape_to_json(q), "value_shape": shape_to_json(v)}
        if k != v:
            shapes["key_shape"] = shape_to_json(k)
        return {"shapes_dict": shapes}

    def build_from_config(self, config):
        if not config:
            return
        shapes = config.get("shapes_dict", config)  # (cornu 0.1 wrote the shapes flat)
        if "query_shape" in shapes:
            self.build(tuple(shapes["query_shape"]), tuple(shapes["value_shape"]),
                       None if shapes.get("key_shape") is None
                       else tuple(shapes["key_shape"]))
        self.built = True

    def _scores_spec(self, query, value, key, heads):
        source = value if key is None else key
        return KerasTensor((query.shape[0], heads, query.shape[1], source.shape[1]),
                           dtype=self.compute_dtype)

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None,
                            key_mask=None, attention_mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False):
        self._ensure_built(query, value, key)
        shape = self.compute_output_shape(query.shape, value.shape,
                                          None if key is None else key.shape)
        output = KerasTensor(shape, dtype=self.compute_dtype)
        if return_attention_scores:
            return output, self._scores_spec(query, value, key, self._score_heads())
        return output


class MultiHeadAttention(_AttentionBase):
    """Multi-head attention: ``num_heads`` scaled dot-product attentions of learned
    projections of ``query``, ``key`` and ``value``, combined by an output projection.

    Runs on ``cornu.ops.nn.dot_product_attention`` (the framework's fused attention
    kernel where there is one) when neither dropout nor the attention scores are
    needed and attention is over one axis; otherwise on explicit einsums.

    Args:
        num_heads: the number of heads.
        key_dim: the size of each query/key head.
        value_dim: the size of each value head (default ``key_dim``).
        dropout: fraction of the attention weights dropped in training.
        use_bias: whether the projections have biases.
        output_shape: the trailing output shape (default: the query's last dimension).
        attention_axes: the axes attention runs over (default: all but batch, heads
            and features, i.e. the time axis).
        sliding_window: optional int: query step ``i`` sees key steps within that
            distance.
        flash_attention: passed to ``dot_product_attention``.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: of the projections.
        use_gate: multiply the attention output by a sigmoid gate projected from the query.
        seed: seed of the dropout.

    Call arguments:
        query ``(batch, Tq, dim)``, value ``(batch, Tv, dim)``, key (default value);
        query_mask, value_mask, key_mask (default: the masks the tensors carry);
        attention_mask ``(batch, Tq, Tv)`` booleans (True attends);
        return_attention_scores: also return ``(batch, heads, Tq, Tv)`` scores;
        training; use_causal_mask.

    Weights, in order: query kernel/bias ``(dim, heads, key_dim)``/``(heads, key_dim)``,
    key, value, then output kernel ``(heads, value_dim, out)`` and bias.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        name = type(self).__name__
        check_positive(num_heads, "num_heads", name)
        check_positive(key_dim, "key_dim", name)
        check_positive(value_dim, "value_dim", name, allow_none=True)
        check_positive(sliding_window, "sliding_window", name, allow_none=True)
        _utils.check_rate(dropout, name, "dropout")
        super().__init__(**kwargs)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    f"{name}: `output_shape` must be an int, a tuple or a list, received "
                    f"output_shape={output_shape!r}") from None
        self._output_shape = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                f"{name}: `attention_axes` must be an int, a list or a tuple, received "
                f"attention_axes={attention_axes!r}")
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._sliding_window = sliding_window
        # None follows cornu.config.is_flash_attention_enabled() (Keras's `or`)
        self._flash_attention = flash_attention or config.is_flash_attention_enabled()
        if self._flash_attention and dropout > 0:
            raise ValueError(f"{name}: dropout is not supported with flash_attention=True")
        self._init_weight_args(kernel_initializer, bias_initializer, kernel_regularizer,
                               bias_regularizer, activity_regularizer, kernel_constraint,
                               bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    # The projections live in public attributes: Keras's weights files name them
    # ``query_dense``, ``key_dense``, ... (its public properties).
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)

    def _score_heads(self):
        return self._num_heads

    def _projection(self, rank, last_dims, name, activation=None):
        equation, bias_axes, out_rank = build_proj_equation(rank - 1, 1, 2)
        return EinsumDense(
            equation, output_shape=output_shape_for(out_rank - 1, last_dims),
            bias_axes=bias_axes if self._use_bias else None, activation=activation,
            name=name, **self._sublayer_kwargs())

    def _build_projections(self, query_shape, value_shape, key_shape):
        heads = self._num_heads
        self.query_dense = self._projection(len(query_shape), [heads, self._key_dim],
                                             "query")
        self._query_dense._build_with(query_shape)
        self.key_dense = self._projection(len(key_shape), [heads, self._key_dim], "key")
        self._key_dense._build_with(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(len(query_shape), [heads, self._value_dim],
                                                "gate", activation="sigmoid")
            self._gate_dense._build_with(query_shape)
        self.value_dense = self._projection(len(value_shape), [heads, self._value_dim],
                                             "value")
        self._value_dense._build_with(value_shape)
        rank = len(value_shape) + 1
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else rank - 1 + a
                                         for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = \
            build_attention_equation(rank, self._attention_axes)
        norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype_policy, seed=self.seed)
        out_dims = self._output_shape or (query_shape[-1],)
        equation, bias_axes, out_rank = build_proj_equation(len(query_shape) - 1, 2,
                                                            len(out_dims))
        self.output_dense = EinsumDense(
            equation, output_shape=output_shape_for(out_rank - 1, out_dims),
            bias_axes=bias_axes if self._use_bias else None, name="attention_output",
            **self._sublayer_kwargs())
        projected = list(self._query_dense.compute_output_shape(query_shape))
        projected[-1] = self._value_dim
        self._output_dense._build_with(tuple(projected))

    def _masked_softmax(self, scores, attention_mask):
        if attention_mask is not None:
            axis = -len(self._attention_axes) * 2 - 1
            for _ in range(len(scores.shape) - len(attention_mask.shape)):
                attention_mask = ops.expand_dims(attention_mask, axis)
        return self._softmax.call(scores, mask=attention_mask)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                f"{self.name}: returning attention scores is not supported with flash "
                "attention; pass flash_attention=False (or None) to the layer to get them")
        fused = not (self._dropout > 0 or return_attention_scores or len(query.shape) != 4)
        if fused:
            if attention_mask is not None:
                for _ in range(4 - len(attention_mask.shape)):
                    attention_mask = ops.expand_dims(attention_mask, -3)  # the heads axis
                attention_mask = ops.cast(attention_mask, "bool")
            output = ops.nn.dot_product_attention(
                query, key, value, mask=attention_mask, scale=self._inverse_sqrt_key_dim,
                is_causal=use_causal_mask, flash_attention=self._flash_attention)
            return output, None
        if use_causal_mask:
            causal = causal_mask(query, value)
            attention_mask = causal if attention_mask is None else ops.logical_and(
                ops.cast(attention_mask, "bool"), causal)
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_key_dim, query.dtype))
        scores = ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        dropped = self._dropout_layer.call(scores, training=training) if self._dropout > 0 \
            else scores
        return ops.einsum(self._combine_equation, dropped, value), scores

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"Layer '{self.name}' (MultiHeadAttention): all dimensions of `value` and "
                f"`key` except the last must be equal, received value shape {value_shape} "
                f"and key shape {key_shape}")
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self):
        return {
            **Layer.get_config(self),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            **self._weight_args_config(),
            "seed": self.seed,
        }
