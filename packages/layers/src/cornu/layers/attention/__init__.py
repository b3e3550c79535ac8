"""The attention layers of cornu-layers.

``_LAYER_CLASSES`` maps each class to its Keras aliases; ``cornu.layers`` merges it
into its own table (what ``_plugin.py`` registers) and re-exports ``__all__``.
(Keras 3.15 serializes ``GroupQueryAttention`` under that name, so no alias is needed
to read its configs.)
"""
from cornu.layers.attention.additive_attention import AdditiveAttention
from cornu.layers.attention.attention import Attention
from cornu.layers.attention.grouped_query_attention import GroupQueryAttention
from cornu.layers.attention.multi_head_attention import MultiHeadAttention

_LAYER_CLASSES: dict = {
    Attention: (), AdditiveAttention: (), MultiHeadAttention: (), GroupQueryAttention: (),
}

__all__: list = [cls.__name__ for cls in _LAYER_CLASSES]
