"""The plugin manager: discovery through entry points, dispatch through pluggy.

A :class:`Context` owns one ``pluggy.PluginManager`` and one registry
(``cornu.plugins.registry``).  The process has a default context, configured by
the environment (``CORNU_PLUGINS``, ``CORNU_DISABLE_PLUGINS``); a platform that
vendors cornu can open its own, restricted one::

    with cornu.plugins.Context(plugins=["cornu-layers", "cornu-optimizers"]):
        model.compile(optimizer="adam", ...)   # resolves in this context only

Every module-level function here (and in ``registry``) acts on the *current*
context: the innermost ``with Context()`` of the running thread or task
(a ``contextvars`` variable), else the default one.

Plugins load lazily, the first time a context's registry or plugin manager is
used, never at ``import cornu``.  A plugin that cannot be imported, or that
declares a hookspec version this core does not implement, is skipped with a
:class:`PluginWarning` naming its distribution; cornu goes on without it.
"""

import contextvars
import inspect
import os
import sys
import threading
import warnings
import weakref
from importlib import metadata

import pluggy

from cornu import backend as _backend
from cornu._warning import CornuWarning
from cornu.backend import (  # noqa: F401  (found by cornu.backend, a leaf of the imports)
    BACKEND_ENTRY_POINT_GROUP,
    backend_distribution,
    installed_backends,
    load_backend_module,
)
from cornu.plugins import hookspecs

ENTRY_POINT_GROUP = "cornu"
#: Comma-separated entry-point names: load only these plugins (the core's own
#: components always load).  Useful for hermetic tests and vendoring.
PLUGINS_ENV = "CORNU_PLUGINS"
#: Comma-separated entry-point (or distribution) names never to load.
DISABLE_ENV = "CORNU_DISABLE_PLUGINS"
#: The plugin-module attribute declaring the hookspec version(s) it implements.
VERSION_ATTRIBUTE = "CORNU_HOOKSPEC_VERSION"
CORE_PLUGIN = "cornu-core"


class PluginWarning(CornuWarning):
    """A plugin was skipped (it failed to import or is incompatible); cornu goes on."""


class PluginInfo:
    """A loaded plugin: where it came from (for listings and error messages).

    Attributes:
        name: the entry-point name (the plugin's name in the plugin manager).
        distribution, version: the installed distribution that provides it.
        module: the plugin object (usually a module).
        hookspec_version: the versions it declares (a sorted tuple of ints), or
            None when it declares none.
        entry_point: the entry point's value (``"pkg.module"``), or None for a
            plugin registered at run time.
    """

    def __init__(self, name, distribution, version, module, hookspec_version=None,
                 entry_point=None):
        self.name = name
        self.distribution = distribution
        self.version = version
        self.module = module
        self.hookspec_version = hookspec_version
        self.entry_point = entry_point

    def __repr__(self):
        return f"PluginInfo({self.name!r}, {self.distribution!r}, {self.version!r})"


class PluginFailure:
    """A plugin that was found but not loaded (``reason`` says why)."""

    def __init__(self, name, distribution, version, entry_point, reason):
        self.name = name
        self.distribution = distribution
        self.version = version
        self.entry_point = entry_point
        self.reason = reason

    def __repr__(self):
        return f"PluginFailure({self.name!r}, {self.distribution!r}: {self.reason})"


def _env_names(var):
    raw = os.environ.get(var)
    if raw is None:
        return None
    return frozenset(item.strip() for item in raw.split(",") if item.strip())


def entry_points(group):
    return list(metadata.entry_points(group=group))


def distribution_of(ep):
    """``(distribution name, version)`` of an entry point."""
    dist = getattr(ep, "dist", None)
    if dist is None:
        return ep.name, "unknown"
    return dist.metadata["Name"], dist.version


