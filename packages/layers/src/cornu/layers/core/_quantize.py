"""Int8 quantization for the layers with one large matrix (Keras 3 semantics).

``layer.quantize("int8")`` replaces the layer's float matrix ``W`` (Dense's and
EinsumDense's ``kernel``, Embedding's ``embeddings``) by an int8 variable of the same
name and shape, ``round(W * scale)``, plus a float ``<name>_scale`` variable holding the
scale of each output channel (abs-max quantization: ``127 / max|W|`` over the reduced
axes).  The layer then computes with the integer matrix: a Dense or EinsumDense
abs-max quantizes its inputs too (per row of the last axis), multiplies integers and
divides by both scales; the gradient with respect to the inputs is the one of the
dequantized matrix (``W_int8 / scale``), so the float weights around the layer (its bias,
a LoRA update) still train.  The layer's policy becomes ``"int8_from_<previous>"``.

A layer created with such a policy (``dtype="int8_from_float32"``, e.g. from a saved
config) builds directly quantized; ``quantization_config=`` chooses the quantizers.

A layer class using this mixin sets ``_quantized_target`` (the matrix's attribute,
stored as ``_<name>``) and implements ``_int8_weight_quantizer`` (the default weight
quantizer), ``_int8_scale_shape``, ``_int8_squeeze_scale`` (the quantizer's scale to the
variable's shape), ``_int8_dequantize`` (the float matrix) and ``_int8_call``; and
``_int8_file_order``, the names of its variables in a Keras weights file.
"""
from cornu import ops
from cornu.quantizers import AbsMaxQuantizer, QuantizationConfig
from cornu.quantizers.quantization_config import validate_and_resolve_config

#: The modes cornu's layers implement.
SUPPORTED_MODES = ("int8",)


def resolve_config(layer_cls, quantization_config):
    """A ``quantization_config=`` argument as an object (a config dict from a file
    becomes its ``QuantizationConfig``)."""
    if quantization_config is None or isinstance(quantization_config, QuantizationConfig):
        return quantization_config
    if isinstance(quantization_config, dict):
        from cornu import quantizers

        return quantizers.get(quantization_config)
    raise ValueError(
        f"{layer_cls}: `quantization_config` must be a QuantizationConfig (such as "
        "Int8QuantizationConfig()) or None, received "
        f"quantization_config={quantization_config!r}")


def serialize_config(quantization_config):
    """The ``quantization_config`` entry of a layer's config (Keras's format)."""
    if quantization_config is None:
        return None
    from cornu.serialization import serialize_cornu_object

    return serialize_cornu_object(quantization_config)


