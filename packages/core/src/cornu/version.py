"""``cornu.version``: kept importable as a module (``from cornu.version import
__version__``) while ``cornu.version()`` is a function, as ``keras.version()``.

The versions live in ``cornu._version``.  Importing this module would bind it as
the attribute ``cornu.version``; the module is therefore callable, so that
``cornu.version()`` keeps working either way.
"""
import sys as _sys
import types as _types

from cornu._version import __version__, cornu_version, keras_version  # noqa: F401
from cornu._version import version as _version


class _CallableModule(_types.ModuleType):
    def __call__(self):
        return _version()


_sys.modules[__name__].__class__ = _CallableModule
