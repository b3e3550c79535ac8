"""The ``cornu`` command.

``cornu plugins`` lists, for the default plugin context (so ``CORNU_PLUGINS`` and
``CORNU_DISABLE_PLUGINS`` apply): cornu-core and its hookspec version, the
installed backends, every loaded plugin with its distribution, version,
declared hookspec version and the components it registered, the plugins that
were disabled or failed to load, and name conflicts.  ``--json`` prints the same
as one JSON object (for scripts and CI).
"""
import argparse
import json
import sys
import warnings


def _collect():
    """Everything ``cornu plugins`` shows, as plain data."""
    from cornu import backend as backend_module
    from cornu.plugins import hookspecs, manager

    context = manager.current_context()
    with warnings.catch_warnings():
        # Load failures are reported in the listing itself.
        warnings.simplefilter("ignore", manager.PluginWarning)
        infos = context.infos()
        tables, conflicts = context.registry.collect()

    try:
        selected = backend_module.backend_name()
    except Exception:  # a broken config must not hide the listing
        selected = None
    backends = []
    for ep in manager.entry_points(manager.BACKEND_ENTRY_POINT_GROUP):
        dist, version = manager.distribution_of(ep)
        backends.append({"name": ep.name, "distribution": dist, "version": version,
                         "module": ep.value, "selected": ep.name == selected})

    registered = {}
    for kind in hookspecs.KINDS:
        for name, entry in tables[kind].items():
            registered.setdefault(entry.plugin, {}).setdefault(kind, []).append(name)
    plugins = []
    for name, info in infos.items():
        plugins.append({
            "name": name,
            "distribution": info.distribution,
            "version": info.version,
            "hookspec_version": (list(info.hookspec_version)
                                 if info.hookspec_version else None),
            "entry_point": info.entry_point,
            "registered": {k: sorted(v) for k, v in sorted(registered.get(name, {}).items())},
        })
    describe = context.registry.describe
    return {
        "core": {"version": infos[manager.CORE_PLUGIN].version,
                 "hookspec_version": hookspecs.HOOKSPEC_VERSION},
        "backends": backends,
        "plugins": plugins,
        "disabled": [{"name": d.name, "distribution": d.distribution, "version": d.version}
                     for d in context.disabled()],
        "failures": [{"name": f.name, "distribution": f.distribution, "version": f.version,
                      "entry_point": f.entry_point, "reason": f.reason}
                     for f in context.failures()],
        "conflicts": [{"kind": c.kind, "name": c.name, "first": describe(c.first),
                       "second": describe(c.second)} for c in conflicts],
    }


def _print(data):
    core = data["core"]
    print(f"cornu-core {core['version']} (hookspec version {core['hookspec_version']})")
    print("\nBackends (entry-point group 'cornu.backends'):")
    if not data["backends"]:
        print("  none installed: pip install cornu-backend-torch (or cornu-backend-tf)")
    for b in data["backends"]:
        mark = " (selected)" if b["selected"] else ""
        print(f"  {b['name']:<12} {b['distribution']} {b['version']}{mark}")
    print("\nPlugins (entry-point group 'cornu'):")
    for p in data["plugins"]:
        hs = p["hookspec_version"]
        hs = "hookspec " + ",".join(map(str, hs)) if hs else "hookspec undeclared"
        where = f", entry point {p['name']} = {p['entry_point']}" if p["entry_point"] else ""
        print(f"  {p['distribution']} {p['version']} ({hs}{where})")
        for kind, names in p["registered"].items():
            print(f"    {kind} ({len(names)}): {', '.join(names)}")
    if data["disabled"]:
        print("\nDisabled (CORNU_DISABLE_PLUGINS):")
        for d in data["disabled"]:
            print(f"  {d['distribution']} {d['version']} (entry point {d['name']})")
    if data["failures"]:
        print("\nLoad failures (skipped):")
        for f in data["failures"]:
            print(f"  {f['distribution']} {f['version']} (entry point {f['name']}): "
                  f"{f['reason']}")
    if data["conflicts"]:
        print("\nConflicts (lookups fail until one is removed):")
        for c in data["conflicts"]:
            print(f"  {c['kind']} {c['name']!r}: {c['first']} and {c['second']}")


def _plugins(args):
    data = _collect()
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        _print(data)
    return 1 if data["conflicts"] else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="cornu", description="cornu command-line tools")
    sub = parser.add_subparsers(dest="command")
    plugins = sub.add_parser(
        "plugins",
        help="list cornu-core, backends, plugins (what each registered), failures, conflicts",
    )
    plugins.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.command == "plugins":
        return _plugins(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
