"""cornu-layers' plugin: registers every layer class (and its Keras aliases).

Loaded through the ``cornu`` entry-point group (name ``cornu-layers``), exactly
as a third-party plugin would be.
"""
from cornu.plugins import hookimpl

CORNU_HOOKSPEC_VERSION = 1  # the hookspec version this plugin implements (docs/plugins.md)


@hookimpl
def cornu_register_layers(register):
    from cornu.layers import _LAYER_CLASSES
    from cornu.layers.preprocessing import _REGISTERED_ONLY

    for cls, aliases in {**_LAYER_CLASSES, **_REGISTERED_ONLY}.items():
        register(cls, aliases=aliases)
