"""Keras-based libraries' own test suites, on Keras 3 and on cornu (``nox -s peers``).

    python scripts/peers.py CHECKOUTS [--libraries keras-tcn,keras-tuner] [--backends torch]
    python scripts/peers.py CHECKOUTS --report-only      # the table from the last run's XML

``CHECKOUTS`` holds one folder per library, named as ``LIBRARIES`` says, each a checkout
of the library's public repository at its released version (their test files ship in
none of the wheels; nothing of theirs is in this repository).  The library itself is
the release installed from PyPI in the running environment (``nox -s peers`` installs
the pinned ones): its test files are copied out of the checkout into a staging folder
(``--work``) whose package names differ from the library's, so the tests import the
installed library, never the checkout's source.

Each suite runs in its own pytest process, twice per backend: with real Keras
(``KERAS_BACKEND``) and with cornu through the alias (``CORNU_ALIAS_KERAS=1`` and
``CORNU_BACKEND``; cornu-core's ``.pth`` turns the alias on at start-up, in pytest and
in every process a test starts).  Each run writes a JUnit XML file; the table counts
passes per library and backend and the share of the tests that pass with Keras which
also pass on cornu.  ``NETWORK_TESTS`` are tests that need a download: they are
deselected on both sides.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

BACKENDS = ("torch", "tensorflow")
SIDES = ("keras", "cornu")


@dataclasses.dataclass
class Library:
    dist: str  # the pinned release (nox -s peers installs it)
    checkout: str  # folder under CHECKOUTS
    copy: dict[str, str]  # checkout subfolder -> staging folder (test files and helpers)
    tests: list[str]  # what pytest runs, relative to the staging folder
    #: import rewrites in the staged files, applied in order (regex -> replacement)
    rewrites: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    ignore: list[str] = dataclasses.field(default_factory=list)  # staged paths left out
    ini: str = ""  # the library's pytest options that matter (its pyproject/setup.cfg)
    conftest: str = ""  # a conftest.py from the checkout, copied to the staging root
    helpers: tuple[str, ...] = ()  # non-test modules the tests need (not in the wheel)
    scripts: tuple[str, ...] = ()  # example scripts its CI runs (keras-tcn's tox.ini)
    copy_all: bool = False  # copy every file of `copy` (keras-tcn's scripts folder)
    timeout: int = 3600  # seconds for one pytest run


#: keras-tuner's sources live in ``keras_tuner/`` in the repository and in
#: ``keras_tuner/src/`` in the wheel; its pip_build.py rewrites the imports the same way.
_KT_REWRITES = [
    (r"\bkeras_tuner\.test_utils\b", "kt_tests.test_utils"),
    (r"^(\s*)import keras_tuner\.", r"\1import keras_tuner.src."),
    (r"^(\s*)from keras_tuner\.(?!src\b)", r"\1from keras_tuner.src."),
    (r"^(\s*)from keras_tuner import", r"\1from keras_tuner.src import"),
    (r"([\"'])keras_tuner\.(?!src\b)", r"\1keras_tuner.src."),  # mock.patch targets
    (r"\bkeras_tuner\.backend\.", "keras_tuner.src.backend."),  # keras_tuner.backend.config
    # keras_tuner.tuners.bayesian.scipy: a module (lower case) reached as an attribute
    (r"\bkeras_tuner\.(tuners|engine|oracles|applications|distribute)\.([a-z_]+)\b",
     r"keras_tuner.src.\1.\2"),
]

LIBRARIES: dict[str, Library] = {
    "keras-tcn": Library(
        dist="keras-tcn==3.5.7", checkout="keras-tcn",
        copy={"tasks": "tasks"}, copy_all=True,
        tests=["tasks/tcn_call_test.py", "tasks/test_tox_scripts.py"],
        # tox.ini's commands after the unit tests (plot_tcn_model.py needs pydot/graphviz)
        scripts=("save_reload_sequential_model.py", "sequential.py",
                 "multi_length_sequences.py", "plot_tcn_model.py"),
    ),
    "keras-hub": Library(
        dist="keras-hub==0.32.0", checkout="keras-hub",
        copy={"keras_hub/src/models/bert": "kh_tests/models/bert",
              "keras_hub/src/models/resnet": "kh_tests/models/resnet",
              "keras_hub/src/layers": "kh_tests/layers"},
        tests=["kh_tests"],
        conftest="conftest.py",
        ini=textwrap.dedent("""\
            filterwarnings =
                error
                ignore::DeprecationWarning
                ignore::ImportWarning
                ignore::RuntimeWarning
                ignore::PendingDeprecationWarning
                ignore::FutureWarning
                ignore::UserWarning
            """),
    ),
    "keras-tuner": Library(
        dist="keras-tuner==1.4.8", checkout="keras-tuner",
        copy={"keras_tuner": "kt_tests"},
        tests=["kt_tests"],
        helpers=("kt_tests/test_utils/mock_distribute.py",),
        rewrites=_KT_REWRITES,
        ini="addopts = -p no:warnings\n",
    ),
    "keras-rs": Library(
        dist="keras-rs==0.4.0", checkout="keras-rs",
        copy={"keras_rs/src": "kr_tests"},
        tests=["kr_tests"],
        ignore=["kr_tests/layers/embedding/jax"],  # JAX-only (jax-tpu-embedding)
        helpers=("kr_tests/testing/test_case.py", "kr_tests/testing/__init__.py",
                 "kr_tests/layers/embedding/test_utils.py"),
        rewrites=[(r"\bkeras_rs\.src\.testing\b", "kr_tests.testing"),
                  (r"\bkeras_rs\.src\.layers\.embedding\.test_utils\b",
                   "kr_tests.layers.embedding.test_utils"),
                  (r"from keras_rs\.src\.layers\.embedding import test_utils",
                   "from kr_tests.layers.embedding import test_utils"),
                  (r"from keras_rs\.src import testing", "from kr_tests import testing")],
        ini="filterwarnings =\n    ignore::DeprecationWarning\n",
    ),
    "scikeras": Library(
        dist="scikeras==0.13.0", checkout="scikeras",
        copy={"tests": "sk_tests"},
        tests=["sk_tests"],
        helpers=("sk_tests/mlp_models.py", "sk_tests/multi_output_models.py",
                 "sk_tests/testing_utils.py", "sk_tests/__init__.py"),
        rewrites=[(r"\bfrom tests\.", "from sk_tests.")],
    ),
}

#: Tests that need a network download (a pretrained file, a data set): deselected on
#: both sides.  (pytest node ids, relative to the staging folder.)
NETWORK_TESTS: dict[str, list[str]] = {
    "keras-tcn": ["tasks/test_tox_scripts.py::test_script[sequential.py]"],  # IMDB
    "keras-hub": [],
    "keras-tuner": [  # EfficientNet's ImageNet weights
        f"kt_tests/applications/efficientnet_test.py::{name}" for name in (
            "test_hyperparameter_existence_and_defaults", "test_hyperparameter_override",
            "test_input_tensor", "test_override_compiling_phase",
            "test_augmentation_param_fixed_model", "test_augmentation_param_hyper_model",
            "test_pooling_is_max")],
    "keras-rs": [],
    "scikeras": [
        "sk_tests/test_basewrapper.py::TestAutoencoder::test_simple_autoencoder_mnist",
        *(f"sk_tests/test_serialization.py::{name}" for name in (  # California housing
            "test_custom_loss_function", "test_custom_model_registered",
            "test_custom_model_unregistered", "test_run_eagerly")),
    ],
}

#: Tests that take minutes each on a small CPU machine; ``--skip-slow`` deselects them on
#: both sides (for quick rounds; a full run includes them).
SLOW_TESTS: dict[str, list[str]] = {
    "keras-tuner": ["kt_tests/integration_tests/end_to_end_test.py::test_end_to_end_workflow"],
}

_TOX_SCRIPTS_TEST = '''\
"""keras-tcn's tox.ini runs these scripts after its unit tests (generated by peers.py)."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.parametrize("script", {scripts!r})
def test_script(script):
    proc = subprocess.run([sys.executable, script], cwd=HERE, capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-4000:]
