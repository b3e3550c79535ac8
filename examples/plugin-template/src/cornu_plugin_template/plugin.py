"""The plugin module: what the ``cornu`` entry point names.

Each hook receives ``register(obj, name=None, aliases=())`` and calls it once
per component; imports happen inside the hooks, so loading the plugin costs
nothing until cornu asks for that kind of component.
"""
from cornu.plugins import hookimpl

#: The hookspec version(s) this plugin implements; cornu-core skips the plugin,
#: with a warning, if it implements another.
CORNU_HOOKSPEC_VERSION = 1


@hookimpl
def cornu_register_layers(register):
    from cornu_plugin_template.layers import GatedDense

    register(GatedDense)


@hookimpl
def cornu_register_activations(register):
    from cornu_plugin_template.activations import bent_identity

    register(bent_identity)


@hookimpl
def cornu_register_optimizers(register):
    from cornu_plugin_template.optimizers import SignSGD

    register(SignSGD, aliases=("sign_sgd", "signum"))


@hookimpl
def cornu_register_losses(register):
    from cornu_plugin_template.losses import PseudoHuber, pseudo_huber

    register(PseudoHuber)
    register(pseudo_huber)


@hookimpl
def cornu_register_metrics(register):
    from cornu_plugin_template.metrics import WithinTolerance

    register(WithinTolerance, aliases=("within_tolerance",))


@hookimpl
def cornu_register_callbacks(register):
    from cornu_plugin_template.callbacks import StopAtLoss

    register(StopAtLoss)


@hookimpl
def cornu_register_datasets(register):
    from cornu_plugin_template import two_spirals

    register(two_spirals, name="two_spirals")
