"""cornu's plugin system: hook specifications, the plugin manager and the registry.

See ``cornu.plugins.hookspecs`` for the contract and ``docs/plugins.md`` for a guide.
"""
from cornu.plugins.hookspecs import HOOKSPEC_VERSION, KINDS, hookimpl, hookspec
from cornu.plugins.manager import (
    BACKEND_ENTRY_POINT_GROUP,
    ENTRY_POINT_GROUP,
    get_plugin_manager,
    installed_backends,
    plugin_infos,
    register_plugin,
    unregister_plugin,
)
from cornu.plugins.registry import RegistrationError, get, lookup, names

__all__ = [
    "HOOKSPEC_VERSION", "KINDS", "hookimpl", "hookspec", "ENTRY_POINT_GROUP",
    "BACKEND_ENTRY_POINT_GROUP", "get_plugin_manager", "installed_backends",
    "plugin_infos", "register_plugin", "unregister_plugin", "RegistrationError",
    "get", "lookup", "names",
]
