"""``cornu.dtype_policies``: layer dtype policies, including mixed precision (Keras 3 API)."""
from cornu.dtype_policies.policy import (
    ALL_OBJECTS_DICT,
    DTypePolicy,
    FloatDTypePolicy,
    deserialize,
    dtype_policy,
    get,
    serialize,
    set_dtype_policy,
)

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]
