"""MkDocs hook (mkdocs.yml `hooks:`): expand ``<!-- members: cornu.layers -->`` in a page.

(``<!-- submodules: cornu.datasets -->`` does the same for the public submodules.)

A family module re-exports its classes from submodules without an ``__all__``
(``from cornu.layers.core.dense import Dense``), and mkdocstrings renders only the
objects a module defines or exports.  The marker becomes one ``::: cornu.layers.Dense``
block per public name of the module (its ``__all__`` when it has one, otherwise every
name not starting with ``_`` that is not a module), found statically with griffe, so
the reference follows the code without importing torch or TensorFlow.
"""
from __future__ import annotations

import re
from pathlib import Path

import griffe

ROOT = Path(__file__).resolve().parent.parent
SEARCH_PATHS = sorted(str(p) for p in (ROOT / "packages").glob("*/src"))
MARKER = re.compile(r"^<!-- (members|submodules): ([\w.]+) -->$", re.M)
_loader: griffe.GriffeLoader | None = None


def _public_names(module_path: str, want_modules: bool = False) -> list[str]:
    global _loader
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


def on_page_markdown(markdown: str, **kwargs) -> str:
    def expand(match: re.Match) -> str:
        kind, module = match.groups()
        block = "::: {}.{}\n    options:\n      heading_level: 3\n      show_root_full_path: false"
        return "\n\n".join(block.format(module, name) for name in _public_names(module, kind == "submodules"))

    return MARKER.sub(expand, markdown)
