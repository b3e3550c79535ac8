"""``cornu.ops``: the backend-agnostic op surface (the names of ``keras.ops``).

Every name resolves once to the active backend's function and is then a
plain attribute of this module.  Namespaces: ``cornu.ops.numpy``,
``cornu.ops.nn``, ``cornu.ops.math``, ``cornu.ops.linalg``,
``cornu.ops.image``, ``cornu.ops.core``; all their names are also here.
``cornu.ops.toolkit`` is for backend authors (argument checks, generic ops).
``dir(cornu.ops)`` lists every op name of the backend (and the namespaces);
``cornu.ops.__all__`` is what ``from cornu.ops import *`` imports.
"""
from cornu.ops._front import bind_front

_NAMESPACES = ("core", "numpy", "nn", "math", "linalg", "image")
# ``dir(cornu.ops)`` and ``cornu.ops.__all__``: every op of the backend and the
# namespaces (``from cornu.ops import *``, ``from keras.src.ops import *`` under the alias).
_getattr = bind_front(__name__, _NAMESPACES, submodules=_NAMESPACES)


def __getattr__(name):
    if name in _NAMESPACES or name == "toolkit":  # submodules: importing one binds nothing
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    return _getattr(name)
