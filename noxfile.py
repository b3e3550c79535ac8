"""Every cornu workflow, in one session list.

    nox -l                      list the sessions
    nox                         the default sessions (what CI runs, via scripts/test.sh)
    nox -s tests-layers         one package, installed alone from wheels, with its tests
    nox -s integration-torch    everything installed (editable), all of tests/, torch backend
    nox -s demo -- --epochs 3   examples/fashion_mnist.py (CORNU_BACKEND picks the backend)
    nox -s bench                benchmarks/run.py against Keras 3 and hand-written loops
    nox -s fuzz                 the loaders on 1000 mutated files, both backends (not default)
    nox -s docs                 the documentation site (mkdocs.yml, docs/), built --strict

Every install is pinned by ``constraints.txt``.  Wheels are built with the hatchling of
the interpreter that runs nox (scripts/test.sh puts it there) and without build
isolation, so a session builds its wheels once, in about a second.
"""

from __future__ import annotations

import configparser
import email.parser
import importlib.util
import os
import shutil
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PACKAGES_DIR = ROOT / "packages"
TESTS_DIR = ROOT / "tests"
CONSTRAINTS = str(ROOT / "constraints.txt")
REPORTS = ROOT / ".reports"  # JUnit XML per session; scripts/test.sh sums them up
SHARED_DATA = ROOT.parent / "shared" / "data"
CHECKS = str(ROOT / "scripts" / "nox_checks.py")
VERSION_PIN = "==0.1.*"  # sibling distributions move in lockstep

os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
os.environ.setdefault("PIP_PROGRESS_BAR", "off")

nox.options.default_venv_backend = "venv"
nox.options.error_on_external_run = True
nox.options.reuse_venv = "no"  # CI proves fresh installs; use -r locally to go faster

# --------------------------------------------------------------------------------------
# The distributions (docs/architecture.md).  `needs` are the local cornu dependencies
# that must be built and installed with a package; `modules` are what it ships.
# --------------------------------------------------------------------------------------
PACKAGES: dict[str, dict] = {
    "core": {"needs": [], "modules": ["cornu"]},
    "layers": {"needs": ["core"], "modules": ["cornu.layers"]},
    "optimizers": {"needs": ["core"], "modules": ["cornu.optimizers"]},
    "metrics": {"needs": ["core"], "modules": ["cornu.metrics", "cornu.losses",
                                                   "cornu.distillation"]},
    "callbacks": {"needs": ["core"], "modules": ["cornu.callbacks"]},
    "datasets": {"needs": ["core"], "modules": ["cornu.datasets"]},
    "applications": {"needs": ["core", "layers"], "modules": ["cornu.applications"]},
    "backend-torch": {"needs": ["core"], "modules": ["cornu.backends.torch"]},
    "backend-tf": {"needs": ["core"], "modules": ["cornu.backends.tensorflow"]},
}
FAMILIES = [p for p in PACKAGES if p not in ("core", "backend-torch", "backend-tf")]

#: A third-party plugin that the tests use (tests/plugin_fixture, distribution
#: cornu-testplugin, needs cornu-core only); every test session installs it next to the
#: package under test, the way a user would install a plugin.
TEST_PLUGIN = "testplugin"
TEST_PLUGIN_DIR = TESTS_DIR / "plugin_fixture"

#: The test folders each tests-<pkg> session runs.  tests/ops is the op-surface suite that
#: every backend must pass, so the backend sessions run it; everything (tests/integration
#: included) runs in the integration sessions.
TEST_DIRS: dict[str, list[str]] = {p: [p] for p in PACKAGES}
TEST_DIRS["backend-torch"].append("ops")
TEST_DIRS["backend-tf"].append("ops")
BACKEND_PACKAGE = {"torch": "backend-torch", "tensorflow": "backend-tf"}

#: What each wheel must declare in entry_points.txt, exactly (docs/architecture.md).
ENTRY_POINTS: dict[str, dict[str, dict[str, str]]] = {
    "core": {"console_scripts": {"cornu": "cornu.cli:main"}},
    **{
        fam: {"cornu": {f"cornu-{fam}": f"cornu.{fam}._plugin"}}
        for fam in FAMILIES
    },
    "backend-torch": {"cornu.backends": {"torch": "cornu.backends.torch"}},
    "backend-tf": {"cornu.backends": {"tensorflow": "cornu.backends.tensorflow"}},
}

