"""cornu-layers' plugin: registers every layer class (and its Keras aliases).

Loaded through the ``cornu`` entry-point group (name ``cornu-layers``), exactly
as a third-party plugin would be.
"""
from cornu.plugins import hookimpl


@hookimpl
def cornu_register_layers(register):
    from cornu.layers import _LAYER_CLASSES

    for cls, aliases in _LAYER_CLASSES.items():
        register(cls, aliases=aliases)
