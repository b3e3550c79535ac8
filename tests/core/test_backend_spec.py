"""The backend specification (cornu.backend_spec): the installed backends meet it, a
broken backend is reported with exactly its problems, docs/backend-spec.md is its
rendering, and what cornu's own code reaches through cornu.ops / cornu.random is in it."""
import ast
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from cornu import backend_spec
from cornu.backend import load_backend_module, supports

ROOT = Path(__file__).resolve().parents[2]

# Public functions of a backend's op namespaces that the spec does not list (they are
# reachable as cornu.ops.X / cornu.random.X on that backend only).  Keep this empty: a
# helper belongs under a leading underscore, an op in the spec.
KNOWN_EXTRAS = {
    "torch": (),
    "tensorflow": ("random.draw_seed", "random.global_seed_generator"),
}


@pytest.fixture(scope="module")
def backend_module(backend_name):
    return load_backend_module(backend_name)


# -- the installed backend -----------------------------------------------------------------
def test_the_installed_backend_meets_the_spec(backend_module):
    report = backend_spec.check_backend(backend_module)
    assert report.deep
    assert report.ok, "\n".join(report.lines())
    assert report.capabilities == tuple(sorted(backend_module.CAPABILITIES))
    assert report.unknown_capabilities == ()
    assert set(report.capabilities) <= set(backend_spec.CAPABILITIES)


def test_the_installed_backend_defines_no_op_outside_the_spec(backend_module, backend_name):
    report = backend_spec.check_backend(backend_module)
    assert report.extras == KNOWN_EXTRAS[backend_name], (
        "public functions of the backend's op namespaces that backend_spec does not list: "
        "add them to the spec (an op) or give them a leading underscore (a helper)")


