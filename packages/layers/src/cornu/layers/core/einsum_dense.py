"""``EinsumDense``: a dense layer whose contraction is an einsum equation."""
import re

from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils
from cornu.layers.core._lora import LoRA, adapted


def analyze_einsum_string(equation, bias_axes, input_shape, output_shape):
    """``(kernel_shape, bias_shape, full_output_shape)`` for an EinsumDense equation.

    Supported forms: ``"ab,bc->ac"``, ``"...ab,bc->...ac"`` and ``"ab...,bc->ac..."``.
    """
    replaced = re.sub(r"\.\.\.", "0", equation)
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        match = re.match(pattern, replaced)
        if match:
            return _analyze_split(match.groups(), bias_axes, input_shape, output_shape, left)
    raise ValueError(
        f"EinsumDense: invalid einsum equation {equation!r}. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
    )


def _analyze_split(groups, bias_axes, input_shape, output_shape, left_elided):
    input_spec, weight_spec, output_spec = groups
    input_shape = list(input_shape)
    elided = len(input_shape) - len(input_spec)
    output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0:
        output_shape.extend(input_shape[len(input_shape) - elided:])
    if left_elided:
        input_dims = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        output_dims = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        input_dims = {d: i for i, d in enumerate(input_spec)}
        output_dims = {d: i for i, d in enumerate(output_spec)}
    for d in input_spec:
        if d in output_dims:
            out = output_shape[output_dims[d]]
            if out is None:  # cornu fills an unknown output size from the input's
                output_shape[output_dims[d]] = input_shape[input_dims[d]]
            elif out != input_shape[input_dims[d]]:
                raise ValueError(
                    f"EinsumDense: input shape and output shape do not match at shared "
                    f"dimension '{d}': input size {input_shape[input_dims[d]]}, output "
                    f"size {out}"
                )
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ValueError(
                f"EinsumDense: dimension '{d}' of the output spec '{output_spec}' has no "
                f"matching dimension in the input spec '{input_spec}' or the weight spec "
                f"'{weight_spec}'"
            )
    kernel_shape = []
    for d in weight_spec:
        if d in output_dims:
            kernel_shape.append(output_shape[output_dims[d]])
        elif d in input_dims:
            kernel_shape.append(input_shape[input_dims[d]])
        else:
            raise ValueError(
                f"EinsumDense: weight dimension '{d}' matches neither the input spec "
                f"'{input_spec}' nor the output spec '{output_spec}'"
            )
    bias_shape = None
    if bias_axes is not None:
        offset = elided if left_elided else 0
        sizes = {c: output_shape[i + offset] for i, c in enumerate(output_spec)}
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(
                    f"EinsumDense: bias dimension '{c}' is not part of the output spec "
                    f"'{output_spec}'"
                )
        first = min(output_spec.find(c) for c in bias_axes)
        bias_shape = [sizes[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * elided)
    return kernel_shape, bias_shape, output_shape


class EinsumDense(LoRA, Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``.

    Args:
        equation: ``"<input>,<kernel>-><output>"`` (with an optional ``...``), e.g.
            ``"ab,bc->ac"`` (a Dense layer) or ``"abc,cde->abde"``.
        output_shape: the output shape without the batch axis (an int or a tuple;
            ``None`` entries are inferred from the input).
        activation: the activation function.
        bias_axes: the output letters that get a bias (None: no bias).
        kernel_initializer, bias_initializer: for the weights.
        kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint: for the weights.
        lora_rank, lora_alpha: LoRA of this rank, enabled when the layer builds (see
            :meth:`enable_lora`), its update scaled by ``lora_alpha / lora_rank``.
        gptq_unpacked_column_size, quantization_config: accepted for Keras
            compatibility; only None is supported.

    Weights, in order: ``kernel`` (shape from the equation), ``bias``, and with LoRA
    ``lora_kernel_a`` (``kernel.shape[:-1] + (rank,)``), ``lora_kernel_b``
    (``(rank, kernel.shape[-1])``).
    """

    kernel = adapted("kernel")

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        _utils.reject_unsupported(
            "EinsumDense", gptq_unpacked_column_size=gptq_unpacked_column_size,
            quantization_config=quantization_config,
        )
        if not isinstance(equation, str) or "->" not in equation or "," not in equation:
            raise ValueError(
                f"EinsumDense: `equation` must be a string like 'ab,bc->ac', received "
                f"equation={equation!r}"
            )
        super().__init__(**kwargs)
        self.equation = equation
        self.partial_output_shape = (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = _utils.get_activation(activation)
        self.kernel_initializer = _utils.get_initializer(kernel_initializer)
        self.bias_initializer = _utils.get_initializer(bias_initializer)
        self.kernel_regularizer = _utils.get_regularizer(kernel_regularizer)
        self.bias_regularizer = _utils.get_regularizer(bias_regularizer)
        self.kernel_constraint = _utils.get_constraint(kernel_constraint)
        self.bias_constraint = _utils.get_constraint(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)
        self.gptq_unpacked_column_size = None
        self.quantization_config = None

    def build(self, input_shape):
        kernel_shape, bias_shape, _ = analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        if None in kernel_shape:
            raise ValueError(
                f"Layer '{self.name}' (EinsumDense): the kernel shape {kernel_shape} has "
                f"unknown sizes for input shape {_utils.shape_str(input_shape)}; give them "
                "in output_shape or the input shape"
            )
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.kernel = self.add_weight(
            name="kernel", shape=tuple(kernel_shape), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias", shape=tuple(bias_shape), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True
        self._build_lora()

    def call(self, inputs, training=None):
        x = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)[2])

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": _utils.serialize_activation(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": _utils.serialize_initializer(self.kernel_initializer),
            "bias_initializer": _utils.serialize_initializer(self.bias_initializer),
            "kernel_regularizer": _utils.serialize_regularizer(self.kernel_regularizer),
            "bias_regularizer": _utils.serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": _utils.serialize_regularizer(self.activity_regularizer),
            "kernel_constraint": _utils.serialize_constraint(self.kernel_constraint),
            "bias_constraint": _utils.serialize_constraint(self.bias_constraint),
            "quantization_config": None,
            **self._lora_config(),
        })
        return cfg