class Int8Quantization:
    """The int8 part of a layer (see the module docstring)."""

    _quantized_target = "kernel"
    _is_quantized = False

    def _check_quantization_config(self):
        config = self.quantization_config
        if config is not None and config.mode not in SUPPORTED_MODES:
            raise NotImplementedError(
                f"{type(self).__name__}: quantization_config of mode {config.mode!r} is "
                "not supported by cornu yet; only int8 quantization is implemented "
                f"(received {type(config).__name__})")

    # -- building -------------------------------------------------------------------
    def _build_quantized(self, shape, mode=None):
        """Create the int8 matrix and its scale (a layer built under an int8 policy)."""
        mode = mode or self.quantization_mode
        if mode not in SUPPORTED_MODES:
            raise NotImplementedError(
                f"Layer '{self.name}' ({type(self).__name__}): quantization mode "
                f"{mode!r} (dtype policy {self.dtype_policy.name!r}) is not supported by "
                "cornu yet; only 'int8' is implemented.")
        config = self.quantization_config
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
            config, AbsMaxQuantizer())
        name = self._quantized_target
        setattr(self, name, self.add_weight(name=name, shape=shape, initializer="zeros",
                                            dtype="int8", trainable=False))
        scale = self.add_weight(name=f"{name}_scale", shape=self._int8_scale_shape(shape),
                                initializer="ones", trainable=False)
        object.__setattr__(self, f"{name}_scale", scale)  # tracked by add_weight already
        self._is_quantized = True

    # -- quantize() -----------------------------------------------------------------
    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the built layer's matrix in place (``mode="int8"``).

        Args:
            mode: ``"int8"`` (other Keras modes raise ``NotImplementedError``).
            type_check: refuse subclasses (which may compute differently), as Keras.
            config: an ``Int8QuantizationConfig`` choosing the weight and activation
                quantizers (None: abs-max for both).
        """
        config = validate_and_resolve_config(mode, config)
        mode = config.mode
        kind = type(self).__name__
        if not self.built:
            raise ValueError(
                "Cannot quantize a layer that isn't yet built. "
                f"Layer '{self.name}' (of type '{kind}') is not built yet.")
        if getattr(self, "_is_quantized", False):
            raise ValueError(
                f"Layer '{self.name}' is already quantized with "
                f"dtype_policy='{self.dtype_policy.name}'. Received: mode={mode}")
        if mode == "int8" and self.compute_dtype == "float16":
            raise ValueError(
                f"Quantization mode='{mode}' doesn't work well with "
                "compute_dtype='float16'. Consider loading model/layer with another dtype "
                "policy such as 'mixed_bfloat16' or 'mixed_float16' before calling "
                "`quantize()`.")
        if type_check and type(self) is not self._quantizable_class():
            raise NotImplementedError(
                f"Layer {kind} does not have a `quantize` method implemented.")
        if mode not in SUPPORTED_MODES:
            raise NotImplementedError(
                f"Layer '{self.name}' ({kind}): quantization mode {mode!r} is not "
                "supported by cornu yet; only 'int8' is implemented.")
        name = self._quantized_target
        float_matrix = getattr(self, "_" + name)
        quantizer = QuantizationConfig.weight_quantizer_or_default(
            config, self._int8_weight_quantizer())
        values, scale = quantizer(float_matrix, to_numpy=True)
        scale = self._int8_squeeze_scale(scale)
        self.quantization_config = config
        self._untrack_variable(float_matrix)
        self._build_quantized(tuple(float_matrix.shape), mode)
        getattr(self, "_" + name).assign(values)
        getattr(self, f"{name}_scale").assign(scale)
        if self.dtype_policy.quantization_mode is None:
            from cornu.dtype_policies import QuantizedDTypePolicy

            self.dtype_policy = QuantizedDTypePolicy(mode, self.dtype_policy.name)

    @classmethod
    def _quantizable_class(cls):
        """The class that defines the quantized computation (subclasses are refused)."""
        for klass in cls.__mro__:
            if "_int8_call" in klass.__dict__:
                return klass
        return cls

    # -- the matrix with LoRA, for saving -------------------------------------------
    def _int8_saved_matrix(self):
        """``(int8 matrix, scale)`` as a weights file holds them: with LoRA, the update
        merged into the dequantized matrix and quantized again."""
        name = self._quantized_target
        matrix, scale = getattr(self, "_" + name), getattr(self, f"{name}_scale")
        if not getattr(self, "lora_enabled", False):
            return matrix, scale
        a, b = self._lora_factors
        delta = ops.multiply(ops.matmul(a, b), self.lora_alpha / self.lora_rank)
        merged = ops.add(self._int8_dequantize(matrix, scale), delta)
        values, new_scale = self._int8_weight_quantizer()(merged, to_numpy=True)
        return values, self._int8_squeeze_scale(new_scale)

    def _int8_file_values(self):
        """The layer's variables in a Keras weights file's order, with their values."""
        matrix, scale = self._int8_saved_matrix()
        name = self._quantized_target
        out = []
        for item in self._int8_file_order():
            variable = getattr(self, "_" + name) if item == name else getattr(self, item, None)
            if variable is None:
                continue  # no bias
            value = matrix if item == name else scale if item == f"{name}_scale" else variable
            out.append((variable, value))
        return out

    def save_own_variables(self, store):
        if not getattr(self, "_is_quantized", False):
            return super().save_own_variables(store)
        for i, (_, value) in enumerate(self._int8_file_values()):
            store[str(i)] = ops.convert_to_numpy(value)

    def load_own_variables(self, store):
        if not getattr(self, "_is_quantized", False):
            return super().load_own_variables(store)
        targets = [variable for variable, _ in self._int8_file_values()]
        if len(store) != len(targets):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}, quantized "
                f"{self.quantization_mode}) expected {len(targets)} variables "
                f"({', '.join(v.name for v in targets)}), but the file has {len(store)}.")
        for i, variable in enumerate(targets):
            value = store[str(i)]
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"Layer '{self.name}': variable {variable.path} has shape "
                    f"{tuple(variable.shape)}, but the file holds shape "
                    f"{tuple(value.shape)}.")
            variable.assign(value)
        if getattr(self, "lora_enabled", False):  # the file's matrix holds the update
            for factor in self._lora_factors:
                factor.assign(ops.zeros(factor.shape, factor.dtype))