#: Files a wheel ships at the site-packages root, outside its modules (cornu-core's .pth
#: honours CORNU_ALIAS_KERAS=1 at interpreter start-up: the alias for a whole test suite).
ROOT_FILES: dict[str, list[str]] = {"core": ["zz-cornu-alias-keras.pth"]}

#: Extras the per-package sessions install with a wheel (cornu-callbacks' TensorBoard
#: writer needs the optional `tensorboard` package, which its tests read files back with;
#: its OrbaxCheckpoint the optional `orbax-checkpoint`; cornu-layers' JaxLayer/FlaxLayer
#: the optional jax and flax).
EXTRAS = {"backend-tf": "[cpu]", "callbacks": "[tensorboard,orbax]", "layers": "[jax]"}

#: What the tests compare against, and what they run with.
TEST_DEPS = ["pytest"]
#: The integration sessions spread the whole suite over the machine's cores.
PARALLEL_DEPS = ["pytest-xdist"]
REFERENCE_DEPS = ["keras", "matplotlib", "scikit-learn", "tensorboard", "import-linter",
                  "keras-tuner",  # a Keras-based library, run on cornu through the alias
                  "safetensors",  # reads and writes the files of save_weights(".safetensors")
                  "orbax-checkpoint",  # OrbaxCheckpoint's files, read back by Keras 3 too
                  "opencv-python-headless",  # keras.visualization draws with it
                  "pillow",  # decodes TensorBoard's weight images
                  "jax", "flax"]  # JaxLayer / FlaxLayer (cornu-layers[jax]) and Keras's own
#: What the documentation site is built with (session `docs`; versions in constraints.txt).
DOCS_DEPS = ["mkdocs", "mkdocs-material", "mkdocstrings[python]", "ruff"]  # ruff: signatures

DEFAULT_SESSIONS = [
    "lint",
    "docs",
    "wheels",
    *(f"tests-{name}" for name in PACKAGES),
    "integration-torch",
    "integration-tensorflow",
    "conformance-torch",
    "conformance-tensorflow",
    "plugins",
]
nox.options.sessions = DEFAULT_SESSIONS


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
def dist_name(pkg: str) -> str:
    return f"cornu-{pkg}"


def source_dir(pkg: str) -> Path:
    return TEST_PLUGIN_DIR if pkg == TEST_PLUGIN else PACKAGES_DIR / pkg


def closure(pkgs: Iterable[str]) -> list[str]:
    """The packages plus their local cornu dependencies, dependencies first."""
    out: list[str] = []

    def visit(p: str) -> None:
        for dep in PACKAGES[p]["needs"] if p in PACKAGES else ["core"]:
            visit(dep)
        if p not in out:
            out.append(p)

    for p in pkgs:
        visit(p)
    return out


def pip_install(session: nox.Session, *args: str) -> None:
    """One pip command, pinned by constraints.txt."""
    session.install("-c", CONSTRAINTS, *args)


def build_wheels(session: nox.Session, pkgs: Iterable[str]) -> dict[str, Path]:
    """Build the wheels of `pkgs` (one pip command) into a clean temp dir."""
    pkgs = list(pkgs)
    dest = Path(session.create_tmp()).resolve() / "wheels"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    sources = [str(source_dir(p)) for p in pkgs]
    if importlib.util.find_spec("hatchling") is not None:
        # Fast path: the interpreter running nox has hatchling (scripts/test.sh installs it).
        session.run(
            sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
            "-w", str(dest), *sources, external=True,
        )
    else:
        # Fallback: pip builds in isolated environments, hatchling pinned by constraints.
        session.run(
            "python", "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dest), *sources,
            env={"PIP_CONSTRAINT": CONSTRAINTS},
        )
    wheels: dict[str, Path] = {}
    for p in pkgs:
        prefix = dist_name(p).replace("-", "_") + "-"
        found = sorted(dest.glob(prefix + "*.whl"))
        if len(found) != 1:
            session.error(f"expected one wheel for {dist_name(p)} in {dest}, found {found}")
        wheels[p] = found[0]
    return wheels


def wheel_req(pkg: str, wheel: Path, extras: str = "") -> str:
    """A PEP 508 requirement for a local wheel, optionally with extras."""
    return f"{dist_name(pkg)}{extras} @ {wheel.as_uri()}"


