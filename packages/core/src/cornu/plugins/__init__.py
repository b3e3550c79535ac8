"""cornu's plugin system: hook specifications, plugin contexts and the registry.

See ``cornu.plugins.hookspecs`` for the contract and ``docs/plugins.md`` for a guide.
"""
from cornu.plugins.hookspecs import HOOKSPEC_VERSION, KINDS, hookimpl, hookspec
from cornu.plugins.manager import (
    BACKEND_ENTRY_POINT_GROUP,
    DISABLE_ENV,
    ENTRY_POINT_GROUP,
    PLUGINS_ENV,
    Context,
    PluginFailure,
    PluginInfo,
    PluginWarning,
    current_context,
    default_context,
    get_plugin_manager,
    installed_backends,
    load_failures,
    plugin_infos,
    register_plugin,
    unregister_plugin,
)
from cornu.plugins.registry import RegistrationError, get, lookup, names

__all__ = [
    "HOOKSPEC_VERSION", "KINDS", "hookimpl", "hookspec", "ENTRY_POINT_GROUP",
    "BACKEND_ENTRY_POINT_GROUP", "PLUGINS_ENV", "DISABLE_ENV", "Context", "PluginInfo",
    "PluginFailure", "PluginWarning", "current_context", "default_context",
    "get_plugin_manager", "installed_backends", "load_failures", "plugin_infos",
    "register_plugin", "unregister_plugin", "RegistrationError", "get", "lookup", "names",
]
