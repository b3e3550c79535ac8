"""The rnn layers of cornu-layers.

``_LAYER_CLASSES`` maps each class to its Keras aliases; ``cornu.layers`` merges it
into its own table (what ``_plugin.py`` registers) and re-exports ``__all__``.
"""

_LAYER_CLASSES: dict = {}

__all__: list = []