def install_editable(session: nox.Session, pkgs: Iterable[str], *extra: str) -> None:
    """Editable installs (hatchling's path-based mode) of `pkgs` plus `extra`, one command."""
    # The build backend, in the venv, so pip needs no isolated build envs (`editables` is
    # what hatchling uses for projects without dev-mode-dirs, e.g. the test plugin).
    pip_install(session, "hatchling", "editables")
    args: list[str] = []
    for p in pkgs:
        path = str(source_dir(p))
        if p == "backend-tf":
            path += "[cpu]"
        args += ["-e", path]
    pip_install(session, "--no-build-isolation", *args, *extra)


def check(session: nox.Session, *args: str, env: dict[str, str] | None = None) -> None:
    """Run one of scripts/nox_checks.py's checks in the session's venv."""
    session.run("python", CHECKS, *args, env=env)


def shared_data_env(subdir: str = "") -> dict[str, str]:
    """CORNU_DATASETS_MIRROR -> ../shared/data[/subdir] when that offline copy exists.

    The loaders look a file up directly under the mirror and under its dataset's folder,
    so ../shared/data serves every dataset and ../shared/data/fashion-mnist that one.
    """
    mirror = SHARED_DATA / subdir if subdir else SHARED_DATA
    if "CORNU_DATASETS_MIRROR" not in os.environ and mirror.is_dir():
        return {"CORNU_DATASETS_MIRROR": str(mirror)}
    return {}


def run_pytest(session: nox.Session, targets: list[Path], backend: str, *args: str,
               report: str | None = None) -> None:
    """pytest on `targets` with CORNU_BACKEND set; 'no tests collected' is not a failure.

    ``report`` names the JUnit file (default: the session's name).
    """
    present = [str(t.relative_to(ROOT)) for t in targets if t.exists()]
    for t in targets:
        if not t.exists():
            session.warn(f"{t.relative_to(ROOT)} does not exist yet: no tests there")
    if not present:
        return
    REPORTS.mkdir(exist_ok=True)
    home = Path(session.create_tmp()).resolve() / "cornu-home"
    home.mkdir(exist_ok=True)
    env = {
        "CORNU_BACKEND": backend,
        "KERAS_BACKEND": backend,
        "CORNU_HOME": str(home),  # no user ~/.cornu/cornu.json leaks into the tests
    }
    session.run(
        "pytest",
        *present,
        f"--junitxml={REPORTS / ((report or session.name) + '.xml')}",
        *args,
        *session.posargs,
        env=env,
        success_codes=[0, 5],  # 5: no tests collected (a package whose tests are not written yet)
    )


# --------------------------------------------------------------------------------------
# tests-<pkg>: each package alone, from wheels
# --------------------------------------------------------------------------------------
def _make_package_session(pkg: str) -> None:
    backend = "tensorflow" if pkg == "backend-tf" else "torch"

    @nox.session(name=f"tests-{pkg}")
    def session_func(session: nox.Session) -> None:
        # The package, its local cornu dependencies and one backend, all as wheels in ONE
        # pip command: only what the pyproject.toml files declare gets installed.
        pkgs = closure([pkg, BACKEND_PACKAGE[backend], TEST_PLUGIN])
        wheels = build_wheels(session, pkgs)
        reqs = [
            wheel_req(p, w, EXTRAS.get(p, "")) for p, w in wheels.items()
        ]
        pip_install(session, *reqs, *TEST_DEPS)
        session.run("python", "-m", "pip", "check")
        check(session, "origin", "site", *PACKAGES[pkg]["modules"])
        run_pytest(session, [TESTS_DIR / d for d in TEST_DIRS[pkg]], backend)

    session_func.__doc__ = (
        f"cornu-{pkg} alone from its wheel (+ its cornu deps, {backend} backend, test plugin); "
        f"pytest {' '.join('tests/' + d for d in TEST_DIRS[pkg])}."
    )


for _pkg in PACKAGES:
    _make_package_session(_pkg)


