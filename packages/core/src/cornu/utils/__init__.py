"""Utilities: ``cornu.utils`` (the Keras ``keras.utils`` surface that cornu-core provides)."""
from cornu.utils.file_utils import get_file
from cornu.utils.progbar import Progbar
from cornu.utils.random import set_random_seed
from cornu.serialization import (
    custom_object_scope,
    deserialize_cornu_object,
    get_registered_name,
    get_registered_object,
    register_cornu_serializable,
    register_keras_serializable,
    serialize_cornu_object,
)

CustomObjectScope = custom_object_scope

__all__ = [
    "get_file", "Progbar", "set_random_seed", "custom_object_scope", "CustomObjectScope",
    "deserialize_cornu_object", "serialize_cornu_object", "get_registered_name",
    "get_registered_object", "register_cornu_serializable", "register_keras_serializable",
]
