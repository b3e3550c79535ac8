"""The core's own components, registered through the same hooks as any plugin."""
from cornu.plugins.hookspecs import HOOKSPEC_VERSION, hookimpl

CORNU_HOOKSPEC_VERSION = HOOKSPEC_VERSION


@hookimpl
def cornu_register_activations(register):
    from cornu.activations import activations

    for fn in activations.ALL_ACTIVATIONS:
        register(fn)
    for alias, fn in activations.ALIASES.items():
        register(fn, name=alias)


@hookimpl
def cornu_register_initializers(register):
    from cornu.initializers import initializers
    from cornu.naming import to_snake_case

    for cls in initializers.ALL_INITIALIZERS:
        register(cls, aliases=(to_snake_case(cls.__name__),))
    # Short Keras spellings.
    register(initializers.RandomUniform, name="uniform")
    register(initializers.RandomNormal, name="normal")


@hookimpl
def cornu_register_regularizers(register):
    from cornu import regularizers

    for cls in regularizers.ALL_REGULARIZERS:
        register(cls)
    for alias, cls in regularizers.ALIASES.items():
        register(cls, name=alias)


@hookimpl
def cornu_register_constraints(register):
    from cornu import constraints

    for cls in constraints.ALL_CONSTRAINTS:
        register(cls)
    for alias, cls in constraints.ALIASES.items():
        register(cls, name=alias)


@hookimpl
def cornu_register_quantizers(register):
    from cornu import quantizers
    from cornu.naming import to_snake_case

    for cls in quantizers.ALL_QUANTIZERS:
        register(cls, aliases=(to_snake_case(cls.__name__),))


@hookimpl
def cornu_register_layers(register):
    from cornu.layer import Layer
    from cornu.models.functional import Functional
    from cornu.models.input_layer import InputLayer
    from cornu.models.model import Model
    from cornu.models.sequential import Sequential

    register(Layer)
    register(InputLayer)
    register(Model)
    register(Sequential)
    register(Functional)


@hookimpl
def cornu_register_callbacks(register):
    from cornu.engine import callbacks

    for cls in (callbacks.Callback, callbacks.CallbackList, callbacks.History,
                callbacks.ProgbarLogger):
        register(cls)
