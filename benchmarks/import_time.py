"""Import time: ``import cornu`` against ``import torch`` / ``import tensorflow``.

Every figure is one fresh interpreter (``python -c``) timing its own import with
``time.perf_counter`` (the interpreter's start-up is left out), best of ``--repeats``.
Rows, for each backend in ``--backends``:

* ``import cornu``: the core alone (it imports no framework; the suite checks *that*,
  this script measures how long it takes);
* ``import <framework>``: the framework alone;
* ``import cornu + first op``: ``import cornu; cornu.ops.add(1, 1)`` with
  ``CORNU_BACKEND=<backend>``, which loads the framework; the ``over`` column is what
  cornu adds to the framework's own import.

    python benchmarks/import_time.py                          # torch, best of 3 (about 10 s)
    python benchmarks/import_time.py --backends torch,tensorflow --repeats 5
    python benchmarks/import_time.py --backends ""            # import cornu only (< 1 s)

Seconds on a loaded machine say little: time on a quiet one. Nothing here is a pass/fail
check (tests assert what an import loads, never how long it takes).
"""
import argparse
import json
import os
import subprocess
import sys

FRAMEWORK = {"torch": "torch", "tensorflow": "tensorflow"}
_PROBE = (
    "import sys, time\n"
    "before = len(sys.modules)\n"
    "t = time.perf_counter()\n"
    "{code}\n"
    "dt = time.perf_counter() - t\n"
    "print(dt, len(sys.modules) - before)\n"
)


def timed(code, repeats, env=None):
    """``(best seconds, modules loaded)`` of ``code`` over ``repeats`` fresh interpreters."""
    best, modules = float("inf"), 0
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _PROBE.format(code=code)], check=True,
                             capture_output=True, text=True,
                             env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})})
        dt, count = out.stdout.split()
        if float(dt) < best:
            best, modules = float(dt), int(count)
    return best, modules


def main():
    parser = argparse.ArgumentParser(description="cornu import-time benchmark")
    parser.add_argument("--backends", default="torch",
                        help="comma-separated: torch, tensorflow ('' for cornu alone)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    rows = [("import cornu", *timed("import cornu", args.repeats), None)]
    for backend in backends:
        framework = FRAMEWORK[backend]
        alone = timed(f"import {framework}", args.repeats)
        both = timed("import cornu; cornu.ops.add(1, 1)", args.repeats,
                     env={"CORNU_BACKEND": backend})
        rows.append((f"import {framework}", *alone, None))
        rows.append((f"import cornu + first op ({backend})", *both, both[0] - alone[0]))
    if args.json:
        print(json.dumps([dict(row=r, seconds=s, modules=m, over_framework=o)
                          for r, s, m, o in rows], indent=1))
        return
    print(f"best of {args.repeats} fresh interpreters")
    print(f"{'':34} {'ms':>8} {'modules':>8} {'over':>8}")
    for name, seconds, modules, over in rows:
        extra = f"{over * 1000:+8.0f}" if over is not None else ""
        print(f"{name:34} {seconds * 1000:8.0f} {modules:8d} {extra}")


if __name__ == "__main__":
    main()
