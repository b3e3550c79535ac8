"""``cornu.activations``: activation functions and ``get``/``serialize``/``deserialize``."""
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
    from cornu.plugins import registry

    name = registry.name_of("activation", activation)
    if name is None:
        name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize activation {activation!r}")
    return name


def deserialize(config, custom_objects=None):
    if isinstance(config, dict):
        config = config.get("config", config.get("class_name"))
    if custom_objects and config in custom_objects:
        return custom_objects[config]
    from cornu.plugins import registry

    return registry.get("activation", config)


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