# --------------------------------------------------------------------------------------
# integration-<backend>: everything, editable, the whole test suite
# --------------------------------------------------------------------------------------
def _integration(session: nox.Session, backend: str) -> None:
    # Editable here (the per-package sessions use wheels), so CI proves the split `cornu`
    # namespace both ways.  Both frameworks: tests compare against Keras 3 on each.
    install_editable(
        session, [*PACKAGES, TEST_PLUGIN], *TEST_DEPS, *PARALLEL_DEPS, *REFERENCE_DEPS, "torch",
        "tensorflow-cpu",
    )
    session.run("python", "-m", "pip", "check")
    modules = [m for p in PACKAGES for m in PACKAGES[p]["modules"]]
    check(session, "origin", "src", *modules)
    # The other backend's own tests belong to its sessions, not to this one.
    other = next(p for b, p in BACKEND_PACKAGE.items() if b != backend)
    # One worker per core (`-n auto`): the suite is most of CI's time.  Each worker is a
    # process of its own, so a test's framework state never leaks into another worker.
    run_pytest(session, [TESTS_DIR], backend, f"--ignore={(TESTS_DIR / other).relative_to(ROOT)}",
               "-n", "auto")


@nox.session(name="integration-torch")
def integration_torch(session: nox.Session) -> None:
    """All packages (editable) + Keras; the whole tests/ with CORNU_BACKEND=torch."""
    _integration(session, "torch")


@nox.session(name="integration-tensorflow")
def integration_tensorflow(session: nox.Session) -> None:
    """All packages (editable) + Keras; the whole tests/ with CORNU_BACKEND=tensorflow."""
    _integration(session, "tensorflow")


# --------------------------------------------------------------------------------------
# wheels: build all, check contents and entry points, core alone, then a tiny fit
# --------------------------------------------------------------------------------------
def _read_entry_points(zf: zipfile.ZipFile, name: str) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # keep names as written
    parser.read_string(zf.read(name).decode())
    return {sec: {k: v.strip() for k, v in parser[sec].items()} for sec in parser.sections()}


def _check_wheel_contents(session: nox.Session, wheels: dict[str, Path]) -> None:
    owners: dict[str, str] = {}
    problems: list[str] = []
    for pkg, wheel in wheels.items():
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            for name in names:
                if name in owners:
                    problems.append(f"{name} is in both {owners[name]} and {wheel.name}")
                owners[name] = wheel.name
            if pkg != "core" and "cornu/__init__.py" in names:
                problems.append(f"{wheel.name} ships cornu/__init__.py (only cornu-core may)")
            if "cornu/backends/__init__.py" in names:
                problems.append(f"{wheel.name} ships cornu/backends/__init__.py (must not exist)")
            at_root = sorted(n for n in names if "/" not in n)
            if at_root != sorted(ROOT_FILES.get(pkg, [])):
                problems.append(f"{wheel.name} has {at_root} at the site-packages root, "
                                f"expected {sorted(ROOT_FILES.get(pkg, []))}")
            for module in PACKAGES[pkg]["modules"]:
                typed = module.replace(".", "/") + "/py.typed"
                if typed not in names:
                    problems.append(f"{wheel.name} lacks {typed}")
            dist_info = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
            eps = _read_entry_points(zf, dist_info[0]) if dist_info else {}
            if eps != ENTRY_POINTS[pkg]:
                problems.append(
                    f"{wheel.name} entry points {eps} != expected {ENTRY_POINTS[pkg]}"
                )
            meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
            meta = email.parser.Parser().parsestr(zf.read(meta_name).decode())
            requires = meta.get_all("Requires-Dist") or []
            wanted = [dist_name(d) + VERSION_PIN for d in PACKAGES[pkg]["needs"]]
            for want in wanted:
                if want not in requires:
                    problems.append(f"{wheel.name} does not require {want} (has {requires})")
            session.log(f"{wheel.name}: {len(names)} files, entry points ok")
    if problems:
        session.error("wheel check failed:\n  " + "\n  ".join(problems))
    session.log(f"{len(owners)} file paths in {len(wheels)} wheels, none shared")


