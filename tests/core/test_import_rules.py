"""The import rules (importlinter.ini, run by `nox -s lint`) hold, and they bite: a copy of
the source tree with one forbidden import added fails, naming the import."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")  # installed with the reference tools (noxfile.py)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "lint_imports.py"


def _copy_tree(tmp_path):
    for src in (ROOT / "packages").glob("*/src"):
        shutil.copytree(src, tmp_path / "packages" / src.parent.name / "src",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "importlinter.ini", tmp_path)
    return tmp_path


def _lint(root):
    return subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True,
                          text=True, timeout=300)


def test_the_checkout_keeps_every_rule():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize("module, line, rule", [
    ("core/src/cornu/dtypes.py", "import torch", "cornu.dtypes -> torch"),
    ("core/src/cornu/saving/weights.py", "from cornu.layers import Dense",
     "cornu.saving.weights -> cornu.layers"),
    ("metrics/src/cornu/metrics/iou_metrics.py", "import tensorflow",
     "cornu.metrics.iou_metrics -> tensorflow"),
    ("backend-torch/src/cornu/backends/torch/nn.py", "import cornu.optimizers",
     "cornu.backends.torch.nn -> cornu.optimizers"),
    ("layers/src/cornu/layers/core/dense.py", "import keras", "cornu.layers.core.dense -> keras"),
])
def test_a_forbidden_import_fails_the_check(tmp_path, module, line, rule):
    root = _copy_tree(tmp_path)
    path = root / "packages" / module
    path.write_text(f"{line}\n" + path.read_text())
    result = _lint(root)
    assert result.returncode == 1
    assert rule in result.stdout


def test_a_core_module_missing_from_the_contract_fails_the_check(tmp_path):
    root = _copy_tree(tmp_path)
    (root / "packages/core/src/cornu/brand_new.py").write_text("")
    result = _lint(root)
    assert result.returncode == 1
    assert "does not list cornu.brand_new" in result.stderr


@pytest.mark.parametrize("module, text, links", [
    # A top-level import closing a cycle through cornu.config...
    ("core/src/cornu/config.py", "from cornu import layer\n",
     ["cornu.config -> cornu.layer", "-> cornu.config"]),
    # ...and a deferred one through cornu.backend (grimp counts function-level imports).
    ("core/src/cornu/backend.py",
     "def _plugins():\n    from cornu.plugins import manager\n    return manager\n",
     ["cornu.backend -> cornu.plugins.manager", "cornu.plugins.manager -> cornu.backend"]),
])
def test_a_cycle_through_a_leaf_fails_the_check(tmp_path, module, text, links):
    """cornu.config and cornu.backend are on no import cycle (the ``leaves`` contract)."""
    root = _copy_tree(tmp_path)
    path = root / "packages" / module
    leaf = "cornu." + path.stem
    if text.startswith("def "):
        path.write_text(path.read_text() + "\n\n" + text)
    else:
        path.write_text(text + path.read_text())
    result = _lint(root)
    assert result.returncode == 1
    assert f"{leaf} is on an import cycle" in result.stdout
    for link in links:
        assert link in result.stdout, result.stdout
