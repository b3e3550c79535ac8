"""cornu-optimizers' registrations, through the same hooks a third-party plugin uses.

Names are the class names; registry lookup is case- and underscore-insensitive,
so ``"adam"``, ``"sgd"`` and ``"rmsprop"`` resolve too.
"""
from cornu.plugins import hookimpl

CORNU_HOOKSPEC_VERSION = 1  # the hookspec version this plugin implements (docs/plugins.md)


@hookimpl
def cornu_register_optimizers(register):
    from cornu.optimizers import ALL_OPTIMIZERS, MultiOptimizer, Optimizer, OptimizerMap

    register(Optimizer)
    for cls in ALL_OPTIMIZERS:
        register(cls)
    # Not in ALL_OPTIMIZERS (they need sub-optimizers to be built), but a config names
    # them: OptimizerMap is a MultiOptimizer's serialized optimizer_map.
    register(MultiOptimizer)
    register(OptimizerMap)


@hookimpl
def cornu_register_schedules(register):
    from cornu.optimizers.schedules.learning_rate_schedule import ALL_SCHEDULES

    for cls in ALL_SCHEDULES:
        register(cls)
