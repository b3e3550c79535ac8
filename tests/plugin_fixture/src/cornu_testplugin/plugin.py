from cornu.plugins import hookimpl

CORNU_HOOKSPEC_VERSION = 1  # the hookspec version this plugin implements (docs/plugins.md)


@hookimpl
def cornu_register_layers(register):
    from cornu_testplugin.components import ScaledDense

    register(ScaledDense)


@hookimpl
def cornu_register_optimizers(register):
    from cornu_testplugin.components import PlainGD

    register(PlainGD, aliases=("plain_gd",))
