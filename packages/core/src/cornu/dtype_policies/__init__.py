"""``cornu.dtype_policies``: layer dtype policies, including mixed precision (Keras 3 API)."""
from cornu.dtype_policies.policy import (
    ALL_OBJECTS_DICT,
    DTypePolicy,
    QUANTIZATION_MODES,
    AWQDTypePolicy,
    FloatDTypePolicy,
    GPTQDTypePolicy,
    Int4DTypePolicy,
    QuantizedDTypePolicy,
    QuantizedFloat8DTypePolicy,
    deserialize,
    dtype_policy,
    get,
    serialize,
    set_dtype_policy,
)
from cornu.dtype_policies.policy_map import DTypePolicyMap

__all__ = ["AWQDTypePolicy", "DTypePolicy", "DTypePolicyMap", "FloatDTypePolicy",
           "GPTQDTypePolicy", "Int4DTypePolicy", "QuantizedDTypePolicy",
           "QuantizedFloat8DTypePolicy", "deserialize", "get", "serialize"]
