"""Small shared helpers for the layer modules: argument checks, shapes, configs.

Private to ``cornu.layers``; nothing here is part of the public API.
"""
import math

from cornu import activations, config, constraints, initializers, regularizers
from cornu.symbolic import KerasTensor

# Keras accepts a few short initializer names that are not class aliases.
_INITIALIZER_ALIASES = {"uniform": "random_uniform", "normal": "random_normal"}


# -- argument validation ---------------------------------------------------------------
def standardize_tuple(value, n, arg, layer_cls, allow_zero=False):
    """``value`` (an int or an iterable of ``n`` ints) as a tuple of ``n`` ints.

    Raises:
        ValueError: naming the layer class, the argument and the received value.
    """
    msg = (
        f"{layer_cls}: the `{arg}` argument must be an int or a tuple of {n} "
        f"integers, received {arg}={value!r}"
    )
    if isinstance(value, bool):
        raise ValueError(msg)
    if isinstance(value, int):
        out = (value,) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            raise ValueError(msg) from None
        if len(out) != n or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in out
        ):
            raise ValueError(msg)
    low = 0 if allow_zero else 1
    if any(v < low for v in out):
        raise ValueError(f"{msg} (every value must be {'>= 0' if allow_zero else '> 0'})")
    return out


def standardize_padding(value, layer_cls, allowed=("valid", "same")):
    """A lower-case padding mode among ``allowed``."""
    mode = value.lower() if isinstance(value, str) else value
    if mode not in allowed:
        raise ValueError(
            f"{layer_cls}: the `padding` argument must be one of "
            f"{', '.join(repr(a) for a in allowed)}, received padding={value!r}"
        )
    return mode


def standardize_data_format(value, layer_cls):
    try:
        return config.standardize_data_format(value)
    except ValueError:
        raise ValueError(
            f"{layer_cls}: the `data_format` argument must be 'channels_last' or "
            f"'channels_first', received data_format={value!r}"
        ) from None


def check_positive_int(value, arg, layer_cls):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"{layer_cls}: received an invalid value for `{arg}`, expected a positive "
            f"integer, received {arg}={value!r}"
        )
    return value


def check_rate(value, layer_cls, arg="rate"):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(
            f"{layer_cls}: the `{arg}` argument must be a number between 0 and 1, "
            f"received {arg}={value!r}"
        )
    return value


def reject_unsupported(layer_cls, **arguments):
    """Raise for Keras arguments cornu accepts but does not implement (non-None values)."""
    for arg, value in arguments.items():
        if value not in (None, False):
            raise NotImplementedError(
                f"{layer_cls}: `{arg}` is not supported by cornu yet, received "
                f"{arg}={value!r}; leave it as None"
            )


# -- components ------------------------------------------------------------------------
def get_initializer(identifier):
    if isinstance(identifier, str):
        identifier = _INITIALIZER_ALIASES.get(identifier, identifier)
    return initializers.get(identifier)


def get_regularizer(identifier):
    return regularizers.get(identifier)


def get_constraint(identifier):
    return constraints.get(identifier)


def get_activation(identifier):
    return activations.get(identifier)


def serialize_initializer(obj):
    return initializers.serialize(obj)


def serialize_regularizer(obj):
    return None if obj is None else regularizers.serialize(obj)


def serialize_constraint(obj):
    return None if obj is None else constraints.serialize(obj)


def serialize_activation(fn):
    return activations.serialize(fn)


def check_build_shape(layer, input_shape):
    """Check ``input_shape`` against ``layer.input_spec`` before creating weights.

    ``Layer.__call__`` builds a layer before it checks the input spec, so a
    layer with weights checks here first: a bad first input must not build it
    with wrong weight shapes.
    """
    from cornu.layer import check_input_spec

    if layer.input_spec is not None and input_shape is not None:
        check_input_spec(layer, layer.input_spec, tuple(input_shape))



# -- shapes -------------------------------------------------------------------------------
def conv_output_length(length, kernel, stride, padding, dilation=1):
    """The output length of a convolution or pooling window along one axis."""
    if length is None:
        return None
    k_eff = (kernel - 1) * dilation + 1
    if padding in ("same", "causal"):
        return -(-length // stride)
    return max((length - k_eff) // stride + 1, 0)


def same_dtype_spec(shape, inputs):
    """A KerasTensor of ``shape`` with the dtype of the symbolic ``inputs``."""
    return KerasTensor(shape, dtype=inputs.dtype, sparse=getattr(inputs, "sparse", False))


def common_dtype_spec(shape, inputs, default):
    """A KerasTensor of ``shape``: the inputs' dtype when they share one, else ``default``."""
    dtypes = {str(t.dtype) for t in inputs}
    return KerasTensor(shape, dtype=dtypes.pop() if len(dtypes) == 1 else default)


def shape_str(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")"
    )


def prod(dims):
    return math.prod(dims)


def standardize_pairs(value, n, arg, layer_cls):
    """An int, ``n`` ints (symmetric) or ``n`` pairs of ints as ``n`` (before, after) pairs."""
    msg = (
        f"{layer_cls}: `{arg}` must be a non-negative int, a tuple of {n} ints, or a tuple "
        f"of {n} tuples of 2 ints, received {arg}={value!r}"
    )
    if isinstance(value, bool):
        raise ValueError(msg)
    if isinstance(value, int):
        if value < 0:
            raise ValueError(msg)
        return ((value, value),) * n
    if not hasattr(value, "__len__") or len(value) != n:
        raise ValueError(msg)
    pairs = []
    for entry in value:
        try:
            pairs.append(standardize_tuple(entry, 2, arg, layer_cls, allow_zero=True))
        except ValueError:
            raise ValueError(msg) from None
    return tuple(pairs)


def channel_axis(data_format):
    return -1 if data_format == "channels_last" else 1


def input_channels(layer, input_shape):
    """The channel count of ``input_shape`` for a convolution-like layer (checked)."""
    check_build_shape(layer, input_shape)
    axis = channel_axis(layer.data_format)
    channels = input_shape[axis]
    if channels is None:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) needs a known channel "
            f"dimension (axis {axis}, data_format={layer.data_format!r}), received input "
            f"shape {shape_str(input_shape)}"
        )
    return channels