def declared_hookspec_version(plugin):
    """The hookspec versions ``plugin`` declares, as a sorted tuple of ints, or None.

    ``CORNU_HOOKSPEC_VERSION`` may be an int (``1``), a string (``"1"``,
    ``"1,2"``) or a sequence of those.  Raises ValueError when it is malformed.
    """
    raw = getattr(plugin, VERSION_ATTRIBUTE, None)
    if raw is None:
        return None
    items = raw.split(",") if isinstance(raw, str) else (
        [raw] if isinstance(raw, int) else list(raw))
    try:
        versions = {int(str(v).strip()) for v in items}
    except (TypeError, ValueError):
        raise ValueError(f"{VERSION_ATTRIBUTE} = {raw!r} is not a version number "
                         "or a list of them") from None
    if not versions:
        raise ValueError(f"{VERSION_ATTRIBUTE} = {raw!r} names no version")
    return tuple(sorted(versions))


def _outside_stacklevel():
    """The ``stacklevel`` of the first caller outside ``cornu.plugins`` (for warnings)."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
        frame, level = frame.f_back, level + 1
    return level


def _core_version():
    from cornu._version import __version__

    return __version__


class Context:
    """One plugin manager and one registry: the plugins cornu sees while it is current.

    Args:
        plugins: entry-point names to load (the ``cornu`` group); None loads every
            installed plugin.  cornu-core's own components always load.
        disable: entry-point or distribution names never to load (in addition to
            ``CORNU_DISABLE_PLUGINS``, which every context honours).
        entry_points: False loads no entry point at all, only cornu-core's
            components and ``extra``.
        extra: plugin objects (modules, classes) to register too, as
            ``{name: plugin}`` or a sequence of plugins.

    Use it as a context manager to make it current for the code inside (string
    identifiers in ``compile``, ``from_config``, ``load_model`` then resolve
    against it), or call ``context.registry.get(kind, name)`` directly.  Contexts
    are independent: each loads its own plugins on first use.  The backend is
    per process and is not part of a context.
    """

    def __init__(self, plugins=None, *, disable=(), entry_points=True, extra=None):
        from cornu.plugins.registry import Registry

        self._allowed = None if plugins is None else frozenset(plugins)
        self._disabled = frozenset(disable)
        self._load_entry_points = bool(entry_points)
        if extra is None:
            extra = {}
        elif not isinstance(extra, dict):
            extra = {getattr(p, "__name__", repr(p)): p for p in extra}
        self._extra = dict(extra)
        self._from_env = False
        self._pm = None
        self._lock = threading.RLock()
        self._tokens = []
        self.registry = Registry(self)
        _contexts.add(self)

    @classmethod
    def from_environment(cls):
        """The default context: ``CORNU_PLUGINS`` limits, ``CORNU_DISABLE_PLUGINS`` skips."""
        context = cls(plugins=_env_names(PLUGINS_ENV))
        context._from_env = True
        return context

    # -- the plugin manager -----------------------------------------------------
    @property
    def plugin_manager(self):
        """The ``pluggy.PluginManager``, created (and plugins loaded) on first use."""
        pm = self._pm
        if pm is None:
            with self._lock:
                if self._pm is None:
                    self._pm = self._create_manager()
                pm = self._pm
        return pm

    def _create_manager(self):
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        pm.cornu_info = {}
        pm.cornu_failures = []
        pm.cornu_disabled = []

        from cornu.plugins import builtin

        pm.register(builtin, name=CORE_PLUGIN)
        pm.cornu_info[CORE_PLUGIN] = PluginInfo(
            CORE_PLUGIN, CORE_PLUGIN, _core_version(), builtin,
            declared_hookspec_version(builtin))
        if self._load_entry_points:
            self._load(pm)
        for name, plugin in self._extra.items():
            self._register(pm, plugin, name, name, "runtime", None)
        # A context created after the backend was chosen still hears about it.
        if _backend.is_bound():
            pm.hook.cornu_backend_selected.call_historic(
                kwargs={"backend": _backend.get_backend()})
        return pm

    def _load(self, pm):
        disabled = self._disabled | (_env_names(DISABLE_ENV) or frozenset())
        for ep in entry_points(ENTRY_POINT_GROUP):
            dist, version = distribution_of(ep)
            if self._allowed is not None and ep.name not in self._allowed:
                continue
            if ep.name in disabled or dist in disabled:
                pm.cornu_disabled.append(PluginInfo(ep.name, dist, version, None,
                                                    entry_point=ep.value))
                continue
            if ep.name == CORE_PLUGIN or ep.name in pm.cornu_info:
                first = pm.cornu_info[ep.name]
                from cornu.plugins.registry import RegistrationError

                raise RegistrationError(
                    f"Two cornu plugins use the entry-point name {ep.name!r}: "
                    f"{first.distribution} ({first.version}) and {dist} ({version}). "
                    "Use your distribution name as the entry-point name; uninstall one, "
                    f"or leave one out with {DISABLE_ENV}."
                )
            try:
                plugin = ep.load()
            except Exception as err:  # a broken plugin must not break cornu
                self._fail(pm, ep.name, dist, version, ep.value,
                           f"failed to import: {type(err).__name__}: {err}")
                continue
            self._register(pm, plugin, ep.name, dist, version, ep.value)

    def _register(self, pm, plugin, name, dist, version, value):
        """Check the hookspec version, then register ``plugin``; a mismatch is a warning."""
        try:
            declared = declared_hookspec_version(plugin)
        except ValueError as err:
            self._fail(pm, name, dist, version, value, str(err))
            return None
        if declared is not None and hookspecs.HOOKSPEC_VERSION not in declared:
            self._fail(
                pm, name, dist, version, value,
                f"implements hookspec version {', '.join(map(str, declared))} but "
                f"cornu-core {_core_version()} implements version "
                f"{hookspecs.HOOKSPEC_VERSION}; upgrade the plugin or cornu-core",
            )
            return None
        # pluggy accepts a hookimpl no spec knows (a typo, or a hook from a newer
        # core) and never calls it; name it instead of failing silently.
        marker = hookspecs.PROJECT_NAME + "_impl"
        unknown = []
        for attr in dir(plugin):
            fn = getattr(plugin, attr, None)
            # routines only (as pluggy does): a getattr on a lazy module such as
            # cornu.ops would import the backend.
            if (inspect.isroutine(fn) and getattr(fn, marker, None) is not None
                    and not hasattr(hookspecs, attr)):
                unknown.append(attr)
        if unknown:
            self._fail(pm, name, dist, version, value,
                       f"implements unknown hooks {', '.join(sorted(unknown))} "
                       f"(not in hookspec version {hookspecs.HOOKSPEC_VERSION})")
            return None
        try:
            pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as err:
            self._fail(pm, name, dist, version, value, f"is invalid: {err}")
            return None
        pm.cornu_info[name] = PluginInfo(name, dist, version, plugin, declared, value)
        return name

    @staticmethod
    def _fail(pm, name, dist, version, value, reason):
        pm.cornu_failures.append(PluginFailure(name, dist, version, value, reason))
        warnings.warn(
            f"The cornu plugin {name!r} from {dist} {version} {reason}. cornu goes on "
            f"without it; uninstall or fix {dist}, or silence this with "
            f"{DISABLE_ENV}={name}.",
            PluginWarning,
            stacklevel=_outside_stacklevel(),
        )


    # -- run-time registration ----------------------------------------------------
    def register(self, plugin, name=None):
        """Register a plugin object now (tests, notebooks, vendored code); its name."""
        pm = self.plugin_manager
        name = name or getattr(plugin, "__name__", None) or repr(plugin)
        if pm.has_plugin(name):
            raise ValueError(f"A cornu plugin named {name!r} is already registered")
        try:
            declared = declared_hookspec_version(plugin)
        except ValueError as err:
            raise ValueError(f"Plugin {name!r}: {err}") from None
        if declared is not None and hookspecs.HOOKSPEC_VERSION not in declared:
            raise ValueError(
                f"Plugin {name!r} implements hookspec version {declared}, cornu-core "
                f"implements {hookspecs.HOOKSPEC_VERSION}")
        pm.register(plugin, name=name)
        pm.cornu_info[name] = PluginInfo(name, name, "runtime", plugin, declared)
        self.registry.invalidate()
        return name

    def unregister(self, name):
        pm = self.plugin_manager
        pm.unregister(name=name)
        pm.cornu_info.pop(name, None)
        self.registry.invalidate()

    # -- what was loaded --------------------------------------------------------
    def infos(self):
        """``{name: PluginInfo}`` of the loaded plugins, cornu-core first."""
        return dict(self.plugin_manager.cornu_info)

    def failures(self):
        """The plugins that were found but skipped (import error, incompatible)."""
        return list(self.plugin_manager.cornu_failures)

    def disabled(self):
        """The plugins left out by ``disable`` / ``CORNU_DISABLE_PLUGINS``."""
        return list(self.plugin_manager.cornu_disabled)

    def reset(self):
        """Forget the loaded plugins; they are rediscovered on next use."""
        with self._lock:
            if self._from_env:
                self._allowed = _env_names(PLUGINS_ENV)
            self._pm = None
        self.registry.invalidate()

    # -- as a context manager ---------------------------------------------------
    def __enter__(self):
        self._tokens.append(_current.set(self))
        return self

    def __exit__(self, *exc):
        _current.reset(self._tokens.pop())
        return False

    def __repr__(self):
        allowed = "all" if self._allowed is None else sorted(self._allowed)
        return f"<cornu.plugins.Context plugins={allowed}>"


_default_lock = threading.Lock()
_default = None
_current = contextvars.ContextVar("cornu_plugin_context", default=None)
_contexts = weakref.WeakSet()  # every Context, for notify_backend_selected


def default_context():
    """The process-wide context (configured by the environment)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Context.from_environment()
    return _default