@nox.session
def wheels(session: nox.Session) -> None:
    """Build every wheel; no shared paths, exact entry points; core alone; fit; mixed install."""
    built = build_wheels(session, PACKAGES)
    _check_wheel_contents(session, built)

    # cornu-core alone: `import cornu` is light and imports no framework.
    pip_install(session, str(built["core"]))
    session.run("python", "-m", "pip", "check")
    check(session, "import-light")
    check(session, "missing-family", "layers")
    check(session, "no-backend")
    # The wheel's .pth: CORNU_ALIAS_KERAS=1 makes `import keras` cornu at start-up.
    session.run("python", "-c", "import keras; assert keras.__name__ == 'cornu', keras",
                env={"CORNU_ALIAS_KERAS": "1"})

    # Everything + the torch backend (a bare cornu-backend-tf: no TensorFlow gets pulled in).
    pip_install(session, *(str(w) for p, w in built.items() if p != "core"))
    session.run("python", "-m", "pip", "check")
    check(session, "import-light")  # torch is installed now, and still not imported
    session.run("cornu", "plugins", env={"CORNU_BACKEND": "torch"})
    check(session, "tiny-fit", env={"CORNU_BACKEND": "torch"})

    # Uninstalling a family must leave the core intact (no shared files were overwritten).
    session.run("python", "-m", "pip", "uninstall", "-y", "-q", "cornu-layers")
    check(session, "import-light")
    check(session, "missing-family", "layers")

    # A mixed install: the core from its wheel, cornu.layers editable from packages/layers/src.
    install_editable(session, ["layers"])
    check(session, "origin", "site", "cornu")
    check(session, "origin", "src", "cornu.layers")
    check(session, "tiny-fit", env={"CORNU_BACKEND": "torch"})


# --------------------------------------------------------------------------------------
# plugins: third-party distributions installed from their folders next to cornu's wheels
# --------------------------------------------------------------------------------------
EXAMPLES_DIR = ROOT / "examples"
PLUGIN_TEMPLATE_DIR = EXAMPLES_DIR / "plugin-template"  # distribution cornu-plugin-template
NUMPY_BACKEND_DIR = EXAMPLES_DIR / "backend-numpy"  # distribution cornu-backend-numpy

#: What `cornu plugins --json` and the registry must say with the template installed
#: (present) or uninstalled (absent).  Runs in the session's venv.
_TEMPLATE_STATE = """
import json, subprocess, sys
want = sys.argv[1] == "present"
data = json.loads(subprocess.check_output(["cornu", "plugins", "--json"]))
listed = {p["distribution"]: p for p in data["plugins"]}
assert ("cornu-plugin-template" in listed) == want, sorted(listed)
assert not data["failures"] and not data["conflicts"], (data["failures"], data["conflicts"])
if want:
    registered = listed["cornu-plugin-template"]["registered"]
    assert registered["layer"] == ["GatedDense"], registered
    assert listed["cornu-plugin-template"]["hookspec_version"] == [1]
import numpy as np
import cornu
from cornu.plugins import registry
for kind, name in [("layer", "GatedDense"), ("optimizer", "sign_sgd"), ("loss", "pseudo_huber"),
                   ("metric", "within_tolerance"), ("activation", "bent_identity"),
                   ("callback", "StopAtLoss"), ("dataset", "two_spirals")]:
    assert (registry.lookup(kind, name) is not None) == want, (kind, name)
model = cornu.Sequential([cornu.Input((2,)), cornu.layers.Dense(1)])
try:
    model.compile(optimizer="sign_sgd", loss="mse")
except ValueError as err:
    assert not want and "Unknown optimizer: 'sign_sgd'" in str(err), err
else:
    assert want, "sign_sgd resolved without the plugin"
print("template", "present" if want else "absent", "as expected")
"""


@nox.session
def plugins(session: nox.Session) -> None:
    """examples/plugin-template and examples/backend-numpy installed from their folders.

    One fresh venv: cornu's wheels (both backends) + the two example distributions.  The
    template's tests on torch and tensorflow; the NumPy backend's tests (models trained
    with torch and with TensorFlow predict the same on numpy); then uninstalling the
    template changes what `cornu plugins` lists and what names resolve.
    """
    pkgs = ["core", "layers", "optimizers", "metrics", "callbacks", "backend-torch", "backend-tf"]
    wheels = build_wheels(session, pkgs)
    # The build backend in the venv: the examples build from their folders without
    # fetching an isolated build environment.
    pip_install(session, "hatchling")
    reqs = [wheel_req(p, w, "[cpu]" if p == "backend-tf" else "") for p, w in wheels.items()]
    pip_install(session, "--no-build-isolation", *reqs, str(PLUGIN_TEMPLATE_DIR),
                str(NUMPY_BACKEND_DIR), *TEST_DEPS)
    session.run("python", "-m", "pip", "check")
    session.run("cornu", "plugins")
    session.run("python", "-c", _TEMPLATE_STATE, "present")
    for backend in BACKEND_PACKAGE:
        run_pytest(session, [PLUGIN_TEMPLATE_DIR / "tests"], backend,
                   report=f"{session.name}-template-{backend}")
    run_pytest(session, [NUMPY_BACKEND_DIR / "tests"], "numpy",
               report=f"{session.name}-backend-numpy")
    run_conformance(session, "numpy", NUMPY_BACKEND_DIR / "conformance-expected-failures.txt",
                    report=f"{session.name}-backend-numpy-conformance")
    session.run("python", "-m", "pip", "uninstall", "-y", "-q", "cornu-plugin-template")
    session.run("python", "-c", _TEMPLATE_STATE, "absent")


