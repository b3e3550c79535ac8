"""MkDocs hook (mkdocs.yml `hooks:`): expand ``<!-- members: cornu.layers -->`` in a page.

(``<!-- submodules: cornu.datasets -->`` does the same for the public submodules.)

A family module re-exports its classes from submodules without an ``__all__``
(``from cornu.layers.core.dense import Dense``), and mkdocstrings renders only the
objects a module defines or exports.  The marker becomes one ``::: cornu.layers.Dense``
block per public name of the module (its ``__all__`` when it has one, otherwise every
name not starting with ``_`` that is not a module), found statically with griffe, so
the reference follows the code without importing torch or TensorFlow.

``<!-- ops-reference -->`` becomes the tables of docs/api/cornu-ops.md: every op that
``cornu.ops`` (and ``cornu.random``) can bind, by namespace, with its signature, read
from ``cornu.backend_spec``.  ``cornu.ops`` resolves its names from the bound backend,
so there is nothing for mkdocstrings to read; the specification is what every backend
implements (``check_backend`` compares them), and importing it imports no framework.
tests/docs/test_ops_reference.py checks the tables against the bound backend.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEARCH_PATHS = sorted(str(p) for p in (ROOT / "packages").glob("*/src"))
MARKER = re.compile(r"^<!-- (members|submodules): ([\w.]+) -->$", re.M)
OPS_MARKER = re.compile(r"^<!-- ops-reference -->$", re.M)
_loader = None  # a griffe.GriffeLoader, made on first use


def _public_names(module_path: str, want_modules: bool = False) -> list[str]:
    global _loader
    import griffe  # only the site build needs it; tests import this module without it

    if _loader is None:
        _loader = griffe.GriffeLoader(search_paths=SEARCH_PATHS)
    module = _loader.load(module_path)
    names = list(module.exports or ()) or list(module.members)
    out = []
    for name in names:
        name = str(name)
        if name.startswith("_") or name not in module.members:
            continue
        member = module.members[name]
        try:
            is_module = member.is_module
        except griffe.AliasResolutionError:
            is_module = False  # an unresolvable alias still gets its block (and fails loudly)
        if is_module == want_modules:
            out.append(name)
    return out


# -- the cornu.ops reference (docs/api/cornu-ops.md) -----------------------------------------
#: The order of the page's sections (cornu.ops resolves a name in OPS_NAMESPACES' order).
OPS_PAGE_ORDER = ("numpy", "nn", "linalg", "math", "image", "core", "random")


_CODE_SPAN = re.compile(r"(``?)(.+?)\1")


def _code(text: str) -> str:
    """``text`` as a code span for a table cell.  A ``|`` would split the cell, and its
    escape ``\\|`` shows as it is inside backticks, so such a span is written as HTML."""
    if "|" not in text:
        return f"`{text}`"
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "&#124;")
    return f"<code>{escaped}</code>"


def _cell(text: str) -> str:
    """Prose (with ````code```` spans) for a table cell."""
    text = _CODE_SPAN.sub(lambda match: _code(match.group(2)), text.replace("\n", " "))
    return text.replace("|", "\\|")


def render_ops_reference() -> str:
    """The Markdown of every op namespace's table, from ``cornu.backend_spec``."""
    from cornu import backend_spec

    order = backend_spec.OPS_NAMESPACES
    if set(OPS_PAGE_ORDER) != set(order) | {"random"}:
        raise RuntimeError(f"OPS_PAGE_ORDER {OPS_PAGE_ORDER} does not name each op namespace "
                           f"of cornu.backend_spec ({order} and random)")
    first = {}  # op name -> the namespace `cornu.ops.<name>` binds to
    for namespace in order:
        for name in sorted(backend_spec.op_names(namespace)):
            first.setdefault(name, namespace)
    out = ["| namespace | ops | what it holds |", "|---|---|---|"]
    for namespace in OPS_PAGE_ORDER:
        module = "cornu.random" if namespace == "random" else f"cornu.ops.{namespace}"
        count = len(backend_spec.op_names(namespace))
        doc = backend_spec.part(namespace).doc
        out.append(f"| [{_code(module)}](#{module.replace('.', '')}) | {count} | {_cell(doc)} |")
    for namespace in OPS_PAGE_ORDER:
        module = "cornu.random" if namespace == "random" else f"cornu.ops.{namespace}"
        ops = [p for p in backend_spec.namespace_parts(namespace) if p.kind in ("function", "class")]
        keras = sum(1 for p in ops if p.keras)
        doc = _cell(backend_spec.part(namespace).doc)
        out += ["", f"## `{module}`", "",
                f"{doc[:1].upper()}{doc[1:]}: {len(ops)} ops, {keras} of them the Keras 3 op "
                "of the same name.", "",
                "| op | signature | what it is |", "|---|---|---|"]
        for p in ops:
            what = f"``{p.keras}``" if p.keras else p.doc
            notes = []
            if not p.required:
                notes.append("optional: a backend may not have it")
            if namespace != "random" and first.get(p.attribute) != namespace:
                notes.append(f"`cornu.ops.{p.attribute}` is the `{first[p.attribute]}` one")
            if notes:
                what = f"{what} ({'; '.join(notes)})"
            out.append(f"| {_code(p.attribute)} | {_code(p.signature)} | {_cell(what)} |")
    return "\n".join(out) + "\n"


def on_page_markdown(markdown: str, **kwargs) -> str:
    def expand(match: re.Match) -> str:
        kind, module = match.groups()
        block = "::: {}.{}\n    options:\n      heading_level: 3\n      show_root_full_path: false"
        return "\n\n".join(block.format(module, name) for name in _public_names(module, kind == "submodules"))

    markdown = OPS_MARKER.sub(lambda match: render_ops_reference(), markdown)
    return MARKER.sub(expand, markdown)
