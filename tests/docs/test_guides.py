"""The guides' code runs: every ```python block of a guide page, on the test's backend.

Each page under docs/guides/ is one program: its ```python fenced blocks, in order,
concatenated, run in a fresh interpreter with the CORNU_BACKEND of this process (nox
sets it per session).  A block preceded by ``<!-- backend: torch -->`` (or
``<!-- backend: tensorflow -->``) is for that backend only and is left out on the other;
a page with no block for this backend is skipped.  Blocks in other languages (```bash,
```text) are shown, not run.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "guides"
BACKENDS = ("torch", "tensorflow")

# A fence opens with ```python (or ```py) at the start of a line; an optional
# <!-- backend: NAME --> comment may sit on the line(s) just before it.
_BLOCK = re.compile(
    r"(?:^<!--\s*backend:\s*(?P<backend>[\w-]+)\s*-->\s*\n(?:[ \t]*\n)*)?"
    r"^```(?:python|py)[ \t]*\n(?P<code>.*?)^```[ \t]*$",
    re.M | re.S,
)


def extract_blocks(text: str) -> list[tuple[str | None, str]]:
    """The (backend or None, code) of every python block of a markdown page, in order."""
    blocks = []
    for match in _BLOCK.finditer(text):
        backend = match.group("backend")
        if backend is not None and backend not in BACKENDS:
            raise ValueError(f"unknown backend in <!-- backend: {backend} -->")
        blocks.append((backend, match.group("code")))
    return blocks


def program_for(text: str, backend: str) -> str:
    """The page's program on `backend`: its blocks for every backend or for this one."""
    return "\n".join(code for only, code in extract_blocks(text) if only in (None, backend))


def _backend() -> str:
    return os.environ.get("CORNU_BACKEND", "torch")


GUIDE_PAGES = sorted(GUIDES.glob("*.md"))


def test_guides_exist():
    assert GUIDE_PAGES, f"no guide pages in {GUIDES}"


def test_extract_blocks_honours_markers_and_languages():
    text = (
        "intro\n```python\na = 1\n```\n"
        "<!-- backend: torch -->\n```python\nb = 2\n```\n"
        "<!-- backend: tensorflow -->\n\n```python\nc = 3\n```\n"
        "```bash\npip install cornu-core\n```\n"
    )
    assert extract_blocks(text) == [
        (None, "a = 1\n"), ("torch", "b = 2\n"), ("tensorflow", "c = 3\n")
    ]
    assert program_for(text, "torch") == "a = 1\n\nb = 2\n"
    assert program_for(text, "tensorflow") == "a = 1\n\nc = 3\n"


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=lambda p: p.stem)
def test_guide_code_runs(page, tmp_path):
    backend = _backend()
    program = program_for(page.read_text(encoding="utf-8"), backend)
    if not program.strip():
        pytest.skip(f"{page.name} has no python block for the {backend} backend")
    script = tmp_path / f"{page.stem}.py"
    script.write_text(program, encoding="utf-8")
    env = {
        **os.environ,
        "CORNU_BACKEND": backend,
        "KERAS_BACKEND": backend,
        "CORNU_HOME": str(tmp_path / "cornu-home"),  # no user config leaks in
    }
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=600,
    )
    assert result.returncode == 0, (
        f"{page.relative_to(ROOT)} failed on {backend} (exit {result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    )
