"""Names to components, by kind, filled by the plugins' registration hooks.

Each ``cornu.plugins.Context`` has one :class:`Registry`; the module-level
functions here act on the current context's.  A registry is built lazily on
first lookup (not at ``import cornu``) and is what string identifiers
(``compile(optimizer="adam")``), ``from_config`` and model loading resolve
against.  It is never consulted on the hot path.
"""
import difflib
import re
import threading
import warnings

from cornu.plugins import hookspecs


class Entry:
    __slots__ = ("name", "obj", "plugin")

    def __init__(self, name, obj, plugin):
        self.name = name
        self.obj = obj
        self.plugin = plugin


class Conflict:
    """Two plugins registered the same name of the same kind."""

    __slots__ = ("kind", "name", "first", "second")

    def __init__(self, kind, name, first, second):
        self.kind = kind
        self.name = name
        self.first = first  # plugin names
        self.second = second

    def __repr__(self):
        return f"Conflict({self.kind!r}, {self.name!r}, {self.first!r}, {self.second!r})"


class RegistrationError(ValueError):
    """A plugin registered something invalid or a name already taken."""


def _normalize(name):
    # "SparseCategoricalCrossentropy", "sparse_categorical_crossentropy" and
    # "sparsecategoricalcrossentropy" all normalize to the same key.
    return re.sub(r"[_\-\s]", "", name).lower()


