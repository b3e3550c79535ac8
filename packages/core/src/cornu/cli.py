"""The ``cornu`` command.

``cornu plugins`` lists, for the default plugin context (so ``CORNU_PLUGINS`` and
``CORNU_DISABLE_PLUGINS`` apply): cornu-core and its hookspec version, the
installed backends (the selected one marked, with what selected it; a selected
backend that is not installed is said so, with its ``pip install``), each with the
capabilities it declares and the optional parts of ``cornu.backend_spec`` it has
(a quick check: its module is imported, not its namespaces, so no framework is), the families
(``cornu.layers``, ...) with the ones not installed and their ``pip install``,
every loaded plugin with its distribution, version,
declared hookspec version and the components it registered, the plugins that
were disabled or failed to load, and name conflicts.  ``--json`` prints the same
as one JSON object (for scripts and CI).  It exits 1 when there is a conflict.

``cornu plugins --check`` also checks every installed backend against the backend
specification (``cornu.backend_spec.check_backend(module, deep=True)``: each
namespace imported, each part and signature compared, in a fresh process per
backend with ``CORNU_BACKEND`` set to it), prints what it found, and exits 1 when a
backend does not meet the spec.

``cornu run script.py args...`` and ``cornu run -m module args...`` run a program with
``import keras`` giving cornu: ``cornu.alias_keras()`` first, then the script or module
as ``__main__`` (``runpy``), with ``sys.argv`` and ``sys.path[0]`` as ``python script.py``
/ ``python -m module`` set them.  ``CORNU_ALIAS_KERAS=1`` is set in the environment too,
so the processes the program starts (pytest's workers, subprocesses) are aliased by
cornu-core's ``.pth`` as well.
"""
import argparse
import importlib.util
import json
import os
import runpy
import subprocess
import sys
import warnings
import zipfile
from importlib import metadata

_CHECK_TIMEOUT = 600  # seconds for one backend's deep check (it imports the framework)


def _spec_report(ep, deep):
    """``check_backend``'s report on the backend of entry point ``ep``, as a dict, or
    ``{"error": ...}`` when its module does not import."""
    from cornu import backend_spec

    try:
        module = ep.load()
    except Exception as err:  # a broken backend is reported, not raised
        return {"error": f"{type(err).__name__}: {err}"}
    return backend_spec.check_backend(module, deep=deep).as_dict()


def _deep_check(name):
    """The deep report on backend ``name``, computed in a fresh process (a framework's
    import state never leaks between backends, and a crash is a report)."""
    code = ("import json, sys; from cornu import cli; "
            "print(json.dumps(cli._deep_check_here(sys.argv[1])))")
    env = dict(os.environ, CORNU_BACKEND=name)
    try:
        result = subprocess.run([sys.executable, "-c", code, name], capture_output=True,
                                text=True, env=env, timeout=_CHECK_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"error": f"the check did not finish in {_CHECK_TIMEOUT} s"}
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"the check failed (exit status {result.returncode}): {tail}"}


def _deep_check_here(name):
    from cornu.plugins import manager

    for ep in manager.entry_points(manager.BACKEND_ENTRY_POINT_GROUP):
        if ep.name == name:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a framework's import chatter is no report
                return _spec_report(ep, deep=True)
    return {"error": f"no backend {name!r} is installed"}


