"""Running JAX functions on TensorFlow tensors, differentiably (the optional
``jax_interop`` part of the backend specification; ``JaxLayer``/``FlaxLayer`` call it).

``convert(fn)`` is ``jax.experimental.jax2tf.convert(fn, with_gradient=True)``: the JAX
function becomes TensorFlow ops (an XLA call module), eager and inside ``tf.function``,
with a custom gradient, so ``fit`` trains the variables that go in.  JAX is imported
when a function is converted, never with this module.
"""
import tensorflow as tf


def convert(fn, polymorphic_shapes=None, native_serialization_platforms=None):
    """``fn`` (a JAX function of pytrees of arrays) as a TensorFlow function of pytrees
    of tensors.  ``polymorphic_shapes`` (one entry per positional argument, jax2tf's
    syntax: ``"(batch, 4)"``, ``"..."``) says which dimensions may vary between calls;
    ``native_serialization_platforms`` the platforms (``"cpu"``, ``"cuda"``...) to
    compile for, default the one JAX runs on."""
    try:
        from jax.experimental import jax2tf
    except ImportError as err:  # pragma: no cover - the layer checks first
        raise ImportError("cornu's tensorflow backend runs JAX functions with jax2tf: "
                          "pip install jax") from err
    kwargs = {"with_gradient": True}
    if polymorphic_shapes is not None:
        kwargs["polymorphic_shapes"] = polymorphic_shapes
    if native_serialization_platforms is not None:
        kwargs["native_serialization_platforms"] = tuple(native_serialization_platforms)
    converted = jax2tf.convert(fn, **kwargs)
    # AutoGraph cannot rewrite what jax2tf builds.
    return tf.autograph.experimental.do_not_convert(converted)