def test_the_quick_check_imports_no_framework(backend_name):
    # What `cornu plugins` runs for its listing: the backend module, not its namespaces.
    code = textwrap.dedent(f"""
        import importlib, json, sys
        from cornu import backend_spec
        module = importlib.import_module("cornu.backends.{backend_name}")
        report = backend_spec.check_backend(module, deep=False)
        print(json.dumps({{"report": report.as_dict(), "frameworks": sorted(
            m for m in ("torch", "tensorflow") if m in sys.modules)}}))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, CORNU_BACKEND=backend_name))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["frameworks"] == []
    report = data["report"]
    assert report["ok"] and not report["deep"], report
    module = load_backend_module(backend_name)
    assert report["capabilities"] == sorted(module.CAPABILITIES)
    assert "bases" in report["optional"] and "export" in report["optional"]


def test_supports_answers_from_the_backends_capabilities(backend_module):
    for name in backend_spec.CAPABILITIES:
        assert supports(name) is (name in backend_module.CAPABILITIES), name


def test_supports_rejects_an_unknown_capability():
    with pytest.raises(ValueError) as info:
        supports("telepathy")
    message = str(info.value)
    assert "unknown capability 'telepathy'" in message
    for name in backend_spec.CAPABILITIES:  # it lists the valid names
        assert repr(name) in message


# -- a broken backend ------------------------------------------------------------------------
def _copy_namespace(name, namespace):
    copy = types.ModuleType(f"cornu_broken_backend.{name}")
    copy.__dict__.update({k: v for k, v in vars(namespace).items() if k != "__name__"})
    copy.__name__ = namespace.__name__  # its functions count as its own, as in the original
    return copy


def _broken_backend(tmp_path, monkeypatch, request, real):
    """A package on sys.path that is ``real`` with four faults: ``numpy.add`` missing,
    ``core.cast`` with a wrong signature, an unknown capability, and an ``image``
    namespace that fails to import."""
    package = tmp_path / "cornu_broken_backend"
    package.mkdir()
    (package / "__init__.py").write_text(
        f"NAME = 'broken'\n"
        f"CAPABILITIES = frozenset({sorted(real.CAPABILITIES)!r}) | {{'telepathy'}}\n")
    (package / "image.py").write_text("raise RuntimeError('no image ops here')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("cornu_broken_backend")
    request.addfinalizer(lambda: sys.modules.pop("cornu_broken_backend", None))
    for part in backend_spec.namespace_parts(""):
        if part.name not in ("NAME", "CAPABILITIES") and hasattr(real, part.name):
            setattr(module, part.name, getattr(real, part.name))
    for part in backend_spec.PARTS:
        if part.kind != "namespace" or part.name == "image":
            continue
        namespace = getattr(real, part.name, None)
        if namespace is not None:
            setattr(module, part.name, _copy_namespace(part.name, namespace))
    del module.numpy.add

    def cast(x, type_):  # the spec's is cast(x, dtype)
        return real.core.cast(x, type_)

    module.core.cast = cast
    return module


def test_a_broken_backend_is_reported_with_exactly_its_problems(
        tmp_path, monkeypatch, request, backend_module):
    module = _broken_backend(tmp_path, monkeypatch, request, backend_module)
    report = backend_spec.check_backend(module)
    assert not report.ok
    assert report.name == "broken"
    assert report.missing == ("numpy.add",)
    assert report.mismatched == {
        "core.cast": "parameter 2 is 'type_', the spec's is 'dtype'"}
    assert report.unknown_capabilities == ("telepathy",)
    assert report.capabilities == tuple(sorted(backend_module.CAPABILITIES))
    assert report.errors == {"image": "RuntimeError: no image ops here"}
    lines = report.lines()
    assert "unknown capabilities (error): telepathy" in lines
    assert "missing required parts (1): numpy.add" in lines
    assert "signature mismatch: core.cast: parameter 2 is 'type_', the spec's is 'dtype'" \
        in lines
    assert "namespace image failed to import: RuntimeError: no image ops here" in lines


def test_the_quick_check_of_a_broken_backend(tmp_path, monkeypatch, request, backend_module):
    module = _broken_backend(tmp_path, monkeypatch, request, backend_module)
    report = backend_spec.check_backend(module, deep=False)
    # The namespaces are not imported, so only the top level is checked; image.py is
    # found on disk (it exists) but not run.
    assert report.missing == () and report.mismatched == {} and report.errors == {}
    assert report.unknown_capabilities == ("telepathy",)
    assert not report.ok


def test_an_empty_module_lacks_every_required_part():
    report = backend_spec.check_backend(types.ModuleType("nothing_here"))
    required = [p.name for p in backend_spec.PARTS
                if p.required and (p.kind == "namespace" or "." not in p.name)]
    assert sorted(report.missing) == sorted(required)
    assert "NAME" in report.missing and "core" in report.missing
    assert report.mismatched == {} and report.errors == {} and not report.ok
    assert report.name == "nothing_here"


def test_a_name_that_is_not_a_string_is_a_mismatch():
    module = types.ModuleType("named_wrong")
    module.NAME = 3
    report = backend_spec.check_backend(module, deep=False)
    assert report.mismatched == {"NAME": "is not a str"}


def test_a_capability_makes_its_parts_required():
    module = types.ModuleType("distributed")
    module.NAME = "distributed"
    module.CAPABILITIES = frozenset({"distribution"})
    assert "distribute" in backend_spec.check_backend(module, deep=False).missing
    module.CAPABILITIES = frozenset()
    assert "distribute" not in backend_spec.check_backend(module, deep=False).missing


# -- the numpy example backend ---------------------------------------------------------------
_NUMPY_REPORT = """
import importlib, json
from cornu import backend_spec
module = importlib.import_module("cornu.backends.numpy")
print(json.dumps(backend_spec.check_backend(module, deep=True).as_dict()))
"""


@pytest.fixture(scope="module")
def numpy_report():
    if importlib.util.find_spec("cornu.backends.numpy") is None:
        pytest.skip("the numpy example backend is not installed: "
                    "pip install -e examples/backend-numpy")
    result = subprocess.run([sys.executable, "-c", _NUMPY_REPORT], capture_output=True,
                            text=True, timeout=120, env=dict(os.environ, CORNU_BACKEND="numpy"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_numpy_example_backend_checks_cleanly(numpy_report):
    assert numpy_report["deep"]
    assert numpy_report["errors"] == {} and numpy_report["unknown_capabilities"] == []
    assert numpy_report["extras"] == []


@pytest.mark.xfail(strict=True, reason=(
    "the numpy example is an inference-only subset: it has no `rnn` namespace, lacks "
    "about 175 required ops (core.cond, numpy.hstack, image.*, ...) and its numpy.unique "
    "has no return_index; `cornu plugins --check` lists them all"))
def test_the_numpy_example_backend_meets_the_spec(numpy_report):
    assert numpy_report["ok"], numpy_report


# -- the documentation page ------------------------------------------------------------------
def test_the_docs_page_is_the_rendered_spec():
    page = ROOT / "docs" / "backend-spec.md"
    assert page.read_text(encoding="utf-8") == backend_spec.render_markdown(), (
        "docs/backend-spec.md is out of date with cornu.backend_spec: regenerate it with "
        "`python -m cornu.backend_spec --markdown > docs/backend-spec.md`")


def test_the_docs_page_is_in_the_site_and_linked():
    mkdocs = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "backend-spec.md" in mkdocs
    assert "(backend-spec.md)" in (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def test_python_m_backend_spec_prints_the_page():
    result = subprocess.run([sys.executable, "-m", "cornu.backend_spec", "--markdown"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == backend_spec.render_markdown()


# -- what cornu's own code reaches ------------------------------------------------------------
def _reached_names():
    """``{(namespace, name): file}`` for every ``ops.X``, ``ops.<namespace>.X`` and
    ``random.X`` in cornu's code outside the backends and cornu.ops, where ``ops`` /
    ``random`` are ``from cornu import ops, random``."""
    reached = {}
    namespaces = set(backend_spec.OPS_NAMESPACES)
    for src in sorted((ROOT / "packages").glob("*/src/cornu")):
        for path in sorted(src.rglob("*.py")):
            rel = path.relative_to(src).parts
            if rel[0] in ("backends", "ops") or path.name == "backend_spec.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            aliases = {}  # local name -> "ops" / "random"
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "cornu":
                    for alias in node.names:
                        if alias.name in ("ops", "random"):
                            aliases[alias.asname or alias.name] = alias.name
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)):
                    continue
                value = node.value
                if isinstance(value, ast.Name) and value.id in aliases:
                    kind = aliases[value.id]
                    if kind == "ops" and node.attr in namespaces | {"toolkit"}:
                        continue
                    key = ("random" if kind == "random" else "ops", node.attr)
                elif (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name)
                      and aliases.get(value.value.id) == "ops" and value.attr in namespaces):
                    key = (value.attr, node.attr)
                else:
                    continue
                if not node.attr.startswith("_"):
                    reached.setdefault(key, str(path.relative_to(ROOT)))
    return reached


def test_every_op_cornu_reaches_is_in_the_spec():
    any_ops = set().union(*(backend_spec.op_names(ns) for ns in backend_spec.OPS_NAMESPACES))
    random_ops = backend_spec.op_names("random")
    reached = _reached_names()
    assert len(reached) > 100  # the scan finds cornu's uses
    unknown = {}
    for (namespace, name), where in sorted(reached.items()):
        known = (any_ops if namespace == "ops" else random_ops if namespace == "random"
                 else backend_spec.op_names(namespace))
        if name not in known:
            unknown[f"{namespace}.{name}"] = where
    assert unknown == {}, "ops cornu's code uses that cornu.backend_spec does not list"


# -- cornu plugins -------------------------------------------------------------------------
def _cornu_plugins(*args, backend_name):
    return subprocess.run([sys.executable, "-m", "cornu", "plugins", *args],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, CORNU_BACKEND=backend_name))


def _backend_block(out, name):
    """The lines `cornu plugins` prints for backend ``name``: its line and the indented
    ones under it."""
    lines = out.split("\nFamilies:")[0].splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [name])
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("    "):
            break
        block.append(line.strip())
    return block


def test_cornu_plugins_shows_each_backends_capabilities_and_optional_parts(
        backend_name, backend_module):
    result = _cornu_plugins(backend_name=backend_name)
    assert result.returncode == 0, result.stderr
    block = _backend_block(result.stdout, backend_name)
    assert block[0].endswith("(selected by CORNU_BACKEND)")
    report = backend_spec.check_backend(backend_module, deep=False)
    assert block[1:] == report.lines()
    assert block[1] == f"capabilities: {', '.join(sorted(backend_module.CAPABILITIES))}"
    assert "optional parts:" in block[2] and "bases" in block[2]


def test_cornu_plugins_json_has_each_backends_quick_report(backend_name, backend_module):
    result = _cornu_plugins("--json", backend_name=backend_name)
    assert result.returncode == 0, result.stderr
    backends = {b["name"]: b for b in json.loads(result.stdout)["backends"]}
    spec = backends[backend_name]["spec"]
    assert spec == backend_spec.check_backend(backend_module, deep=False).as_dict()
    assert spec["ok"] and not spec["deep"]


def test_cornu_plugins_check_runs_the_deep_check(backend_name, backend_module):
    result = _cornu_plugins("--check", "--json", backend_name=backend_name)
    data = json.loads(result.stdout)
    specs = {b["name"]: b["spec"] for b in data["backends"]}
    assert specs[backend_name] == backend_spec.check_backend(backend_module).as_dict()
    assert specs[backend_name]["ok"] and specs[backend_name]["deep"]
    # Exit status 1 exactly when some installed backend (the numpy example) fails.
    assert result.returncode == (0 if all(s.get("ok") for s in specs.values()) else 1), \
        result.stderr
    text = _cornu_plugins("--check", backend_name=backend_name)
    block = _backend_block(text.stdout, backend_name)
    assert "missing required parts (0): none" in block
    assert block[-1] == "meets the backend spec"
    if "numpy" in specs:
        numpy_block = _backend_block(text.stdout, "numpy")
        assert numpy_block[-1] == "does NOT meet the backend spec (docs/backend-spec.md)"
        assert text.returncode == 1