'''


def _is_test_file(path: Path) -> bool:
    return path.name.endswith("_test.py") or path.name.startswith("test_") \
        or path.name == "conftest.py"


def stage(name: str, lib: Library, checkouts: Path, work: Path) -> Path:
    """Copy the test files (and the helpers they need) of ``lib`` into a fresh folder."""
    src_root = checkouts / lib.checkout
    if not src_root.is_dir():
        raise SystemExit(f"{name}: no checkout at {src_root} (see scripts/peers.py)")
    dest_root = work / "stage" / name
    shutil.rmtree(dest_root, ignore_errors=True)
    dest_root.mkdir(parents=True)
    helpers = {dest_root / h for h in lib.helpers}
    ignored = [dest_root / i for i in lib.ignore]
    for src_sub, dest_sub in lib.copy.items():
        for path in sorted((src_root / src_sub).rglob("*")):
            rel = path.relative_to(src_root / src_sub)
            dest = dest_root / dest_sub / rel
            if any(dest == i or i in dest.parents for i in ignored) or "__pycache__" in rel.parts:
                continue
            if path.is_dir():
                continue
            if not lib.copy_all:
                if path.suffix == ".py" and not (_is_test_file(path) or dest in helpers):
                    continue  # the library's own modules come from the installed release
                if path.suffix != ".py" and "test_data" not in rel.parts:
                    continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    for py in dest_root.rglob("*.py"):
        text = py.read_text()
        for pattern, repl in lib.rewrites:
            text = re.sub(pattern, repl, text, flags=re.MULTILINE)
        py.write_text(text)
    # Every staged folder under a package root is a package (unique module names).
    for dest_sub in lib.copy.values():
        top = dest_root / dest_sub
        if lib.copy_all:
            continue  # keras-tcn's scripts folder: plain scripts, as tox runs them
        for folder in [top, *(p for p in top.rglob("*") if p.is_dir())]:
            init = folder / "__init__.py"
            if not init.exists():
                init.write_text("")
    if lib.conftest:
        shutil.copy2(src_root / lib.conftest, dest_root / "conftest.py")
    if lib.scripts:
        (dest_root / "tasks" / "test_tox_scripts.py").write_text(
            _TOX_SCRIPTS_TEST.format(scripts=list(lib.scripts)))
    (dest_root / "pytest.ini").write_text("[pytest]\n" + lib.ini)
    return dest_root


def environment(side: str, backend: str, work: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("CORNU_ALIAS_KERAS", "CORNU_BACKEND", "KERAS_BACKEND", "PYTEST_ADDOPTS"):
        env.pop(key, None)
    home = work / "home" / f"{side}-{backend}"
    home.mkdir(parents=True, exist_ok=True)
    env.update({
        "KERAS_BACKEND": backend,
        "KERAS_HOME": str(home / "keras"),  # no ~/.keras/keras.json leaks in
        "CORNU_HOME": str(home / "cornu"),  # no ~/.cornu/cornu.json leaks in
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": env.get("CUDA_VISIBLE_DEVICES", ""),
        "HF_HUB_OFFLINE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    for key in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        env.setdefault(key, "1")  # a shared machine: one thread per framework pool
    if side == "cornu":
        env["CORNU_ALIAS_KERAS"] = "1"
        env["CORNU_BACKEND"] = backend
    return env


def check_side(side: str, backend: str, work: Path) -> None:
    """The interpreter gets the Keras of ``side`` (a .pth missing from the venv would
    otherwise make both sides real Keras)."""
    code = "import keras; print(keras.__name__, keras.config.backend())"
    out = subprocess.run([sys.executable, "-c", code], env=environment(side, backend, work),
                         capture_output=True, text=True, timeout=300)
    want = f"{'cornu' if side == 'cornu' else 'keras'} {backend}"
    got = out.stdout.strip().splitlines()[-1:] or [out.stderr.strip()[-500:]]
    if got[0] != want:
        raise SystemExit(f"{side}/{backend}: `import keras` gave {got[0]!r}, not {want!r} "
                         "(is cornu-core's zz-cornu-alias-keras.pth in site-packages?)")


def junit_path(work: Path, name: str, side: str, backend: str) -> Path:
    return work / "junit" / f"{name}-{side}-{backend}.xml"


def run_suite(name: str, lib: Library, staged: Path, side: str, backend: str,
              work: Path, extra: list[str], skip_slow: bool = False) -> float:
    xml = junit_path(work, name, side, backend)
    xml.parent.mkdir(parents=True, exist_ok=True)
    xml.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "pytest", *lib.tests, f"--junitxml={xml}", "-q",
           "-p", "no:cacheprovider", "-o", "junit_family=xunit1", "--tb=line",
           # one test file that does not import (SciKeras's test_compile_kwargs.py with
           # Keras 3.15) must not stop the others from running
           "--continue-on-collection-errors"]
    for node in NETWORK_TESTS.get(name, []) + (SLOW_TESTS.get(name, []) if skip_slow else []):
        cmd.append(f"--deselect={node}")
    cmd += extra
    log = work / "logs" / f"{name}-{side}-{backend}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    print(f"[peers] {name} {side}/{backend}: {' '.join(cmd[3:])}", flush=True)
    with open(log, "w") as out:
        try:
            proc = subprocess.run(cmd, cwd=staged, env=environment(side, backend, work),
                                  stdout=out, stderr=subprocess.STDOUT, timeout=lib.timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    took = time.monotonic() - start
    tail = log.read_text(errors="replace").strip().splitlines()[-1:] or [""]
    print(f"[peers] {name} {side}/{backend}: exit {rc} in {took:.0f} s: {tail[0]}",
          flush=True)
    return took


def read_junit(path: Path) -> dict[str, tuple[str, str]]:
    """test id -> (outcome, message): outcome in passed/failed/error/skipped."""
    if not path.exists():
        return {}
    results: dict[str, tuple[str, str]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                message = (child.get("message") or child.text or "").strip()
                break
        if outcome == "passed" or test_id not in results:  # a setup+teardown error
            results.setdefault(test_id, (outcome, message))
    return results


def summarize(work: Path, names: list[str], backends: list[str]) -> dict:
    summary: dict = {}
    for name in names:
        row: dict = {}
        for backend in backends:
            keras_res = read_junit(junit_path(work, name, "keras", backend))
            cornu_res = read_junit(junit_path(work, name, "cornu", backend))
            keras_pass = {t for t, (o, _) in keras_res.items() if o == "passed"}
            cornu_pass = {t for t, (o, _) in cornu_res.items() if o == "passed"}
            failing = {t: cornu_res.get(t, ("missing", "not run on cornu"))
                       for t in sorted(keras_pass - cornu_pass)}
            row[backend] = {
                "collected_keras": len(keras_res), "collected_cornu": len(cornu_res),
                "keras": len(keras_pass), "cornu": len(cornu_pass),
                "both": len(keras_pass & cornu_pass),
                "cornu_only": sorted(cornu_pass - keras_pass),
                "failing_on_cornu": failing,
            }
        summary[name] = row
    return summary


def table(summary: dict, backends: list[str]) -> str:
    def pct(both, keras):
        return f"{100.0 * both / keras:.1f}%" if keras else "-"

    bk = "/".join("tf" if b == "tensorflow" else b for b in backends)
    lines = [f"| library | pass with Keras ({bk}) | pass with cornu ({bk}) | "
             f"% of Keras-passing that pass on cornu ({bk}) | overall |",
             "| --- | --- | --- | --- | --- |"]
    total_both = total_keras = 0
    for name, row in summary.items():
        k = "/".join(str(row[b]["keras"]) for b in backends)
        c = "/".join(str(row[b]["cornu"]) for b in backends)
        p = "/".join(pct(row[b]["both"], row[b]["keras"]) for b in backends)
        both = sum(row[b]["both"] for b in backends)
        keras = sum(row[b]["keras"] for b in backends)
        total_both += both
        total_keras += keras
        lines.append(f"| {name} | {k} | {c} | {p} | {pct(both, keras)} |")
    lines.append(f"| all | | | | {pct(total_both, total_keras)} |")
    return "\n".join(lines)


def failures_report(summary: dict) -> str:
    out = []
    for name, row in summary.items():
        for backend, data in row.items():
            for test_id, (outcome, message) in data["failing_on_cornu"].items():
                first = message.splitlines()[0][:300] if message else ""
                out.append(f"{name}\t{backend}\t{outcome}\t{test_id}\t{first}")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", type=Path, help="the folder holding the checkouts")
    parser.add_argument("--libraries", default=",".join(LIBRARIES),
                        help="comma-separated, in run order (default: all)")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--sides", default=",".join(SIDES))
    parser.add_argument("--work", type=Path, default=Path(".peers"),
                        help="staging folders, JUnit XML, logs, summary (default .peers)")
    parser.add_argument("--skip-slow", action="store_true",
                        help="deselect SLOW_TESTS too (on both sides)")
    parser.add_argument("--report-only", action="store_true",
                        help="no runs: the table from the XML files already in --work")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to every pytest")
    args = parser.parse_args(argv)
    names = [n for n in args.libraries.split(",") if n]
    for n in names:
        if n not in LIBRARIES:
            parser.error(f"unknown library {n!r} (known: {', '.join(LIBRARIES)})")
    backends = [b for b in args.backends.split(",") if b]
    sides = [s for s in args.sides.split(",") if s]
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if args.report_only and (work / "summary.json").exists():
        started = json.loads((work / "summary.json").read_text()).get("started", started)
    if not args.report_only:
        for side in sides:
            for backend in backends:
                check_side(side, backend, work)
        for name in names:
            staged = stage(name, LIBRARIES[name], args.checkouts.resolve(), work)
            for backend in backends:
                for side in sides:
                    run_suite(name, LIBRARIES[name], staged, side, backend, work,
                              args.pytest_args, skip_slow=args.skip_slow)
    summary = summarize(work, names, backends)
    (work / "summary.json").write_text(json.dumps(
        {"started": started, "libraries": summary}, indent=1, default=list))
    (work / "failing-on-cornu.tsv").write_text(failures_report(summary))
    print(f"\npeer suites, run started {started}"
          f"{' (report of an earlier run)' if args.report_only else ''}"
          f"{' (--skip-slow: SLOW_TESTS deselected)' if args.skip_slow else ''}")
    print(table(summary, backends))
    print(f"\ntests that pass with Keras and not on cornu: {work / 'failing-on-cornu.tsv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