def _collect(check=False):
    """Everything ``cornu plugins`` shows, as plain data (``check``: with the deep
    backend checks)."""
    import cornu
    from cornu import backend as backend_module
    from cornu import config
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
                         "module": ep.value, "selected": ep.name == selected,
                         "spec": _deep_check(ep.name) if check else _spec_report(ep, False)})
    if os.environ.get("CORNU_BACKEND"):
        source = "CORNU_BACKEND"
    elif selected is not None and config.requested_backend():
        source = "config"  # the config file (or set_backend)
    else:
        source = "default"  # the installed one, torch first
    selection = {"name": selected, "source": source,
                 "installed": any(b["selected"] for b in backends),
                 "distribution": (manager.backend_distribution(selected)
                                  if selected is not None else None)}
    families = []
    for family, dist in sorted(cornu._FAMILIES.items()):
        module = f"cornu.{family}"
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:  # cornu's finder for a missing family says what to install
            found = False
        try:
            version = metadata.version(dist) if found else None
        except metadata.PackageNotFoundError:
            version = None
        families.append({"module": module, "distribution": dist, "installed": found,
                         "version": version})

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
        "selected_backend": selection,
        "families": families,
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
    from cornu.backend_spec import Report

    core = data["core"]
    print(f"cornu-core {core['version']} (hookspec version {core['hookspec_version']})")
    print("\nBackends (entry-point group 'cornu.backends'):")
    if not data["backends"]:
        print("  none installed: pip install cornu-backend-torch (or cornu-backend-tf)")
    selection = data["selected_backend"]
    by = {"CORNU_BACKEND": " by CORNU_BACKEND", "config": " by the cornu config"}.get(
        selection["source"], "")
    for b in data["backends"]:
        mark = f" (selected{by})" if b["selected"] else ""
        print(f"  {b['name']:<12} {b['distribution']} {b['version']}{mark}")
        spec = b["spec"]
        if "error" in spec:
            print(f"    failed to import: {spec['error']}")
            continue
        fields = {k: v for k, v in spec.items() if k != "ok"}
        for line in Report(**fields).lines():
            print(f"    {line}")
        if spec["deep"]:
            print("    meets the backend spec" if spec["ok"] else
                  "    does NOT meet the backend spec (docs/backend-spec.md)")
    if selection["name"] is not None and not selection["installed"]:
        where = {"CORNU_BACKEND": "CORNU_BACKEND", "config": "the cornu config"}.get(
            selection["source"], "the default")
        print(f"  {selection['name']!r}, selected by {where}, is not installed: "
              f"pip install {selection['distribution']}")
    print("\nFamilies:")
    for f in data["families"]:
        if f["installed"]:
            version = f" {f['version']}" if f["version"] else ""
            print(f"  {f['module']:<18} {f['distribution']}{version}")
        else:
            print(f"  {f['module']:<18} not installed: pip install {f['distribution']}")
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
    data = _collect(check=args.check)
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        _print(data)
    if data["conflicts"]:
        return 1
    if args.check and not all(b["spec"].get("ok") for b in data["backends"]):
        return 1
    return 0


_RUN_USAGE = """usage: cornu run script.py [args ...]
       cornu run -m module [args ...]

Run a Python program with `import keras` giving cornu (cornu.alias_keras() first): the
script or module runs as __main__, with sys.argv as python would set it.  The
environment gets CORNU_ALIAS_KERAS=1, so the processes it starts are aliased too."""


def _set_path0(entry):
    """Put ``entry`` where python puts the program's folder: in place of the ``cornu``
    command's own ``sys.path[0]`` (nothing there under ``-P`` / ``PYTHONSAFEPATH``)."""
    if getattr(sys.flags, "safe_path", False):
        return
    sys.path[0:1] = [entry]


def _run(argv):
    """``cornu run``: the alias, then the program as ``python`` would run it."""
    if not argv or argv[0] in ("-h", "--help"):
        print(_RUN_USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    module = None
    if argv[0] == "-m":
        if len(argv) < 2:
            print("cornu run: -m needs a module name\n" + _RUN_USAGE, file=sys.stderr)
            return 2
        module, rest = argv[1], argv[2:]
    elif argv[0].startswith("-m"):  # python's -mmodule
        module, rest = argv[0][2:], argv[1:]
    elif argv[0].startswith("-"):
        print(f"cornu run: unknown option {argv[0]!r}\n" + _RUN_USAGE, file=sys.stderr)
        return 2
    else:
        script, rest = argv[0], argv[1:]

    from cornu._alias import ENV_SWITCH, alias_keras

    alias_keras()
    os.environ[ENV_SWITCH] = "1"  # child processes: cornu-core's .pth aliases them
    if module is not None:
        # python -m: sys.path[0] is the working directory; runpy sets sys.argv[0] to
        # the module's file once it is found.
        _set_path0(os.getcwd())
        sys.argv = [module, *rest]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        if not os.path.exists(script):
            print(f"cornu run: can't open file {script!r}: no such file", file=sys.stderr)
            return 2
        # python script.py: sys.path[0] is the script's folder (the path itself for a
        # folder or a zip file with a __main__.py); sys.argv[0] is the path as given.
        if os.path.isdir(script) or zipfile.is_zipfile(script):
            _set_path0(os.path.abspath(script))
        else:
            _set_path0(os.path.dirname(os.path.realpath(script)))
        sys.argv = [script, *rest]
        runpy.run_path(script, run_name="__main__")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "run":
        # Not argparse: everything after the script or module is the program's own.
        return _run(argv[1:])
    parser = argparse.ArgumentParser(prog="cornu", description="cornu command-line tools")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", add_help=False,
                   help="run a script (cornu run script.py ...) or a module (cornu run -m "
                        "module ...) with `import keras` giving cornu")
    plugins = sub.add_parser(
        "plugins",
        help="list cornu-core, backends, plugins (what each registered), failures, conflicts",
    )
    plugins.add_argument("--json", action="store_true", help="print one JSON object")
    plugins.add_argument(
        "--check", action="store_true",
        help="check every installed backend against the backend spec (imports each "
             "framework, one process per backend); exit 1 if one does not meet it")
    args = parser.parse_args(argv)
    if args.command == "plugins":
        return _plugins(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
