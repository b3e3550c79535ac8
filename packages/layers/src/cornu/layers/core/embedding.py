"""``Embedding``: map integer indices to dense vectors."""
from cornu import ops
from cornu.layer import Layer
from cornu.layers import _utils
from cornu.layers.core._lora import LoRA, adapted


class Embedding(LoRA, Layer):
    """Turns indices in ``[0, input_dim)`` into vectors of size ``output_dim``.

    Args:
        input_dim: positive int, the vocabulary size (largest index + 1).
        output_dim: positive int, the size of each vector.
        embeddings_initializer: initializer of the ``(input_dim, output_dim)``
            matrix (default ``"uniform"``: uniform in [-0.05, 0.05]).
        embeddings_regularizer, embeddings_constraint: for the matrix.
        activity_regularizer: for the output.
        mask_zero: treat index 0 as padding: ``compute_mask`` returns
            ``inputs != 0``.  Index 0 must then not be used as a real token.
        weights: an optional initial ``(input_dim, output_dim)`` array (or a list
            holding one), which builds the layer at once.
        lora_rank, lora_alpha: LoRA of this rank, enabled when the layer builds (see
            :meth:`enable_lora`: the matrix is frozen and a low-rank update
            ``lora_embeddings_a @ lora_embeddings_b`` trained), scaled by
            ``lora_alpha / lora_rank``.
        quantization_config: accepted for Keras compatibility; only None is supported.

    Input shape: any integer tensor ``(batch, ...)``.  Output shape:
    ``(batch, ..., output_dim)``.
    """

    _lora_target = "embeddings"
    _lora_names = ("lora_embeddings_a", "lora_embeddings_b")
    embeddings = adapted("embeddings")

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        _utils.check_positive_int(input_dim, "input_dim", "Embedding")
        _utils.check_positive_int(output_dim, "output_dim", "Embedding")
        _utils.reject_unsupported("Embedding", quantization_config=quantization_config)
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = _utils.get_initializer(embeddings_initializer)
        self.embeddings_regularizer = _utils.get_regularizer(embeddings_regularizer)
        self.embeddings_constraint = _utils.get_constraint(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.autocast = False
        if weights is not None:
            self._build_with(None)
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer, regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint, trainable=True,
        )
        self.built = True
        self._build_lora()

    def call(self, inputs):
        inputs = ops.convert_to_tensor(inputs)
        if ops.dtype(inputs) not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": _utils.serialize_initializer(self.embeddings_initializer),
            "embeddings_regularizer": _utils.serialize_regularizer(self.embeddings_regularizer),
            "activity_regularizer": _utils.serialize_regularizer(self.activity_regularizer),
            "embeddings_constraint": _utils.serialize_constraint(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
            **self._lora_config(),
        })
        return cfg
