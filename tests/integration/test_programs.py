"""Keras-style programs (tests/programs/*.py) run on Keras 3 and on cornu, and agree.

Each program is a plain script written the way keras.io guides are
(``import keras``, a custom ``train_step``, a loop from scratch, a GAN, ...)
that ends by assigning ``RESULT``. A module-scoped fixture runs
``tests/programs/_runner.py`` twice on this process's backend: once on the
real Keras 3, once on cornu through ``cornu.alias_keras()``, each in one
subprocess that runs every program (to keep CI time low). Then each program
is a test:

* it is skipped only when its ``# backend: torch`` / ``# backend: tensorflow``
  marker names the other backend;
* Keras must run it (if not, the program is wrong and must be fixed);
* cornu must run it;
* every RESULT value must agree.

Tolerances: programs seed numpy and set every weight from a seeded numpy RNG,
use ``shuffle=False`` and no dropout, so two correct implementations differ
only by float32 rounding and operation order. Keras 3 itself on torch and on
tensorflow agrees to about 1e-6 relative on these programs after tens of
optimizer steps, so the default ``rtol=1e-4`` (with ``atol=1e-5`` for values
near zero, such as weights and tiny probabilities) leaves two orders of
magnitude of headroom and still catches any real difference (a misaligned
loss shape, a missing metric reset, an optimizer step taken twice, which all
move the numbers by percents). A program whose numbers legitimately drift
more declares a module-level ``TOLERANCE`` and says why. Where randomness
from the library's own stream enters (GAN noise, VAE sampling, a
SeedGenerator in train_step), the programs report coarse properties
(booleans, counts, shapes), which must match exactly. Strings, booleans,
``None`` and structure (dict keys, list lengths) always match exactly.
"""
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import numpy as np
import pytest

PROGRAMS_DIR = pathlib.Path(__file__).resolve().parent.parent / "programs"
RUNNER = PROGRAMS_DIR / "_runner.py"
PROGRAMS = sorted(p.name for p in PROGRAMS_DIR.glob("*.py") if not p.name.startswith("_"))
BACKEND_MARKER = re.compile(r"^# backend: (torch|tensorflow)\s*$", re.MULTILINE)
DEFAULT_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
RUN_TIMEOUT_S = 1800  # for all programs of one library


def program_backend(name):
    """The backend a program is written for, or None when it runs on both."""
    match = BACKEND_MARKER.search((PROGRAMS_DIR / name).read_text())
    return match.group(1) if match else None


def run_library(library, backend, programs, out_dir):
    """Run every program on one library in one subprocess; return (results, seconds)."""
    out = out_dir / f"{library}-{backend}.json"
    env = dict(os.environ, CORNU_BACKEND=backend, KERAS_BACKEND=backend,
               OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--library", library, "--out", str(out), *programs],
        cwd=str(PROGRAMS_DIR), env=env, capture_output=True, text=True,
        timeout=RUN_TIMEOUT_S,
    )
    seconds = time.perf_counter() - start
    (out_dir / f"{library}-{backend}.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"the {library} runner itself failed (rc={proc.returncode}):\n"
                           f"{proc.stderr[-4000:]}")
    return json.loads(out.read_text()), seconds


@pytest.fixture(scope="module")
def program_results(backend_name, tmp_path_factory):
    if importlib.util.find_spec("keras") is None:  # found, not imported: the runner imports it
        pytest.skip("Keras 3, the reference, is not installed")
    out_dir = tmp_path_factory.mktemp("programs")
    programs = [p for p in PROGRAMS if program_backend(p) in (None, backend_name)]
    keras_results, keras_seconds = run_library("keras", backend_name, programs, out_dir)
    cornu_results, cornu_seconds = run_library("cornu", backend_name, programs, out_dir)
    print(f"\nprograms on {backend_name}: keras {keras_seconds:.1f}s, cornu {cornu_seconds:.1f}s "
          f"(logs in {out_dir})")
    return {"keras": keras_results, "cornu": cornu_results}


def _is_numeric(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, list):
        return len(value) > 0 and all(_is_numeric(v) for v in value)
    return False


def compare(expected, actual, rtol, atol, path="RESULT"):
    """Differences between two JSON'd RESULT values, as readable lines."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return [] if expected is actual else [f"{path}: expected {expected!r}, got {actual!r}"]
    if _is_numeric(expected) and _is_numeric(actual):
        try:
            a, b = np.asarray(expected, dtype="float64"), np.asarray(actual, dtype="float64")
        except ValueError:  # ragged (a list of shapes, say): compare item by item below
            a = b = None
    else:
        a = b = None
    if a is not None:
        if a.shape != b.shape:
            return [f"{path}: expected shape {a.shape}, got {b.shape}"]
        if np.allclose(b, a, rtol=rtol, atol=atol):
            return []
        error = np.abs(b - a)
        worst = np.unravel_index(np.argmax(error - rtol * np.abs(a)), a.shape) if a.shape else ()
        return [f"{path}: max abs diff {error.max():.3g} (rtol={rtol}, atol={atol}); "
                f"at {list(worst)}: expected {a[worst]!r}, got {b[worst]!r}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        if sorted(expected) != sorted(actual):
            return [f"{path}: expected keys {sorted(expected)}, got {sorted(actual)}"]
        return [line for key in expected
                for line in compare(expected[key], actual[key], rtol, atol, f"{path}[{key!r}]")]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: expected length {len(expected)}, got {len(actual)}"]
        return [line for i, (e, a) in enumerate(zip(expected, actual))
                for line in compare(e, a, rtol, atol, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def test_the_programs_are_many_and_marked_correctly():
    assert len(PROGRAMS) >= 15, PROGRAMS
    for name in PROGRAMS:
        text = (PROGRAMS_DIR / name).read_text()
        assert "import keras" in text, name
        assert re.search(r"^RESULT = ", text, re.MULTILINE), f"{name} assigns no RESULT"
        backend = program_backend(name)
        framework = {"torch": "import torch", "tensorflow": "import tensorflow"}
        for other, statement in framework.items():
            if backend != other and re.search(rf"^{statement}\b", text, re.MULTILINE):
                pytest.fail(f"{name} imports {other} at top level but is marked {backend}")


@pytest.mark.parametrize("program", PROGRAMS)
def test_program(program, program_results, backend_name):
    wanted = program_backend(program)
    if wanted is not None and wanted != backend_name:
        pytest.skip(f"{program} is written for the {wanted} backend")
    keras_record = program_results["keras"][program]
    assert keras_record["ok"], (
        f"Keras 3 itself fails {program}: the program is wrong\n{keras_record['error']}")
    cornu_record = program_results["cornu"][program]
    assert cornu_record["ok"], f"cornu fails {program}:\n{cornu_record['error']}"
    tolerance = dict(DEFAULT_TOLERANCE, **(keras_record.get("tolerance") or {}))
    differences = compare(keras_record["result"], cornu_record["result"], **tolerance)
    assert not differences, f"{program}: cornu's RESULT differs from Keras's:\n" + "\n".join(
        differences[:20])
