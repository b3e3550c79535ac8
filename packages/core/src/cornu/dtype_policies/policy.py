"""``DTypePolicy``: the compute and variable dtypes of a layer (Keras 3 semantics).

A policy name is a dtype name (``"float32"``, ``"float64"``, ``"bfloat16"``,
...: compute and variables in that dtype) or ``"mixed_float16"`` /
``"mixed_bfloat16"`` (variables in float32, computations in the half type).
The global policy (``cornu.config.set_dtype_policy``) is what layers built
without ``dtype=`` use; until one is set it is the ``floatx()`` policy.
"""
from cornu import config
from cornu.dtypes import dtype_name, is_float_dtype

_MIXED = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}

_global_policy = None  # set by set_dtype_policy; None means "the floatx() policy"
_floatx_policies = {}  # floatx name -> its (shared, immutable) default policy


class DTypePolicy:
    """A layer's dtype policy: the dtype of its computations and of its variables.

    Args:
        name: the policy name: a dtype name such as ``"float32"`` or
            ``"float64"`` (computations and variables in that dtype), or
            ``"mixed_float16"`` / ``"mixed_bfloat16"`` (computations in
            float16 / bfloat16, variables in float32). None uses the name of
            the global policy.

    Pass a policy, or just its name, as a layer's ``dtype=``: the layer creates
    its weights in ``variable_dtype``, casts floating inputs to
    ``compute_dtype`` (unless built with ``autocast=False``) and, when the two
    differ, reads its float variables in ``compute_dtype`` during ``call``.
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse_name(name)
        self._quantization_mode = None

    def _parse_name(self, name):
        if not isinstance(name, str):
            raise TypeError(
                "DTypePolicy: 'name' must be a string, such as 'mixed_float16'. "
                f"Received: name={name!r} (of type {type(name).__name__})"
            )
        if name in _MIXED:
            return _MIXED[name]
        try:
            dtype = dtype_name(name, strict=True)
        except ValueError:
            raise ValueError(
                f"Cannot convert {name!r} to a mixed precision DTypePolicy. Valid "
                "policies include 'mixed_float16', 'mixed_bfloat16', and the name of "
                "any float dtype such as 'float32'."
            ) from None
        return dtype, dtype

    @property
    def name(self):
        """The policy name, e.g. ``"mixed_float16"``."""
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations (and usually of its outputs)."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype the layer creates its variables in."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """The quantization mode (``"int8"``), None for a float policy."""
        return self._quantization_mode

    def convert_input(self, x, autocast, dtype):
        """``x`` with a floating dtype cast to ``dtype`` when ``autocast`` (others untouched).

        Tensors and symbolic tensors keep their kind; numpy arrays become tensors.
        """
        from cornu.backend import get_backend
        from cornu.symbolic import KerasTensor

        core = get_backend().core
        if isinstance(x, KerasTensor):
            if autocast and is_float_dtype(x.dtype) and x.dtype != dtype:
                return KerasTensor(x.shape, dtype=dtype, sparse=x.sparse)
            return x
        if not core.is_tensor(x):
            if not hasattr(x, "__array__"):
                return x
            x = core.convert_to_tensor(x)
        if autocast:
            current = core.standardize_dtype(x.dtype)
            if current != dtype and is_float_dtype(current):
                x = core.cast(x, dtype)
        return x

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        if not isinstance(other, DTypePolicy):
            return False
        return self._name == other._name

    def __hash__(self):
        return hash(("DTypePolicy", self._name))


class FloatDTypePolicy(DTypePolicy):
    """An alias of :class:`DTypePolicy` (Keras keeps both names)."""


#: The quantization modes a quantized policy may name (Keras's list).
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


class QuantizedDTypePolicy(DTypePolicy):
    """The policy of a quantized layer: ``"<mode>_from_<source>"``, e.g.
    ``"int8_from_float32"`` or ``"int8_from_mixed_bfloat16"``.

    Args:
        mode: the quantization mode (cornu implements ``"int8"``).
        source_name: the name of the float policy the layer had before quantization
            (its compute and variable dtypes are this policy's); None uses the name of
            the global policy.
    """

    def __init__(self, mode, source_name=None):
        if source_name is None:
            source_name = dtype_policy().name
        self._compute_dtype, self._variable_dtype = self._parse_name(source_name)
        if mode not in QUANTIZATION_MODES:
            raise ValueError(
                f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                f"Received: mode={mode}")
        if mode == "int8" and self._compute_dtype == "float16":
            raise ValueError(
                f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16' "
                f"(source_name={source_name!r}); use 'float32' or 'mixed_bfloat16'.")
        self._name = f"{mode}_from_{source_name}"
        self._source_name = source_name
        self._quantization_mode = mode

    @property
    def source_name(self):
        """The name of the float policy the quantized layer came from."""
        return self._source_name

    def get_config(self):
        return {"mode": self._quantization_mode, "source_name": self._source_name}

    def __repr__(self):
        return f'<{type(self).__name__} "{self._name}">'

    def __eq__(self, other):
        return (isinstance(other, QuantizedDTypePolicy) and self._name == other._name
                and type(self) is type(other))

    def __hash__(self):
        return hash((type(self).__name__, self._name))


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """The policy of a float8-quantized layer (``"float8_from_float32"``).

    cornu's layers do not implement float8: a layer built under it raises
    ``NotImplementedError``; the policy itself reads and writes Keras's configs.

    Args:
        mode: ``"float8"``.
        source_name: the float policy the layer came from.
        amax_history_length: the length of the amax history window (an int).
    """

    default_amax_history_length = 1024

    def __init__(self, mode, source_name=None, amax_history_length=1024):
        super().__init__(mode, source_name)
        if not isinstance(amax_history_length, int):
            raise TypeError("`amax_history_length` must be an integer. Received: "
                            f"amax_history_length={amax_history_length}")
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self):
        """The length of the amax history window of the float8 scales."""
        return self._amax_history_length

    def get_config(self):
        return {**super().get_config(), "amax_history_length": self._amax_history_length}

    def __eq__(self, other):
        return super().__eq__(other) and \
            self._amax_history_length == other._amax_history_length

    def __hash__(self):
        return hash((type(self).__name__, self._name, self._amax_history_length))


def _mode_numbers(cls_name, mode, base, names):
    """The integers of a mode ``"<base>/<n1>/..."`` (``"int4/128"``, ``"gptq/4/128"``)."""
    parts = mode.split("/") if isinstance(mode, str) else []
    expected = "'" + "/".join([base] + [f"<{n}>" for n in names]) + "'"
    if len(parts) != len(names) + 1 or parts[0] != base:
        raise ValueError(f"Invalid mode for {cls_name}. Expected format {expected}, but got "
                         f"'{mode}'.")
    try:
        return [int(p) for p in parts[1:]]
    except ValueError:
        raise ValueError(
            f"Invalid mode for {cls_name}. {', '.join(f'<{n}>' for n in names)} must be "
            f"integers. Expected format {expected}, but got '{mode}'.") from None


def _check_group(what, value, mode):
    if value < -1 or value == 0:
        raise ValueError(f"Invalid {what} in mode. Supported values are -1 or a positive "
                         f"integer, but got {value} from '{mode}'.")


class _ParametrizedQuantizedPolicy(QuantizedDTypePolicy):
    """A quantized policy whose mode carries numbers (``"int4/128"``): the base mode is
    ``quantization_mode``, the full mode string is in the name and the config."""

    def __init__(self, mode, source_name=None):
        if source_name is None:
            source_name = dtype_policy().name
        base = mode.split("/")[0] if isinstance(mode, str) else mode
        super().__init__(base, source_name)
        self._full_mode = mode
        self._name = f"{mode}_from_{source_name}"
        self.mode = base

    def get_config(self):
        return {"mode": self._full_mode, "source_name": self._source_name}


class Int4DTypePolicy(_ParametrizedQuantizedPolicy):
    """The policy of an int4 layer with sub-channel blocks: mode ``"int4/<block_size>"``
    (-1: per channel).  cornu's layers do not implement int4: a layer built under it
    raises ``NotImplementedError``."""

    def __init__(self, mode, source_name=None):
        (block_size,) = _mode_numbers("Int4DTypePolicy", mode, "int4", ["block_size"])
        _check_group("block_size", block_size, mode)
        super().__init__(mode, source_name)
        self.block_size = block_size


class GPTQDTypePolicy(_ParametrizedQuantizedPolicy):
    """The policy of a GPTQ layer: mode ``"gptq/<weight_bits>/<group_size>"``.  cornu
    does not run GPTQ: a layer built under it raises ``NotImplementedError``."""

    def __init__(self, mode, source_name=None):
        bits, group = _mode_numbers("GPTQDTypePolicy", mode, "gptq",
                                    ["weight_bits", "group_size"])
        if bits not in (2, 3, 4, 8):
            raise ValueError("Invalid weight_bits in mode. Supported values are 2, 3, 4, "
                             f"and 8, but got {bits} from '{mode}'.")
        _check_group("group_size", group, mode)
        super().__init__(mode, source_name)
        self.weight_bits, self.group_size = bits, group


class AWQDTypePolicy(_ParametrizedQuantizedPolicy):
    """The policy of an AWQ layer: mode ``"awq/4/<group_size>"``.  cornu does not run
    AWQ: a layer built under it raises ``NotImplementedError``."""

    def __init__(self, mode, source_name=None):
        bits, group = _mode_numbers("AWQDTypePolicy", mode, "awq",
                                    ["weight_bits", "group_size"])
        if bits != 4:
            raise ValueError("Invalid weight_bits in mode. AWQ only supports 4-bit "
                             f"quantization, but got {bits} from '{mode}'.")
        _check_group("group_size", group, mode)
        super().__init__(mode, source_name)
        self.weight_bits, self.group_size = bits, group


def _quantized_policy_from_name(name):
    """The policy of a name ``"<mode>_from_<source>"`` (``"int8_from_float32"``,
    ``"int4/128_from_float32"``, ``"gptq/4/128_from_float32"``)."""
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError(
            "Cannot convert `policy` into a valid pair (`mode`, `source_name`) to "
            f"instantiate `QuantizedDTypePolicy` (expected '<mode>_from_<source>', such "
            f"as 'int8_from_float32'). Received: policy={name}")
    mode, source_name = parts
    if mode.startswith("int4") and "/" in mode:
        return Int4DTypePolicy(mode, source_name)
    for prefix, cls in (("gptq", GPTQDTypePolicy), ("awq", AWQDTypePolicy),
                        ("float8", QuantizedFloat8DTypePolicy)):
        if mode.startswith(prefix):
            return cls(mode, source_name)
    return QuantizedDTypePolicy(mode, source_name)


#: Class names accepted in serialized configs ("Policy" is what tf.keras 2 files carry).
ALL_OBJECTS_DICT = {
    "DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy, "Policy": DTypePolicy,
    "QuantizedDTypePolicy": QuantizedDTypePolicy,
    "QuantizedFloat8DTypePolicy": QuantizedFloat8DTypePolicy,
    "Int4DTypePolicy": Int4DTypePolicy, "GPTQDTypePolicy": GPTQDTypePolicy,
    "AWQDTypePolicy": AWQDTypePolicy,
}


def set_dtype_policy(policy):
    """Set the global dtype policy: a ``DTypePolicy`` or its name (``"mixed_float16"``).

    Layers created afterwards without their own ``dtype=`` use it.
    """
    global _global_policy
    if isinstance(policy, str):
        policy = get(policy)
    elif not isinstance(policy, DTypePolicy):
        raise ValueError(
            "set_dtype_policy: expected the string name of a policy (such as "
            f"'mixed_float16') or a DTypePolicy instance. Received: policy={policy!r} "
            f"(of type {type(policy).__name__})"
        )
    _global_policy = policy


def dtype_policy():
    """The global dtype policy (the ``floatx()`` policy until one is set)."""
    if _global_policy is not None:
        return _global_policy
    floatx = config.floatx()
    policy = _floatx_policies.get(floatx)
    if policy is None:
        policy = _floatx_policies[floatx] = DTypePolicy(floatx)
    return policy


def serialize(policy):
    """The Keras 3 config of a policy: ``{"module": "keras", "class_name": "DTypePolicy", ...}``."""
    if not isinstance(policy, DTypePolicy):
        raise TypeError(
            f"dtype_policies.serialize: expected a DTypePolicy, received {policy!r}"
        )
    # Keras exports DTypePolicy at ``keras``, the quantized policies at
    # ``keras.dtype_policies`` only: its configs name those modules.
    return {
        "module": "keras.dtype_policies" if isinstance(policy, QuantizedDTypePolicy)
        else "keras",
        "class_name": type(policy).__name__,
        "config": policy.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """A policy from ``serialize`` output (or its name)."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "dtype_policies.deserialize: expected a dict with 'class_name' and 'config' "
            f"or a policy name, received {config!r}"
        )
    class_name = config["class_name"]
    cls = (custom_objects or {}).get(class_name) or ALL_OBJECTS_DICT.get(class_name)
    if cls is None:
        from cornu.serialization import get_registered_object

        cls = get_registered_object(config.get("registered_name") or class_name,
                                    custom_objects)
    if cls is None:
        raise ValueError(
            f"dtype_policies.deserialize: unknown policy class {class_name!r}; known: "
            f"{sorted(ALL_OBJECTS_DICT)}"
        )
    inner = config.get("config") or {}
    return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)


def get(identifier):
    """A ``DTypePolicy`` from None (the global policy), a policy, a name, a config or a dtype."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.startswith(QUANTIZATION_MODES):
            return _quantized_policy_from_name(identifier)
        return DTypePolicy(identifier)
    try:
        name = dtype_name(identifier, strict=True)
    except ValueError:
        raise ValueError(
            "Cannot interpret `dtype` argument. Expected a string or an instance of "
            f"DTypePolicy. Received: dtype={identifier!r}"
        ) from None
    return DTypePolicy(name)
