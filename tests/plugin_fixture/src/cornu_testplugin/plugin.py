from cornu.plugins import hookimpl


@hookimpl
def cornu_register_layers(register):
    from cornu_testplugin.components import ScaledDense

    register(ScaledDense)


@hookimpl
def cornu_register_optimizers(register):
    from cornu_testplugin.components import PlainGD

    register(PlainGD, aliases=("plain_gd",))
