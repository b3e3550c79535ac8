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
        """None: cornu has no quantized policies."""
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


#: Class names accepted in serialized configs ("Policy" is what tf.keras 2 files carry).
ALL_OBJECTS_DICT = {
    "DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy, "Policy": DTypePolicy,
}


def set_dtype_policy(policy):
    """Set the global dtype policy: a ``DTypePolicy`` or its name (``"mixed_float16"``).

    Layers created afterwards without their own ``dtype=`` use it.
    """
    global _global_policy
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
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
    return {
        "module": "keras",
        "class_name": type(policy).__name__,
        "config": policy.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """A policy from ``serialize`` output (or its name)."""
    if isinstance(config, str):
        return DTypePolicy(config)
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
        return DTypePolicy(identifier)
    try:
        name = dtype_name(identifier, strict=True)
    except ValueError:
        raise ValueError(
            "Cannot interpret `dtype` argument. Expected a string or an instance of "
            f"DTypePolicy. Received: dtype={identifier!r}"
        ) from None
    return DTypePolicy(name)