# --------------------------------------------------------------------------------------
# conformance-<backend>: cornu-core's backend conformance suite, as a backend author runs it
# --------------------------------------------------------------------------------------
def run_conformance(session: nox.Session, backend: str, expected_failures: Path | None = None,
                    report: str | None = None) -> None:
    """``pytest -p cornu.testing.backend_conformance --cornu-backend NAME`` (the suite
    ships in cornu-core; docs/plugins.md)."""
    REPORTS.mkdir(exist_ok=True)
    home = Path(session.create_tmp()).resolve() / "cornu-home"
    home.mkdir(exist_ok=True)
    args = ["-p", "cornu.testing.backend_conformance", "--cornu-backend", backend]
    if expected_failures is not None:
        args.append(f"--cornu-expected-failures={expected_failures}")  # '=': not a rootdir arg
    session.run("pytest", *args, f"--junitxml={REPORTS / ((report or session.name) + '.xml')}",
                *session.posargs, env={"CORNU_HOME": str(home)})


def _conformance(session: nox.Session, backend: str) -> None:
    # From wheels, cornu-core with its `testing` extra: the suite runs from site-packages.
    pkgs = ["core", "layers", "optimizers", "metrics", BACKEND_PACKAGE[backend]]
    wheels = build_wheels(session, pkgs)
    extras = {"core": "[testing]", "backend-tf": "[cpu]"}
    pip_install(session, *(wheel_req(p, w, extras.get(p, "")) for p, w in wheels.items()))
    session.run("python", "-m", "pip", "check")
    run_conformance(session, backend)


@nox.session(name="conformance-torch")
def conformance_torch(session: nox.Session) -> None:
    """The backend conformance suite on cornu-backend-torch (wheels, cornu-core[testing])."""
    _conformance(session, "torch")


@nox.session(name="conformance-tensorflow")
def conformance_tensorflow(session: nox.Session) -> None:
    """The backend conformance suite on cornu-backend-tf (wheels, cornu-core[testing])."""
    _conformance(session, "tensorflow")


# --------------------------------------------------------------------------------------
# docs: the documentation site, built with --strict
# --------------------------------------------------------------------------------------
@nox.session
def docs(session: nox.Session) -> None:
    """mkdocs build --strict (mkdocs.yml, docs/) into a temp dir: links, nav, API reference.

    cornu-core and the families are installed editable as in the integration sessions
    (the API reference reads the sources statically, so no framework is needed); a
    broken link, a page missing from the nav or a docstring reference that does not
    resolve fails the build.  The guides' code runs in tests/docs, on both backends, in
    the integration sessions.  `-- --verbose` etc. go to mkdocs.
    """
    install_editable(session, ["core", *FAMILIES], *DOCS_DEPS)
    session.run("python", "-m", "pip", "check")
    site = Path(session.create_tmp()).resolve() / "site"
    shutil.rmtree(site, ignore_errors=True)
    session.run(
        "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
        "--site-dir", str(site), *session.posargs,
        env={"NO_MKDOCS_2_WARNING": "1"},  # Material's notice about MkDocs 2, not ours
    )
    session.log(f"site built in {site}")


# --------------------------------------------------------------------------------------
# lint, demo, bench
# --------------------------------------------------------------------------------------
@nox.session
def lint(session: nox.Session) -> None:
    """ruff check (config: ruff.toml), then the import rules (importlinter.ini)."""
    pip_install(session, "ruff", "import-linter")
    targets = ["packages", "tests", "benchmarks", "examples", "scripts", "noxfile.py"]
    targets = [t for t in targets if (ROOT / t).exists()]
    session.run("ruff", "check", *targets, *session.posargs)
    session.run("python", "scripts/lint_imports.py")