def current_context():
    """The innermost active ``Context`` of this thread/task, else the default one."""
    return _current.get() or default_context()


def get_plugin_manager():
    """The current context's ``pluggy.PluginManager`` (plugins loaded on first use)."""
    return current_context().plugin_manager


def register_plugin(plugin, name=None):
    """Register a plugin object at run time in the current context."""
    return current_context().register(plugin, name=name)


def unregister_plugin(name):
    current_context().unregister(name)


def plugin_infos():
    return current_context().infos()


def load_failures():
    return current_context().failures()


def reset():
    """Forget the current context's plugins (rediscovered on next use).  For tests."""
    current_context().reset()


def notify_backend_selected(module):
    """Call ``cornu_backend_selected`` (historic) in every context whose plugins are loaded.

    A context that loads its plugins later makes the call itself, so binding the
    backend (the first tensor) does not import every plugin.
    """
    for context in list(_contexts):
        pm = context._pm
        if pm is not None:
            pm.hook.cornu_backend_selected.call_historic(kwargs={"backend": module})


# Binding the backend (cornu.backend.get_backend) tells every context, through this
# subscription: cornu.backend imports nothing from cornu.plugins.
_backend._on_bind[__name__] = notify_backend_selected


__all__ = [
    "ENTRY_POINT_GROUP", "BACKEND_ENTRY_POINT_GROUP", "PLUGINS_ENV", "DISABLE_ENV",
    "VERSION_ATTRIBUTE", "Context", "PluginInfo", "PluginFailure", "PluginWarning",
    "current_context", "default_context", "get_plugin_manager", "register_plugin",
    "unregister_plugin", "plugin_infos", "load_failures", "reset", "load_backend_module",
    "installed_backends", "backend_distribution", "declared_hookspec_version",
    "distribution_of",
]
