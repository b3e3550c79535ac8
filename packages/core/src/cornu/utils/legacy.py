"""``cornu.utils.legacy``: Keras 2's form of (de)serialization, for libraries and files
written for ``tf.keras`` (``keras.utils.legacy``).

``serialize_keras_object(obj)`` gives ``{"class_name": ..., "config": {...}}`` with no
``module``/``registered_name`` keys; objects inside the config are serialized the same
way and marked ``"__passive_serialization__": True``, functions by their (registered)
name.  ``deserialize_keras_object`` reverses it, looking names up in
``custom_objects``, the active ``custom_object_scope``, the registered objects and
then ``module_objects``.  (Keras 2's shared-object ids are not written.)
"""
import inspect

from cornu import serialization

__all__ = ["deserialize_keras_object", "serialize_keras_object"]

_PASSIVE = "__passive_serialization__"


def serialize_keras_object(instance):
    """The Keras 2 config dict of ``instance`` (its registered name for a function or a
    class without ``get_config``); None for None."""
    instance = inspect.unwrap(instance) if callable(instance) else instance
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = {}
        for key, item in instance.get_config().items():
            if isinstance(item, str):
                config[key] = item
                continue
            try:
                serialized = serialize_keras_object(item)
            except ValueError:  # plain values (numbers, lists, dicts) stay as they are
                config[key] = item
                continue
            if isinstance(serialized, dict) and not isinstance(item, dict):
                serialized[_PASSIVE] = True
            config[key] = serialized
        name = serialization.get_registered_name(type(instance))
        return {"class_name": name, "config": config}
    if hasattr(instance, "__name__"):
        return serialization.get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement `get_config()`.")


def _unknown(kind, name):
    return ValueError(
        f"Unknown {kind}: '{name}'. Please ensure you are using a "
        "`cornu.utils.custom_object_scope` (keras.utils.custom_object_scope) and that "
        "this object is included in the scope, or pass it in custom_objects."
    )


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    """The object a Keras 2 config (or name) describes.

    Args:
        identifier: a ``{"class_name", "config"}`` dict, a name, or a function.
        module_objects: a dict of built-in objects to look names up in.
        custom_objects: a dict of user objects to look names up in (searched first).
        printable_module_name: what the object is, for error messages.
    """
    if identifier is None:
        return None
    module_objects = module_objects or {}
    custom_objects = custom_objects or {}
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(
                f"Improper config format for {identifier}. Expecting python dict contains "
                "`class_name` and `config` as keys"
            )
        class_name = identifier["class_name"]
        cls = serialization.get_registered_object(class_name, custom_objects, module_objects)
        if cls is None:
            raise _unknown(printable_module_name, class_name)
        cls_config = identifier["config"]
        if isinstance(cls_config, dict):
            cls_config = dict(cls_config)
            for key, item in cls_config.items():
                if key == "name":  # a name is a name, even if a function has it
                    continue
                if isinstance(item, dict) and _PASSIVE in item:
                    item = {k: v for k, v in item.items() if k != _PASSIVE}
                    cls_config[key] = deserialize_keras_object(
                        item, module_objects, custom_objects, "config_item")
                elif isinstance(item, str):
                    found = serialization.get_registered_object(
                        item, custom_objects, module_objects)
                    if inspect.isfunction(found):
                        cls_config[key] = found
        if not hasattr(cls, "from_config"):  # a function returning the object
            with serialization.custom_object_scope(custom_objects):
                return cls(**cls_config)
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            merged = {**serialization.get_custom_objects(), **custom_objects}
            return cls.from_config(cls_config, custom_objects=merged)
        with serialization.custom_object_scope(custom_objects):
            return cls.from_config(cls_config)
    if isinstance(identifier, str):
        obj = serialization.get_registered_object(identifier, custom_objects, module_objects)
        if obj is None:
            raise _unknown(printable_module_name, identifier)
        return obj() if inspect.isclass(obj) else obj
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")
