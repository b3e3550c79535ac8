"""``cornu.legacy.saving`` (``keras.legacy.saving``): Keras 2's (de)serialization.

``serialize_keras_object(obj)`` gives Keras 2's ``{"class_name": ..., "config": {...}}``
(no ``module``/``registered_name`` keys); ``deserialize_keras_object`` reverses it,
looking names up in ``custom_objects``, the active ``custom_object_scope``, the
registered objects and then ``module_objects``.  These are the functions of
``cornu.utils.legacy`` (in Keras too, ``keras.legacy.saving`` and ``keras.utils.legacy``
export the same two functions).
"""
from cornu.utils.legacy import deserialize_keras_object, serialize_keras_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
