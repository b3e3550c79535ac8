"""Check the import rules of importlinter.ini on all of cornu's distributions at once.

cornu is one namespace package split over packages/*/src, and cornu-core's
``cornu/__init__.py`` makes it a regular package, which import-linter (grimp) can only
read from one directory.  So this script copies every ``packages/*/src/cornu`` tree into
one temporary folder (plus the marker ``cornu/backends/__init__.py`` that no
distribution ships), checks that the core contract names every top-level core module,
and runs ``lint-imports`` there, with this folder on the path for cornu's own contract
types (``import_contracts.py``: ``leaves``, no import cycle through a module).  Usage: ``python scripts/lint_imports.py [ROOT]``
(ROOT: a checkout, by default this one).
"""
import configparser
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent


def core_modules(root):
    """``cornu.<name>`` for every top-level module and subpackage cornu-core ships."""
    core = root / "packages" / "core" / "src" / "cornu"
    names = {p.stem for p in core.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in core.iterdir() if (p / "__init__.py").exists()}
    return {f"cornu.{n}" for n in names}


def check_core_list(root, config):
    parser = configparser.ConfigParser()
    parser.read(config)
    listed = set(parser["importlinter:contract:core"]["source_modules"].split())
    shipped = core_modules(root)
    problems = [f"{config.name}: the core contract does not list {m}"
                for m in sorted(shipped - listed)]
    problems += [f"{config.name}: the core contract lists {m}, which cornu-core does not ship"
                 for m in sorted(listed - shipped)]
    return problems


def merged_view(root, target):
    cornu = target / "cornu"
    for src in sorted((root / "packages").glob("*/src/cornu")):
        shutil.copytree(src, cornu, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (cornu / "backends" / "__init__.py").touch()


def main(root=ROOT):
    root = Path(root).resolve()
    config = root / "importlinter.ini"
    problems = check_core_list(root, config)
    for problem in problems:
        print(problem, file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="cornu-imports-") as tmp:
        merged_view(root, Path(tmp))
        # Run from the merged view alone, so the installed cornu is not what gets read.
        result = subprocess.run(
            [sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
             "lint_imports_command()", "--no-logo", "--no-cache", str(config)],
            cwd=tmp, env={"PYTHONPATH": os.pathsep.join([tmp, str(SCRIPTS)]),
                          "PATH": "/usr/bin:/bin"})
    return 1 if problems or result.returncode else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
