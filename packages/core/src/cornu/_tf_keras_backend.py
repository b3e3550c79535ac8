"""``tf.keras.backend`` under ``cornu.alias_keras()`` (see ``cornu._tf_keras``): a
compatibility module, not public API.

``cornu.backend``'s Keras 3 names, plus the legacy TF-Keras backend functions that
Keras 3 still ships in ``keras._tf_keras.keras.backend``, for the ones whose meaning
is a ``cornu.ops`` function (``K.shape(x)`` is ``cornu.ops.shape(x)``: a tuple).
"""
from cornu.backend import (  # noqa: F401
    KERAS_BACKEND_NAMES,
    backend,
    clear_session,
    epsilon,
    floatx,
    get_uid,
    image_data_format,
    is_float_dtype,
    is_int_dtype,
    is_keras_tensor,
    name_scope,
    result_type,
    set_epsilon,
    set_floatx,
    set_image_data_format,
    standardize_dtype,
)

#: Legacy names that are the ``cornu.ops`` function of the same name (or the one given).
_OPS = {
    name: name for name in (
        "abs", "all", "any", "arange", "argmax", "argmin", "cast", "clip", "concatenate",
        "cos", "cumprod", "cumsum", "dot", "equal", "exp", "expand_dims", "eye", "greater",
        "greater_equal", "less", "less_equal", "log", "max", "maximum", "mean", "min",
        "minimum", "not_equal", "one_hot", "ones", "ones_like", "prod", "relu", "repeat",
        "reshape", "round", "shape", "sigmoid", "sign", "sin", "softmax", "softplus",
        "softsign", "sqrt", "square", "squeeze", "stack", "std", "stop_gradient", "sum",
        "tanh", "tile", "transpose", "var", "zeros", "zeros_like",
    )
}
_OPS.update({"pow": "power", "permute_dimensions": "transpose", "bias_add": "add"})


def int_shape(x):
    """The static shape of ``x`` as a tuple (None for unknown dimensions)."""
    from cornu import ops

    return tuple(ops.shape(x))


def ndim(x):
    from cornu import ops

    return len(ops.shape(x))


def __getattr__(name):
    if name in _OPS:
        from cornu import ops

        return getattr(ops, _OPS[name])
    raise AttributeError(
        f"module 'tf.keras.backend' (keras aliased to cornu) has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_OPS))
