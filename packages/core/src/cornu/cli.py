"""The ``cornu`` command: ``cornu plugins`` lists distributions, backends and components."""
import argparse
import sys


def _plugins(args):
    from cornu import backend as backend_module
    from cornu.plugins import manager, registry
    from cornu.plugins.hookspecs import KINDS

    infos = manager.plugin_infos()
    print(f"cornu-core {infos['cornu-core'].version} (hookspec version "
          f"{__import__('cornu.plugins.hookspecs', fromlist=['x']).HOOKSPEC_VERSION})")
    print("\nBackends (entry-point group 'cornu.backends'):")
    selected = backend_module.backend_name()
    for ep in manager.entry_points(manager.BACKEND_ENTRY_POINT_GROUP):
        dist, version = manager._distribution_of(ep)
        mark = " (selected)" if ep.name == selected else ""
        print(f"  {ep.name:<12} {dist} {version}{mark}")
    print("\nPlugins (entry-point group 'cornu'):")
    by_plugin = {}
    for kind in KINDS:
        for name, entry in registry.entries(kind).items():
            by_plugin.setdefault(entry.plugin, {}).setdefault(kind, []).append(name)
    for name, info in infos.items():
        print(f"  {info.distribution} {info.version}")
        for kind, names in sorted(by_plugin.get(name, {}).items()):
            shown = ", ".join(sorted(names))
            print(f"    {kind} ({len(names)}): {shown}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="cornu", description="cornu command-line tools")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("plugins", help="list installed cornu distributions, backends and components")
    args = parser.parse_args(argv)
    if args.command == "plugins":
        return _plugins(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
