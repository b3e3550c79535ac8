"""``Embedding``: map integer indices to dense vectors."""
from cornu import ops
from cornu.layer import Layer
from cornu.layers import _utils
from cornu.layers.core import _quantize
from cornu.layers.core._lora import LoRA, adapted
from cornu.quantizers import AbsMaxQuantizer


class Embedding(_quantize.Int8Quantization, LoRA, Layer):
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
        quantization_config: an ``Int8QuantizationConfig`` (the quantizers of a
            layer built under an ``"int8_from_..."`` dtype policy or quantized with
            :meth:`quantize`), or None.  Only int8 is implemented.

    Input shape: any integer tensor ``(batch, ...)``.  Output shape:
    ``(batch, ..., output_dim)``.  Quantized (``quantize("int8")``): ``embeddings``
    (int8) and ``embeddings_scale`` ``(input_dim,)``, one scale per row.
    """

    _quantized_target = "embeddings"
    _lora_target = "embeddings"
    _lora_names = ("lora_embeddings_a", "lora_embeddings_b")
    embeddings = adapted("embeddings")

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        _utils.check_positive_int(input_dim, "input_dim", "Embedding")
        _utils.check_positive_int(output_dim, "output_dim", "Embedding")
        quantization_config = _quantize.resolve_config("Embedding", quantization_config)
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = quantization_config
        self._check_quantization_config()
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
        if self.quantization_mode is not None:  # an "int8_from_..." policy
            self._build_quantized((self.input_dim, self.output_dim))
        else:
            self.embeddings = self.add_weight(
                name="embeddings", shape=(self.input_dim, self.output_dim),
                initializer=self.embeddings_initializer,
                regularizer=self.embeddings_regularizer,
                constraint=self.embeddings_constraint, trainable=True,
            )
        self.built = True
        self._build_lora()

    def call(self, inputs):
        inputs = ops.convert_to_tensor(inputs)
        if ops.dtype(inputs) not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        if self._is_quantized:
            return self._int8_call(inputs)
        outputs = ops.take(self.embeddings, inputs, axis=0)
        # As Keras: the rows in the compute dtype (the layer does not autocast, so a
        # mixed-precision Embedding nested in another layer would give float32 rows).
        if ops.dtype(outputs) != self.compute_dtype:
            outputs = ops.cast(outputs, self.compute_dtype)
        return outputs

    # -- int8 ---------------------------------------------------------------------------
    def _int8_weight_quantizer(self):
        # One scale per row (index): input_dim is usually the larger axis.
        return AbsMaxQuantizer(axis=-1)

    def _int8_scale_shape(self, embeddings_shape):
        return (self.input_dim,)

    def _int8_squeeze_scale(self, scale):
        return ops.squeeze(scale, axis=-1)

    def _int8_dequantize(self, embeddings, scale):
        return ops.divide(ops.cast(embeddings, self.compute_dtype),
                          ops.expand_dims(scale, axis=-1))

    def _int8_file_order(self):
        return ("embeddings", "embeddings_scale")

    def _int8_call(self, inputs):
        """The int8 rows of ``inputs`` divided by their scales (the int8 matrix does not
        train, so no gradient flows to it; a LoRA update still trains)."""
        scale = ops.take(self.embeddings_scale, inputs, axis=0)
        rows = ops.take(self._embeddings, inputs, axis=0)
        outputs = ops.divide(ops.cast(rows, self.compute_dtype),
                             ops.expand_dims(scale, axis=-1))
        if self.lora_enabled:
            a, b = self._lora_factors
            lora = ops.matmul(ops.take(a, inputs, axis=0), b)
            outputs = ops.cast(
                ops.add(outputs, ops.multiply(lora, self.lora_alpha / self.lora_rank)),
                self.compute_dtype)
        return outputs

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
            "quantization_config": _quantize.serialize_config(self.quantization_config),
            **self._lora_config(),
        })
        return cfg
