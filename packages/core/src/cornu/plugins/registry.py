"""Names to components, by kind, filled by the plugins' registration hooks.

The registry is built lazily on first lookup (not at ``import cornu``) and is
what string identifiers (``compile(optimizer="adam")``), ``from_config`` and
model loading resolve against.  It is never consulted on the hot path.
"""
import difflib
import re
import threading

from cornu.plugins import hookspecs

_lock = threading.RLock()
_tables = None  # kind -> {name: Entry}
_aliases = None  # kind -> {normalized name: canonical name}


class Entry:
    __slots__ = ("name", "obj", "plugin")

    def __init__(self, name, obj, plugin):
        self.name = name
        self.obj = obj
        self.plugin = plugin


class RegistrationError(ValueError):
    """A plugin registered something invalid or a name already taken."""


def _normalize(name):
    # "SparseCategoricalCrossentropy", "sparse_categorical_crossentropy" and
    # "sparsecategoricalcrossentropy" all normalize to the same key.
    return re.sub(r"[_\-\s]", "", name).lower()


def _build():
    from cornu.plugins.manager import get_plugin_manager

    pm = get_plugin_manager()
    tables = {kind: {} for kind in hookspecs.KINDS}
    aliases = {kind: {} for kind in hookspecs.KINDS}
    for kind, hook_name in hookspecs.REGISTER_HOOKS.items():
        hook = getattr(pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):  # registration order
            impl.function(register=_make_register(kind, impl.plugin_name, tables, aliases))
    return tables, aliases


def _make_register(kind, plugin_name, tables, alias_tables):
    table = tables[kind]
    normalized = alias_tables[kind]

    def register(obj, name=None, aliases=()):
        names = [name or getattr(obj, "__name__", None)]
        if names[0] is None:
            raise RegistrationError(
                f"Plugin {plugin_name!r} registered a {kind} without a name: {obj!r}"
            )
        names += list(aliases)
        canonical = names[0]
        for n in names:
            existing = table.get(n)
            if existing is not None and existing.obj is not obj:
                raise RegistrationError(
                    f"The {kind} name {n!r} is registered twice: by "
                    f"{_dist(existing.plugin)} and by {_dist(plugin_name)}. "
                    "Uninstall one, or limit the loaded plugins with CORNU_PLUGINS."
                )
            table[n] = Entry(canonical, obj, plugin_name)
        for n in names:
            normalized.setdefault(_normalize(n), n)
        return obj

    return register


def _dist(plugin_name):
    from cornu.plugins.manager import plugin_infos

    info = plugin_infos().get(plugin_name)
    if info is None:
        return plugin_name
    return f"{info.distribution} ({info.version})"


def _ensure():
    global _tables, _aliases
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables, _aliases = _build()
    return _tables, _aliases


def invalidate():
    """Drop the tables; they are rebuilt on next lookup."""
    global _tables, _aliases
    with _lock:
        _tables = None
        _aliases = None


def lookup(kind, name, default=None):
    """The component registered as ``name`` (exact, then case/underscore-insensitive)."""
    tables, aliases = _ensure()
    table = tables[kind]
    entry = table.get(name)
    if entry is None:
        key = aliases[kind].get(_normalize(name))
        if key is not None:
            entry = table[key]
    return default if entry is None else entry.obj


def get(kind, name):
    """Like ``lookup`` but an unknown name raises a ValueError listing close matches."""
    obj = lookup(kind, name)
    if obj is None:
        raise ValueError(unknown_name_message(kind, name))
    return obj


def unknown_name_message(kind, name):
    tables, _ = _ensure()
    from cornu.plugins.manager import plugin_infos

    known = sorted(tables[kind])
    close = difflib.get_close_matches(str(name), known, n=5, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[m] for m in difflib.get_close_matches(str(name).lower(), lowered, n=5)]
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    plugins = ", ".join(
        f"{i.distribution} {i.version}" for i in plugin_infos().values()
    )
    return (
        f"Unknown {kind}: {name!r}.{hint} Installed cornu plugins: {plugins}. "
        "A component from another package must be installed as a cornu plugin "
        "or passed through custom_objects."
    )


def names(kind):
    tables, _ = _ensure()
    return sorted(tables[kind])


def entries(kind):
    tables, _ = _ensure()
    return dict(tables[kind])


def owner(kind, name):
    """The plugin name that registered ``name``, or None."""
    tables, _ = _ensure()
    entry = tables[kind].get(name)
    return None if entry is None else entry.plugin


def name_of(kind, obj):
    """The canonical registered name of ``obj`` (a class or function), or None."""
    tables, _ = _ensure()
    for entry in tables[kind].values():
        if entry.obj is obj:
            return entry.name
    return None
