"""docs/api/cornu-ops.md stays true: its tables list what cornu.ops binds, on this backend.

The page's tables are not in the repository: the site build writes them from
``cornu.backend_spec`` (``<!-- ops-reference -->``, expanded by scripts/mkdocs_hooks.py).
These tests render them the same way and check them against the backend the test runs
on (CORNU_BACKEND): every required op of the page resolves in its namespace and at the
top level as the page says, and its signature is one the backend accepts.
"""
from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

from cornu import backend_spec

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "api" / "cornu-ops.md"


def _hooks():
    spec = importlib.util.spec_from_file_location("cornu_mkdocs_hooks",
                                                  ROOT / "scripts" / "mkdocs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOKS = _hooks()
RENDERED = HOOKS.render_ops_reference()


def _sections(markdown):
    """``{module heading: {op name: signature}}`` of the rendered tables."""
    sections, current = {}, None
    for line in markdown.splitlines():
        heading = re.match(r"^## `([\w.]+)`$", line)
        if heading:
            current = sections.setdefault(heading.group(1), {})
            continue
        row = re.match(r"^\| (?:`([^`]+)`|<code>(.+?)</code>) \| (?:`([^`]*)`|<code>(.*?)</code>) \|",
                       line)
        if row and current is not None:
            name = row.group(1) or row.group(2)
            signature = (row.group(3) if row.group(3) is not None else row.group(4))
            current[name] = signature.replace("&#124;", "|").replace("&lt;", "<").replace(
                "&amp;", "&")
    return sections


SECTIONS = _sections(RENDERED)
NAMESPACES = [*backend_spec.OPS_NAMESPACES, "random"]


def _module_of(namespace):
    return "cornu.random" if namespace == "random" else f"cornu.ops.{namespace}"


def _ops(namespace):
    return [p for p in backend_spec.namespace_parts(namespace) if p.kind in ("function", "class")]


def test_the_page_is_generated_and_in_the_nav():
    text = PAGE.read_text(encoding="utf-8")
    assert "<!-- ops-reference -->" in text.splitlines()
    assert "api/cornu-ops.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    # The hook expands the marker (and leaves every other page alone).
    assert "## `cornu.ops.numpy`" in HOOKS.on_page_markdown(text)
    assert HOOKS.on_page_markdown("# nothing to expand\n") == "# nothing to expand\n"


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_op_of_the_spec_is_listed_with_its_signature(namespace):
    listed = SECTIONS[_module_of(namespace)]
    expected = {p.attribute: p.signature for p in _ops(namespace)}
    assert listed == expected


def test_the_sections_are_the_namespaces():
    assert list(SECTIONS) == [_module_of(n) for n in HOOKS.OPS_PAGE_ORDER]
    assert set(HOOKS.OPS_PAGE_ORDER) == set(NAMESPACES)


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_listed_ops_resolve_on_this_backend(namespace):
    """Each required op is there, in its namespace and at the top level (bound to the
    first namespace that has it, as the page says), with a signature the spec accepts."""
    import cornu.ops

    front = importlib.import_module(_module_of(namespace))
    first = {}
    for ns in backend_spec.OPS_NAMESPACES:
        for name in backend_spec.op_names(ns):
            first.setdefault(name, ns)
    for part in _ops(namespace):
        try:
            fn = getattr(front, part.attribute)
        except AttributeError:
            assert not part.required, f"{_module_of(namespace)}.{part.attribute} is missing"
            continue
        if namespace != "random" and first[part.attribute] == namespace:
            assert getattr(cornu.ops, part.attribute) is fn, part.name
        wrapped = getattr(fn, "__wrapped__", fn)
        problem = backend_spec.signature_problem(part.signature, wrapped)
        assert problem is None, f"{part.name}: {problem}"


def test_cells_keep_pipes_out_of_the_table_syntax():
    assert HOOKS._code("log|det(x)|") == "<code>log&#124;det(x)&#124;</code>"
    assert HOOKS._cell("``(sign, log|det(x)|)`` a|b") == (
        "<code>(sign, log&#124;det(x)&#124;)</code> a\\|b")
    for line in RENDERED.splitlines():
        if line.startswith("| "):
            assert len(re.findall(r"(?<!\\)\|", line)) == 4, line
