"""Names from Keras's private ``keras.src`` tree that no public cornu module holds.

Keras-based libraries import a few helpers from ``keras.src`` modules that cornu has
no counterpart module for (KerasHub: ``keras.src.utils.backend_utils``).  Under
``cornu.alias_keras()`` those paths are this module (``cornu._alias._KERAS_SRC``); it
is not public API, and nothing in cornu imports it.
"""
import functools
import inspect
import os
import sys

__all__ = ["in_grain_data_pipeline", "in_tf_graph", "no_automatic_dependency_tracking"]

_GRAIN_PATHS = (os.path.join("grain", "_src", "python", "dataset"),
                os.path.join("grain", "_src", "python", "data_loader"))


def in_grain_data_pipeline():
    """Whether the caller runs inside a Grain data pipeline (a ``grain`` dataset or
    data loader frame is on the stack), as ``keras.src.utils.backend_utils`` says:
    preprocessing layers then hand back NumPy data instead of backend tensors."""
    if "grain" not in sys.modules:
        return False  # the fast path: Grain is not even imported
    frame = inspect.currentframe()
    while frame is not None:
        filename = frame.f_code.co_filename
        if any(part in filename for part in _GRAIN_PATHS):
            return True
        frame = frame.f_back
    return False


def in_tf_graph():
    """Whether the caller is tracing a TensorFlow graph (``tf.function``, ``tf.data``):
    False when TensorFlow is not imported."""
    tf = sys.modules.get("tensorflow")
    if tf is None or not hasattr(tf, "executing_eagerly"):
        return False
    return not tf.executing_eagerly()


def no_automatic_dependency_tracking(fn):
    """``keras.src.utils.tracking.no_automatic_dependency_tracking``: ``fn`` (a method)
    runs with its layer's attribute tracking off, so what it assigns to ``self`` is not
    registered as sublayers or weights (cornu tracks per layer: ``_tracking``).
    KerasRS decorates its distributed embedding's set-up methods with it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        owner = args[0] if args else None
        was = getattr(owner, "_tracking", None)
        if was is None:
            return fn(*args, **kwargs)
        object.__setattr__(owner, "_tracking", False)
        try:
            return fn(*args, **kwargs)
        finally:
            object.__setattr__(owner, "_tracking", was)

    return wrapper


def __getattr__(name):
    # keras.src.backend.common.variables.KerasVariable: cornu's Variable (imported on
    # first use, so that this module stays as light as ``import cornu``).
    if name == "KerasVariable":
        from cornu.variables import Variable

        return Variable
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
