"""``EinsumDense``: a dense layer whose contraction is an einsum equation."""
import re

from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils
from cornu.layers.core import _quantize
from cornu.layers.core._lora import LoRA, adapted
from cornu.quantizers import AbsMaxQuantizer


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


def full_specs(equation, input_ndim):
    """``(input, kernel, output)`` labels of an EinsumDense equation with the ``...``
    spelled out as letters (``"...b,bc->...c"`` for rank-3 inputs gives
    ``("Ab", "bc", "Ac")``-like labels, the letters unused by the equation)."""
    left, output = equation.split("->")
    inputs, kernel = left.split(",")
    if "..." in inputs:
        unused = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in equation]
        elided = "".join(unused[:input_ndim - len(inputs.replace("...", ""))])
        inputs, output = inputs.replace("...", elided), output.replace("...", elided)
    return inputs, kernel, output


class EinsumDense(_quantize.Int8Quantization, LoRA, Layer):
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
        quantization_config: an ``Int8QuantizationConfig`` (the quantizers of a
            layer built under an ``"int8_from_..."`` dtype policy or quantized with
            :meth:`quantize`), or None.  Only int8 is implemented.
        gptq_unpacked_column_size: accepted for Keras compatibility; only None is
            supported (GPTQ is not implemented).

    Weights, in order: ``kernel`` (shape from the equation), ``bias``, and with LoRA
    ``lora_kernel_a`` (``kernel.shape[:-1] + (rank,)``), ``lora_kernel_b``
    (``(rank, kernel.shape[-1])``).  Quantized (``quantize("int8")``): ``bias``,
    ``kernel`` (int8) and ``kernel_scale``, of the output's rank: the kernel's size for
    each output letter of the kernel, 1 elsewhere (one scale per output channel).
    """

    kernel = adapted("kernel")

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        _utils.reject_unsupported(
            "EinsumDense", gptq_unpacked_column_size=gptq_unpacked_column_size)
        quantization_config = _quantize.resolve_config("EinsumDense", quantization_config)
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
        self.quantization_config = quantization_config
        self._check_quantization_config()

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
        if self.quantization_mode is not None:  # an "int8_from_..." policy
            self._build_quantized(tuple(kernel_shape))
        else:
            self.kernel = self.add_weight(
                name="kernel", shape=tuple(kernel_shape),
                initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
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
        if self._is_quantized:
            return self._int8_call(inputs)
        x = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    # -- int8 ---------------------------------------------------------------------------
    # A scale is kept "output-aligned": of the output's rank, with the operand's size for
    # each output letter the operand has and 1 for the others, so that it divides the
    # einsum's result directly.
    def _specs(self):
        return full_specs(self.equation, self.input_spec.ndim)

    @staticmethod
    def _reduced_axes(spec, output):
        """The axes of ``spec`` the einsum contracts (their letters leave the output)."""
        return tuple(i for i, c in enumerate(spec) if c not in output)

    @staticmethod
    def _align_to_output(scale, spec, output):
        """A keepdims scale of operand ``spec`` (size 1 on the contracted axes) in the
        output's layout."""
        reduced = [i for i, c in enumerate(spec) if c not in output]
        for axis in reversed(reduced):
            scale = ops.squeeze(scale, axis=axis)
        kept = [c for c in spec if c in output]
        order = sorted(range(len(kept)), key=lambda i: output.index(kept[i]))
        if order != sorted(order):
            scale = ops.transpose(scale, order)
        for axis, c in enumerate(output):
            if c not in spec:
                scale = ops.expand_dims(scale, axis)
        return scale

    @staticmethod
    def _align_to_operand(scale, spec, output):
        """The reverse of ``_align_to_output``: an output-aligned scale in the layout of
        operand ``spec`` (size 1 on its contracted axes)."""
        for axis in reversed([i for i, c in enumerate(output) if c not in spec]):
            scale = ops.squeeze(scale, axis=axis)
        in_output = [c for c in output if c in spec]
        kept = [c for c in spec if c in output]
        order = [in_output.index(c) for c in kept]
        if order != sorted(order):
            scale = ops.transpose(scale, order)
        for axis, c in enumerate(spec):
            if c not in output:
                scale = ops.expand_dims(scale, axis)
        return scale

    def _int8_weight_quantizer(self):
        _, kernel_spec, output = self._specs()
        return AbsMaxQuantizer(axis=self._reduced_axes(kernel_spec, output))

    def _int8_scale_shape(self, kernel_shape):
        _, kernel_spec, output = self._specs()
        return tuple(kernel_shape[kernel_spec.index(c)] if c in kernel_spec else 1
                     for c in output)

    def _int8_squeeze_scale(self, scale):
        _, kernel_spec, output = self._specs()
        return self._align_to_output(ops.convert_to_tensor(scale), kernel_spec, output)

    def _int8_dequantize(self, kernel, scale):
        _, kernel_spec, output = self._specs()
        return ops.divide(ops.cast(kernel, self.compute_dtype),
                          self._align_to_operand(scale, kernel_spec, output))

    def _int8_file_order(self):
        return ("kernel", "bias", "kernel_scale")

    def _int8_call(self, inputs):
        """The einsum of the int8 inputs and kernel divided by both scales (with no
        inputs quantizer: the einsum of the inputs and the dequantized kernel)."""
        input_spec, kernel_spec, output = self._specs()
        compute_dtype = self.compute_dtype
        quantize_inputs = self.inputs_quantizer
        equation = self.equation
        gradient_equation = f"{output},{kernel_spec}->{input_spec}"
        input_axes = self._reduced_axes(input_spec, output)

        @ops.custom_gradient
        def int8_einsum(x, kernel, kernel_scale):
            def grad_fn(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                float_kernel = self._int8_dequantize(kernel, kernel_scale)
                return ops.einsum(gradient_equation, upstream, float_kernel), None, None

            if not quantize_inputs:  # weights only: the einsum of the dequantized kernel
                float_kernel = self._int8_dequantize(kernel, kernel_scale)
                return ops.einsum(equation, x, float_kernel), grad_fn
            x, inputs_scale = quantize_inputs(x, axis=input_axes)
            inputs_scale = self._align_to_output(inputs_scale, input_spec, output)
            out = ops.cast(ops.einsum(equation, x, kernel), compute_dtype)
            return ops.divide(out, ops.multiply(inputs_scale, kernel_scale)), grad_fn

        x = int8_einsum(inputs, ops.convert_to_tensor(self._kernel),
                        ops.convert_to_tensor(self.kernel_scale))
        if self.lora_enabled:
            a, b = self._lora_factors
            lora_x = ops.matmul(ops.einsum(equation, inputs, a), b)
            x = ops.cast(ops.add(x, ops.multiply(lora_x, self.lora_alpha / self.lora_rank)),
                         compute_dtype)
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
            "quantization_config": _quantize.serialize_config(self.quantization_config),
            **self._lora_config(),
        })
        return cfg
