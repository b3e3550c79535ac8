"""``cornu.activations``: activation functions and ``get``/``serialize``/``deserialize``."""
import types

from cornu.activations.activations import (
    ALL_ACTIVATIONS,
    celu,
    elu,
    exponential,
    gelu,
    glu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    swish,
    tanh,
    tanh_shrink,
    hard_shrink,
    threshold,
)


def serialize(activation):
    """The config of an activation: its name for a registered activation (``"relu"``),
    else Keras 3's function record (``{"module": "builtins", "class_name":
    "function", "config": "package>name", "registered_name": "function"}``), or the
    object's config for a callable object with ``get_config``."""
    from cornu import serialization
    from cornu.plugins import registry

    name = registry.name_of("activation", activation)
    if name is not None and activation not in serialization._GLOBAL_CUSTOM_NAMES:
        return name
    if isinstance(activation, types.FunctionType) and activation.__name__ != "<lambda>":
        return serialization.serialize_function_record(activation)
    if hasattr(activation, "get_config") and not isinstance(activation, type):
        return serialization.serialize_cornu_object(activation)
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize activation {activation!r}")
    return name


def deserialize(config, custom_objects=None):
    """An activation from its name, Keras's function record, or an object's config.

    Names resolve through ``custom_objects``, the custom-object scope and the
    functions registered with ``register_keras_serializable`` (``"package>name"``;
    a bare name also finds ``"package>name"``, as older files wrote it), then the
    registered activations.
    """
    from cornu import serialization

    if isinstance(config, dict):
        if config.get("class_name") not in (None, "function") and isinstance(
                config.get("config"), dict):
            return serialization.deserialize_cornu_object(config, custom_objects,
                                                          kind="activation")
        config = config.get("config", config.get("class_name"))
    found = serialization.get_registered_object(config, custom_objects)
    if found is not None:
        return found
    from cornu.plugins import registry

    found = registry.lookup("activation", config)
    if found is None:
        found = serialization.get_registered_function(config, custom_objects)
    if found is not None:
        return found
    return registry.get("activation", config)  # raises, naming the close matches


def get(identifier):
    """An activation function from a name, a callable, or None (linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation identifier: {identifier!r} "
        "(expected a name such as 'relu', a callable, or None)"
    )


__all__ = [f.__name__ for f in ALL_ACTIVATIONS] + ["get", "serialize", "deserialize"]