@nox.session(default=False, reuse_venv=True)
def demo(session: nox.Session) -> None:
    """examples/fashion_mnist.py with CORNU_BACKEND (default torch); `-- --epochs 3` etc.

    Uses the offline copy ../shared/data/fashion-mnist as CORNU_DATASETS_MIRROR when it
    exists (and the variable is not set already); otherwise the loader downloads.
    """
    backend = os.environ.get("CORNU_BACKEND", "torch")
    if backend not in BACKEND_PACKAGE:
        session.error(f"CORNU_BACKEND={backend!r}: the demo knows {sorted(BACKEND_PACKAGE)}")
    install_editable(session, ["core", *FAMILIES, BACKEND_PACKAGE[backend]], "matplotlib")
    env = {"CORNU_BACKEND": backend, **shared_data_env("fashion-mnist")}
    if "CORNU_DATASETS_MIRROR" in env:
        session.log(f"offline mirror: CORNU_DATASETS_MIRROR={env['CORNU_DATASETS_MIRROR']}")
    session.run("python", "examples/fashion_mnist.py", *session.posargs, env=env)


@nox.session(default=False, reuse_venv=True)
def bench(session: nox.Session) -> None:
    """benchmarks/run.py: cornu vs Keras 3 vs hand-written loops; posargs go to the script."""
    install_editable(session, PACKAGES, "keras", "torch", "tensorflow-cpu")
    session.run("python", "benchmarks/run.py", *session.posargs, env=shared_data_env())


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """tests/integration/test_fuzz_loading.py on CORNU_FUZZ_FILES (default 1000) mutated
    .keras/.weights.h5/.h5 files, on torch and on tensorflow (the integration sessions run
    200 of them)."""
    install_editable(session, [*PACKAGES, TEST_PLUGIN], *TEST_DEPS, "torch", "tensorflow-cpu")
    session.run("python", "-m", "pip", "check")
    session.env["CORNU_FUZZ_FILES"] = os.environ.get("CORNU_FUZZ_FILES", "1000")
    for backend in BACKEND_PACKAGE:
        run_pytest(session, [TESTS_DIR / "integration" / "test_fuzz_loading.py"], backend,
                   report=f"{session.name}-{backend}")


# --------------------------------------------------------------------------------------
# peers: Keras-based libraries' own test suites, on Keras 3 and on cornu (not default)
# --------------------------------------------------------------------------------------
#: The releases whose suites run (scripts/peers.py knows their tests), and what they
#: need at run time.  They install without their declared dependencies: keras-tcn
#: declares tensorflow-macos, keras-hub tensorflow-text, which would pull the full
#: tensorflow next to tensorflow-cpu (tensorflow-text itself runs on tensorflow-cpu).
PEER_LIBRARIES = ["keras-tuner", "keras-rs", "keras-hub", "scikeras", "keras-tcn",
                  "tensorflow-text"]
PEER_DEPS = [
    "keras", "torch", "tensorflow-cpu", "pytest",
    "kt-legacy", "requests", "packaging", "portpicker", "pandas", "scikit-learn", "scipy",
    "ml-dtypes", "absl-py", "rich", "regex", "kagglehub", "kagglesdk", "sentencepiece",
    "tokenizers", "grain", "h5py", "numpy",
]


@nox.session(default=False)
def peers(session: nox.Session) -> None:
    """KerasTuner, KerasRS, KerasHub (bert, resnet, layers), SciKeras and keras-tcn: their
    own test suites with Keras 3 and with cornu (CORNU_ALIAS_KERAS=1), torch and
    tensorflow; a table of passes.  `-- CHECKOUTS [scripts/peers.py options]`: CHECKOUTS
    holds checkouts of the libraries' repositories at the released tags (their tests
    ship in no wheel; see scripts/peers.py)."""
    if not session.posargs:
        session.error("usage: nox -s peers -- CHECKOUTS [scripts/peers.py options]")
    wheels = build_wheels(session, PACKAGES)
    reqs = [wheel_req(p, w, "[cpu]" if p == "backend-tf" else "") for p, w in wheels.items()]
    pip_install(session, *reqs, *PEER_DEPS)
    pip_install(session, "--no-deps", *PEER_LIBRARIES)
    work = Path(session.create_tmp()).resolve() / "peers"
    checkouts, *rest = session.posargs
    session.run("python", str(ROOT / "scripts" / "peers.py"), str(Path(checkouts).resolve()),
                "--work", str(work), *rest,
                env={"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")})
