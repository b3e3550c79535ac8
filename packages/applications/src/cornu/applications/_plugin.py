"""cornu-applications' registrations: the 40 application builders, and the private
layers some of them contain (so that a saved application model loads again)."""
from cornu.plugins import hookimpl

CORNU_HOOKSPEC_VERSION = 1  # the hookspec version this plugin implements (docs/plugins.md)


@hookimpl
def cornu_register_applications(register):
    from cornu.applications import APPLICATIONS

    for builder in APPLICATIONS:
        register(builder)


@hookimpl
def cornu_register_layers(register):
    from cornu.applications.convnext import LayerScale, StochasticDepth
    from cornu.applications.inception_resnet_v2 import CustomScaleLayer

    for cls in (CustomScaleLayer, LayerScale, StochasticDepth):
        register(cls)
