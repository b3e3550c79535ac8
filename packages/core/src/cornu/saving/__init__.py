"""``cornu.saving``: whole-model ``.keras`` archives, ``.weights.h5`` files, object configs.

The names of ``keras.saving``: ``save_model``/``load_model`` (the ``.keras`` zip
layout of Keras 3, readable by Keras 3 and reading its files), ``save_weights``/
``load_weights``, the (de)serialization functions under their cornu and Keras
names, the custom-object registry and scope, and ``KerasFileEditor``.
"""
from cornu.saving.file_editor import KerasFileEditor
from cornu.saving.keras_file import load_model, save_model
from cornu.saving.weights import UnsafeFileError, load_weights, save_weights
from cornu.serialization import (
    custom_object_scope,
    deserialize_cornu_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_cornu_serializable,
    register_keras_serializable,
    serialize_cornu_object,
)

CustomObjectScope = custom_object_scope
serialize_keras_object = serialize_cornu_object
deserialize_keras_object = deserialize_cornu_object

__all__ = [
    "save_model", "load_model", "save_weights", "load_weights", "custom_object_scope",
    "CustomObjectScope", "serialize_cornu_object", "deserialize_cornu_object",
    "serialize_keras_object", "deserialize_keras_object", "register_cornu_serializable",
    "register_keras_serializable", "get_registered_name", "get_registered_object",
    "get_custom_objects", "KerasFileEditor", "UnsafeFileError",
]