class Registry:
    """The components of one plugin context, by kind (see ``hookspecs.KINDS``)."""

    def __init__(self, context):
        self._context = context
        self._lock = threading.RLock()
        self._tables = None  # kind -> {name: Entry}
        self._aliases = None  # kind -> {normalized name: registered name}

    # -- building -----------------------------------------------------------------
    def _build(self, strict=True):
        """Call every registration hook, in registration order (cornu-core first).

        Each hook's registrations are staged and committed only when the hook
        returns, so a plugin whose hook raises is skipped as a whole (with a
        warning naming it) and leaves nothing half-registered.
        """
        pm = self._context.plugin_manager
        tables = {kind: {} for kind in hookspecs.KINDS}
        aliases = {kind: {} for kind in hookspecs.KINDS}
        conflicts = []
        for kind, hook_name in hookspecs.REGISTER_HOOKS.items():
            hook = getattr(pm.hook, hook_name)
            for impl in hook.get_hookimpls():  # registration order (cornu-core first)
                staged = []
                try:
                    impl.function(register=self._stager(kind, impl.plugin_name, staged))
                except Exception as err:
                    from cornu.plugins.manager import PluginWarning, _outside_stacklevel

                    warnings.warn(
                        f"The cornu plugin {impl.plugin_name!r} from {self.describe(impl.plugin_name)} "
                        f"failed in "
                        f"{hook_name}: {type(err).__name__}: {err}. Its {kind} components "
                        "are not registered.",
                        PluginWarning,
                        stacklevel=_outside_stacklevel(),
                    )
                    continue
                self._commit(kind, impl.plugin_name, staged, tables[kind], aliases[kind],
                             conflicts, strict)
        return tables, aliases, conflicts

    def _stager(self, kind, plugin_name, staged):
        def register(obj, name=None, aliases=()):
            """Register ``obj`` under ``name`` (default ``obj.__name__``) and ``aliases``."""
            canonical = name or getattr(obj, "__name__", None)
            if not isinstance(canonical, str) or not canonical:
                raise RegistrationError(
                    f"Plugin {plugin_name!r} registered a {kind} without a name: {obj!r}"
                )
            if isinstance(aliases, str):
                aliases = (aliases,)
            staged.append((canonical, [canonical, *aliases], obj))
            return obj

        return register

    def _commit(self, kind, plugin_name, staged, table, normalized, conflicts, strict):
        for canonical, all_names, obj in staged:
            for n in all_names:
                existing = table.get(n)
                if existing is not None and existing.obj is not obj:
                    conflict = Conflict(kind, n, existing.plugin, plugin_name)
                    if strict:
                        raise RegistrationError(self.conflict_message(conflict))
                    conflicts.append(conflict)
                    continue  # the first registration stays
                table[n] = Entry(canonical, obj, plugin_name)
                normalized.setdefault(_normalize(n), n)

    def conflict_message(self, conflict):
        return (
            f"The {conflict.kind} name {conflict.name!r} is registered twice: by "
            f"{self.describe(conflict.first)} and by {self.describe(conflict.second)}. "
            "Uninstall one, or leave one out with CORNU_DISABLE_PLUGINS."
        )

    def describe(self, plugin_name):
        """``"distribution (version)"`` of a loaded plugin, for messages."""
        info = self._context.plugin_manager.cornu_info.get(plugin_name)
        if info is None:
            return plugin_name
        return f"{info.distribution} ({info.version})"

    def _ensure(self):
        if self._tables is None:
            with self._lock:
                if self._tables is None:
                    tables, aliases, _ = self._build()
                    self._aliases = aliases
                    self._tables = tables
        return self._tables, self._aliases

    def collect(self):
        """``(tables, conflicts)`` without raising on conflicts (for ``cornu plugins``)."""
        tables, _, conflicts = self._build(strict=False)
        return tables, conflicts

    def invalidate(self):
        """Drop the tables; they are rebuilt on next lookup."""
        with self._lock:
            self._tables = None
            self._aliases = None

    # -- lookups --------------------------------------------------------------------
    def lookup(self, kind, name, default=None):
        """The component registered as ``name`` (exact, then case/underscore-insensitive)."""
        tables, aliases = self._ensure()
        table = tables[kind]
        entry = table.get(name)
        if entry is None:
            key = aliases[kind].get(_normalize(name))
            if key is not None:
                entry = table[key]
        return default if entry is None else entry.obj

    def get(self, kind, name):
        """Like ``lookup`` but an unknown name raises a ValueError listing close matches."""
        obj = self.lookup(kind, name)
        if obj is None:
            raise ValueError(self.unknown_name_message(kind, name))
        return obj

    def unknown_name_message(self, kind, name):
        tables, _ = self._ensure()
        known = sorted(tables[kind])
        close = difflib.get_close_matches(str(name), known, n=5, cutoff=0.6)
        if not close:
            lowered = {k.lower(): k for k in known}
            close = [lowered[m] for m in difflib.get_close_matches(str(name).lower(), lowered, n=5)]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        plugins = ", ".join(
            f"{i.distribution} {i.version}" for i in self._context.infos().values()
        )
        return (
            f"Unknown {kind}: {name!r}.{hint} Installed cornu plugins: {plugins}. "
            "A component from another package must be installed as a cornu plugin "
            "or passed through custom_objects."
        )

    def names(self, kind):
        tables, _ = self._ensure()
        return sorted(tables[kind])

    def entries(self, kind):
        tables, _ = self._ensure()
        return dict(tables[kind])

    def owner(self, kind, name):
        """The plugin name that registered ``name``, or None."""
        tables, _ = self._ensure()
        entry = tables[kind].get(name)
        return None if entry is None else entry.plugin

    def name_of(self, kind, obj):
        """The canonical registered name of ``obj`` (a class or function), or None."""
        tables, _ = self._ensure()
        for entry in tables[kind].values():
            if entry.obj is obj:
                return entry.name
        return None


# -- the current context's registry ------------------------------------------------
def current():
    """The registry of the current ``cornu.plugins.Context``."""
    from cornu.plugins.manager import current_context

    return current_context().registry


def invalidate():
    current().invalidate()


def lookup(kind, name, default=None):
    """The component registered as ``name`` (exact, then case/underscore-insensitive)."""
    return current().lookup(kind, name, default)


def get(kind, name):
    """Like ``lookup`` but an unknown name raises a ValueError listing close matches."""
    return current().get(kind, name)


def unknown_name_message(kind, name):
    return current().unknown_name_message(kind, name)


def names(kind):
    return current().names(kind)


def entries(kind):
    return current().entries(kind)


def owner(kind, name):
    """The plugin name that registered ``name``, or None."""
    return current().owner(kind, name)


def name_of(kind, obj):
    """The canonical registered name of ``obj`` (a class or function), or None."""
    return current().name_of(kind, obj)


def collect():
    """The current context's tables and conflicts, without raising on conflicts."""
    return current().collect()
