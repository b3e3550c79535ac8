"""``Dense``: the densely-connected layer, ``activation(inputs @ kernel + bias)``."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils
from cornu.layers.core._lora import LoRA, adapted


class Dense(LoRA, Layer):
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
        quantization_config: accepted for Keras compatibility; quantization is not
            implemented, so any value other than None raises.

    Input shape: ``(batch, ..., input_dim)``.  Output shape: ``(batch, ..., units)``.
    Weights, in order: ``kernel`` ``(input_dim, units)``, ``bias`` ``(units,)``, and
    with LoRA ``lora_kernel_a`` ``(input_dim, rank)``, ``lora_kernel_b``
    ``(rank, units)``.
    """

    kernel = adapted("kernel")

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        _utils.check_positive_int(units, "units", "Dense")
        _utils.reject_unsupported("Dense", quantization_config=quantization_config)
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
        self.quantization_config = None
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
        return self.activation(ops.nn.dense(inputs, self.kernel, self.bias))

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
            "quantization_config": None,
            **self._lora_config(),
        }
