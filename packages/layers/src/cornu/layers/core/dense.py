"""``Dense``: the densely-connected layer, ``activation(inputs @ kernel + bias)``."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils
from cornu.layers.core import _quantize
from cornu.layers.core._lora import LoRA, adapted
from cornu.quantizers import AbsMaxQuantizer


class Dense(_quantize.Int8Quantization, LoRA, Layer):
    """A densely-connected layer: ``output = activation(dot(inputs, kernel) + bias)``.

    Works on inputs of any rank >= 2: the kernel contracts the last axis, so an
    input of shape ``(batch, d0, d1)`` gives ``(batch, d0, units)``.

    Args:
        units: positive int, the size of the last axis of the output.
        activation: the activation function (a name, a callable or None for linear).
        use_bias: whether to add a bias vector.
        kernel_initializer: initializer of the ``(input_dim, units)`` kernel.
        bias_initializer: initializer of the ``(units,)`` bias.
        kernel_regularizer, bias_regularizer: regularizers of the weights.
        activity_regularizer: regularizer of the output.
        kernel_constraint, bias_constraint: constraints applied after updates.
        lora_rank: enable LoRA of this rank when the layer builds (see
            :meth:`enable_lora`: the kernel is frozen and a low-rank update trained).
        lora_alpha: scales the LoRA update by ``lora_alpha / lora_rank`` (default
            ``lora_rank``).
        quantization_config: an ``Int8QuantizationConfig`` (the quantizers of a
            layer built under an ``"int8_from_..."`` dtype policy or quantized with
            :meth:`quantize`), or None.  Only int8 is implemented.

    Input shape: ``(batch, ..., input_dim)``.  Output shape: ``(batch, ..., units)``.
    Weights, in order: ``kernel`` ``(input_dim, units)``, ``bias`` ``(units,)``, and
    with LoRA ``lora_kernel_a`` ``(input_dim, rank)``, ``lora_kernel_b``
    ``(rank, units)``.  Quantized (``quantize("int8")``): ``bias``, ``kernel`` (int8)
    and ``kernel_scale`` ``(units,)``.
    """

    kernel = adapted("kernel")

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        _utils.check_positive_int(units, "units", "Dense")
        quantization_config = _quantize.resolve_config("Dense", quantization_config)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = units
        self.activation = _utils.get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _utils.get_initializer(kernel_initializer)
        self.bias_initializer = _utils.get_initializer(bias_initializer)
        self.kernel_regularizer = _utils.get_regularizer(kernel_regularizer)
        self.bias_regularizer = _utils.get_regularizer(bias_regularizer)
        self.kernel_constraint = _utils.get_constraint(kernel_constraint)
        self.bias_constraint = _utils.get_constraint(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = quantization_config
        self._check_quantization_config()
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        _utils.check_build_shape(self, input_shape)
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Layer '{self.name}' (Dense) needs a known last dimension to build, "
                f"received input shape {_utils.shape_str(input_shape)}"
            )
        if self.quantization_mode is not None:  # an "int8_from_..." policy
            self._build_quantized((input_dim, self.units))
        else:
            self.kernel = self.add_weight(
                name="kernel", shape=(input_dim, self.units),
                initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.units,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True
        self._build_lora()

    def call(self, inputs, training=None):
        if self._is_quantized:
            return self._int8_call(inputs)
        return self.activation(ops.nn.dense(inputs, self.kernel, self.bias))

    # -- int8 ---------------------------------------------------------------------------
    def _int8_weight_quantizer(self):
        return AbsMaxQuantizer(axis=0)  # one scale per output unit

    def _int8_scale_shape(self, kernel_shape):
        return (self.units,)

    def _int8_squeeze_scale(self, scale):
        return ops.squeeze(scale, axis=0)

    def _int8_dequantize(self, kernel, scale):
        return ops.divide(ops.cast(kernel, self.compute_dtype), scale)

    def _int8_file_order(self):
        return ("kernel", "bias", "kernel_scale")

    def _int8_call(self, inputs):
        """``activation(dequantize(quantize(inputs) @ kernel) + bias)``: the integer
        product divided by the kernel's and the inputs' scales."""
        compute_dtype = self.compute_dtype
        quantize_inputs = self.inputs_quantizer

        @ops.custom_gradient
        def int8_matmul(x, kernel, kernel_scale):
            def grad_fn(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                float_kernel = ops.divide(ops.cast(kernel, compute_dtype), kernel_scale)
                return ops.matmul(upstream, ops.transpose(float_kernel)), None, None

            output_scale = kernel_scale
            if quantize_inputs:
                x, inputs_scale = quantize_inputs(x, axis=-1)
                output_scale = ops.multiply(output_scale, inputs_scale)
            out = ops.cast(ops.matmul(x, kernel), compute_dtype)
            return ops.divide(out, output_scale), grad_fn

        x = int8_matmul(inputs, ops.convert_to_tensor(self._kernel),
                        ops.convert_to_tensor(self.kernel_scale))
        if self.lora_enabled:
            a, b = self._lora_factors
            lora_x = ops.matmul(ops.matmul(inputs, a), b)
            x = ops.cast(ops.add(x, ops.multiply(lora_x, self.lora_alpha / self.lora_rank)),
                         compute_dtype)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **Layer.get_config(self),
            "units": self.units,
            "activation": _utils.serialize_activation(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _utils.serialize_initializer(self.kernel_initializer),
            "bias_initializer": _utils.serialize_initializer(self.bias_initializer),
            "kernel_regularizer": _utils.serialize_regularizer(self.kernel_regularizer),
            "bias_regularizer": _utils.serialize_regularizer(self.bias_regularizer),
            "kernel_constraint": _utils.serialize_constraint(self.kernel_constraint),
            "bias_constraint": _utils.serialize_constraint(self.bias_constraint),
            "quantization_config": _quantize.serialize_config(self.quantization_config),
            **self._lora_config(),
        }
