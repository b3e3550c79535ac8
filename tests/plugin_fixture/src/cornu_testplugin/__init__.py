"""A third-party cornu plugin, written only against cornu-core's public API."""
from cornu_testplugin.components import PlainGD, ScaledDense

__all__ = ["PlainGD", "ScaledDense"]
