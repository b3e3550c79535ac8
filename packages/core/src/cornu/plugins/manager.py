"""The plugin manager: discovery through entry points, dispatch through pluggy."""

import os
import threading
from importlib import metadata

import pluggy

from cornu.plugins import hookspecs

ENTRY_POINT_GROUP = "cornu"
BACKEND_ENTRY_POINT_GROUP = "cornu.backends"
#: Comma-separated entry-point names: load only these plugins (the core's own
#: components always load).  Useful for hermetic tests and vendoring.
PLUGINS_ENV = "CORNU_PLUGINS"

_lock = threading.RLock()
_manager = None


class PluginInfo:
    """Where a registered plugin came from (for listings and error messages)."""

    def __init__(self, name, distribution, version, module):
        self.name = name
        self.distribution = distribution
        self.version = version
        self.module = module

    def __repr__(self):
        return f"PluginInfo({self.name!r}, {self.distribution!r}, {self.version!r})"


def _allowed_plugins():
    raw = os.environ.get(PLUGINS_ENV)
    if raw is None:
        return None
    return {item.strip() for item in raw.split(",") if item.strip()}


def entry_points(group):
    return list(metadata.entry_points(group=group))


def _distribution_of(ep):
    dist = getattr(ep, "dist", None)
    if dist is None:
        return ep.name, "unknown"
    return dist.metadata["Name"], dist.version


def _create_manager():
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.cornu_info = {}

    from cornu.plugins import builtin

    core = PluginInfo("cornu-core", "cornu-core", _core_version(), builtin)
    pm.register(builtin, name="cornu-core")
    pm.cornu_info["cornu-core"] = core

    allowed = _allowed_plugins()
    for ep in entry_points(ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        if pm.has_plugin(ep.name):
            dist, _ = _distribution_of(ep)
            raise RuntimeError(
                f"Two cornu plugins use the entry-point name {ep.name!r} "
                f"(the second from {dist}); use your distribution name as the "
                "entry-point name."
            )
        dist, version = _distribution_of(ep)
        try:
            plugin = ep.load()
        except Exception as err:
            raise RuntimeError(
                f"The cornu plugin {ep.name!r} from {dist} {version} failed to load "
                f"({ep.value}): {type(err).__name__}: {err}. Reinstall or uninstall it, or "
                f"leave it out with {PLUGINS_ENV}."
            ) from err
        pm.register(plugin, name=ep.name)
        pm.cornu_info[ep.name] = PluginInfo(ep.name, dist, version, plugin)
    return pm


def _core_version():
    from cornu.version import __version__

    return __version__


def get_plugin_manager():
    """The process-wide ``pluggy.PluginManager``, created (and plugins loaded) on first use."""
    global _manager
    if _manager is None:
        with _lock:
            if _manager is None:
                _manager = _create_manager()
    return _manager


def register_plugin(plugin, name=None):
    """Register a plugin object at run time (tests, notebooks, vendored code)."""
    pm = get_plugin_manager()
    name = pm.register(plugin, name=name)
    pm.cornu_info[name] = PluginInfo(name, name, "runtime", plugin)
    from cornu.plugins import registry

    registry.invalidate()
    return name


def unregister_plugin(name):
    pm = get_plugin_manager()
    pm.unregister(name=name)
    pm.cornu_info.pop(name, None)
    from cornu.plugins import registry

    registry.invalidate()


def plugin_infos():
    return dict(get_plugin_manager().cornu_info)


def reset():
    """Forget loaded plugins (they are rediscovered on next use).  For tests."""
    global _manager
    with _lock:
        _manager = None
    from cornu.plugins import registry

    registry.invalidate()


def load_backend_module(name):
    """Import the backend registered under ``name`` in the ``cornu.backends`` group."""
    for ep in entry_points(BACKEND_ENTRY_POINT_GROUP):
        if ep.name == name:
            return ep.load()
    available = sorted(ep.name for ep in entry_points(BACKEND_ENTRY_POINT_GROUP))
    if not available:
        raise ImportError(
            "No cornu backend is installed: pip install cornu-backend-torch "
            "(or cornu-backend-tf)"
        )
    raise ImportError(
        f"The cornu backend {name!r} is not installed (installed: "
        f"{', '.join(available)}). Install it, e.g. pip install "
        f"cornu-backend-{'tf' if name == 'tensorflow' else name}"
    )


def installed_backends():
    return sorted(ep.name for ep in entry_points(BACKEND_ENTRY_POINT_GROUP))


__all__ = [
    "ENTRY_POINT_GROUP", "BACKEND_ENTRY_POINT_GROUP", "get_plugin_manager",
    "register_plugin", "unregister_plugin", "plugin_infos", "reset",
    "load_backend_module", "installed_backends"
]
