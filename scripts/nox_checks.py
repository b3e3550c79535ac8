"""Install checks that noxfile.py runs inside a session's virtual environment.

    python scripts/nox_checks.py origin site|src MODULE...   where each module was imported from
    python scripts/nox_checks.py import-light                `import cornu`: no framework, no family
    python scripts/nox_checks.py missing-family FAMILY       cornu.FAMILY absent -> clear error
    python scripts/nox_checks.py tiny-fit                    Sequential/compile/fit, one epoch

Standard library only (plus numpy and cornu for tiny-fit): it runs in the venv under test.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import sysconfig

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
FRAMEWORKS = ("torch", "tensorflow")


def origin(where: str, *modules: str) -> None:
    """Check that each module comes from site-packages (wheels) or packages/*/src (editable)."""
    site = os.path.realpath(sysconfig.get_paths()["purelib"])
    src = os.path.join(ROOT, "packages")
    expected = site if where == "site" else src
    for name in modules:
        mod = importlib.import_module(name)
        if getattr(mod, "__file__", None):
            paths = [os.path.dirname(mod.__file__)]
        else:  # a namespace portion (e.g. a family with no __init__.py yet)
            paths = list(mod.__path__)
        paths = [os.path.realpath(p) for p in paths]
        print(f"{name:28} {paths[0]}")
        wrong = [p for p in paths if not p.startswith(expected + os.sep)]
        if wrong:
            sys.exit(f"{name} was imported from {wrong}; expected it under {expected}")


def import_light() -> None:
    """`import cornu` in a fresh interpreter imports neither torch, tensorflow nor a family.

    What it imports, not how long it takes: a check must not fail on a slow machine. The time
    is measured by ``benchmarks/import_time.py``.
    """
    probe = (
        "import sys\n"
        "import cornu\n"
        f"heavy = [m for m in {FRAMEWORKS!r} if m in sys.modules]\n"
        "heavy += [f'cornu.{f}' for f in sorted(cornu._FAMILIES) if f'cornu.{f}' in sys.modules]\n"
        "print(*heavy)\n"
    )
    heavy = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()
    if heavy:
        sys.exit(f"`import cornu` imported {heavy}: the core must import no framework or family")
    print("import cornu: imports neither torch, tensorflow nor a family")


def missing_family(family: str) -> None:
    """With cornu-<family> not installed, cornu.<family> names the distribution to install."""
    import cornu

    dist = "cornu-metrics" if family == "losses" else f"cornu-{family}"
    try:
        getattr(cornu, family)
    except ModuleNotFoundError as err:
        if f"pip install {dist}" not in str(err):
            sys.exit(f"the error for a missing cornu.{family} does not say `pip install {dist}`: {err}")
        print(f"missing family, as expected: {err}")
    else:
        sys.exit(f"cornu.{family} resolved although {dist} is not installed")


def no_backend() -> None:
    """With no backend installed, the first op says which distribution to install."""
    import cornu

    try:
        cornu.ops.add(1, 2)
    except ImportError as err:
        if "No cornu backend is installed: pip install cornu-backend-torch" not in str(err):
            sys.exit(f"the error without a backend does not name the distribution: {err}")
        print(f"no backend, as expected: {err}")
    else:
        sys.exit("cornu.ops.add ran although no backend is installed")


def tiny_fit() -> None:
    """The smallest end-to-end run: two Dense layers, SGD + MSE, one epoch on random data."""
    import numpy as np

    import cornu

    model = cornu.Sequential([cornu.layers.Dense(4, activation="relu"), cornu.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.random((64, 8), dtype=np.float32)
    y = rng.random((64, 1), dtype=np.float32)
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    loss = history.history["loss"]
    if len(loss) != 1 or not np.isfinite(loss[0]):
        sys.exit(f"unexpected History.history: {history.history}")
    print(f"tiny fit on {cornu.config.backend()}: loss {loss[0]:.4f}")


COMMANDS = {
    "origin": origin,
    "import-light": import_light,
    "missing-family": missing_family,
    "tiny-fit": tiny_fit,
    "no-backend": no_backend,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
