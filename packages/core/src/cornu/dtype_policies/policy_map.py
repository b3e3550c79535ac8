"""``DTypePolicyMap``: dtype policies by layer path (Keras 3's
``keras.dtype_policies.DTypePolicyMap``).

A mapping from layer paths (``layer.path``, e.g. ``"encoder/layer_0/dense"``) to
policies, which is itself a policy (its default one's dtypes): a model's ``get_config``
stores one as its ``dtype`` to keep per-layer policies (KerasHub's backbones do).  A
key that is not a path in the map is tried as a regular expression (``re.fullmatch``)
against the path asked for; no match gives the default policy.
"""
import re
from collections.abc import MutableMapping

from cornu.dtype_policies import policy as _policy


class DTypePolicyMap(_policy.DTypePolicy, MutableMapping):
    """Layer paths -> ``DTypePolicy``; a policy itself (the default's dtypes).

    Args:
        default_policy: the policy for paths the map does not hold (a policy, a name,
            or None: the global policy, looked up when used).
        policy_map: an optional dict of paths (or regular expressions) to policies.
    """

    def __init__(self, default_policy=None, policy_map=None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(
                "If specified, `policy_map` must be a dict. Received: "
                f"policy_map={policy_map!r} of type {type(policy_map).__name__}")
        self._default_policy_arg = default_policy
        self._default_policy = (None if default_policy is None
                                else _policy.get(default_policy))
        self._policy_map = {}
        for key, value in (policy_map or {}).items():
            self[key] = value

    # -- the policy side: the default policy's dtypes ---------------------------
    @property
    def default_policy(self):
        """The policy for paths not in the map (the global one when none was given)."""
        if self._default_policy is None:
            return _policy.dtype_policy()
        return self._default_policy

    @property
    def _name(self):
        return f"map_{self.default_policy.name}"

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    @property
    def quantization_mode(self):
        return self.default_policy.quantization_mode

    def convert_input(self, x, autocast, dtype):
        return self.default_policy.convert_input(x, autocast, dtype)

    # -- the mapping side ---------------------------------------------------------
    def __getitem__(self, key):
        """The policy of path ``key``: an exact key, else the one key that matches it
        as a regular expression, else the default policy."""
        if key in self._policy_map:
            return self._policy_map[key]
        matching = [pattern for pattern in self._policy_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple dtype policy specification keys: "
                f"{matching}. Please make sure each path only matches at most one dtype "
                "policy specification key in the DTypePolicyMap.")
        if matching:
            return self._policy_map[matching[0]]
        return self.default_policy

    def __setitem__(self, key, policy):
        if key in self._policy_map:
            raise ValueError(
                f"{key} already exist in the DTypePolicyMap with value "
                f"{self._policy_map[key]}. Please make sure to not use duplicated keys.")
        try:
            policy = _policy.get(policy)
        except Exception:
            raise ValueError(
                "Cannot interpret the assigned value by `keras.dtype_policies.get`. "
                f"Received: {policy!r} of type {type(policy).__name__}") from None
        self._policy_map[key] = policy

    def __delitem__(self, key):
        return self._policy_map.pop(key)

    def __contains__(self, key):
        return key in self._policy_map

    def __len__(self):
        return len(self._policy_map)

    def __iter__(self):
        return iter(self._policy_map)

    def __eq__(self, other):
        if not isinstance(other, DTypePolicyMap):
            return False
        return (self._default_policy == other._default_policy
                and self._policy_map == other._policy_map)

    __hash__ = None  # mutable, as a dict

    # -- serialization (Keras 3's config) -------------------------------------------
    def get_config(self):
        default = self._default_policy_arg
        if isinstance(default, _policy.DTypePolicy):
            default = _policy.serialize(default)
        return {"default_policy": default,
                "policy_map": {k: _policy.serialize(v) for k, v in self._policy_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        default = config.get("default_policy")
        if isinstance(default, dict):
            config["default_policy"] = _policy.deserialize(default, custom_objects)
        config["policy_map"] = {
            k: _policy.deserialize(v, custom_objects) if isinstance(v, (dict, str)) else v
            for k, v in (config.get("policy_map") or {}).items()}
        return cls(**config)

    def __repr__(self):
        default = None if self._default_policy is None else self._default_policy.name
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return (f"<DTypePolicyMap at {hex(id(self))} default_policy={default}, "
                f"mapping={mapping}>")


_policy.ALL_OBJECTS_DICT["DTypePolicyMap"] = DTypePolicyMap
