"""Run Keras-style programs on Keras 3 or on cornu and write what they computed.

Usage (one process per library and backend; the backend comes from the
environment: ``KERAS_BACKEND`` for Keras, ``CORNU_BACKEND`` for cornu)::

    python _runner.py --library cornu|keras --out result.json prog1.py prog2.py ...

For ``--library cornu`` the runner calls ``cornu.alias_keras()`` before
anything else, so the programs' ``import keras`` gets cornu.  Each program
runs with ``runpy.run_path`` in fresh globals, in its own empty working
directory; an exception (or ``SystemExit``) is recorded and the next program
runs.  The JSON written maps each program's file name to::

    {"ok": bool, "result": RESULT (arrays as lists), "error": the traceback's
     last lines or null, "error_first_line": its last line (failures only),
     "tolerance": TOLERANCE or null, "seconds": float}

``RESULT`` is the module-level dict every program must assign at its end;
``TOLERANCE`` (optional, ``{"rtol": .., "atol": ..}``) widens the comparison
for a program whose numbers legitimately drift (see test_programs.py).
"""
import argparse
import json
import math
import os
import runpy
import sys
import tempfile
import time
import traceback

ERROR_LINES = 20  # the traceback's last lines kept per failing program


def to_jsonable(value):
    """RESULT values as JSON: arrays and tensors become (nested) lists."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    import numpy as np

    array = np.asarray(value)
    if array.dtype.kind in "biuf":
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            return {"__nonfinite__": repr(array.tolist())}
        return array.tolist()
    if array.dtype.kind in "US":
        return array.tolist()
    raise TypeError(f"RESULT holds a {type(value).__name__}, not a number, array or string")


def run_program(path):
    """Run one program; return its record (never raises)."""
    start = time.perf_counter()
    record = {"ok": False, "result": None, "tolerance": None, "error": None}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="cornu-program-") as workdir:
        os.chdir(workdir)
        try:
            namespace = runpy.run_path(path, run_name="__main__")
            if "RESULT" not in namespace:
                raise RuntimeError("the program assigned no module-level RESULT")
            record["result"] = to_jsonable(namespace["RESULT"])
            record["tolerance"] = to_jsonable(namespace.get("TOLERANCE"))
            record["ok"] = True
        except BaseException as err:  # noqa: BLE001 - SystemExit too: the next program runs
            if isinstance(err, KeyboardInterrupt):
                raise
            lines = traceback.format_exception(type(err), err, err.__traceback__)
            text = "".join(lines).rstrip().splitlines()
            record["error"] = "\n".join(text[-ERROR_LINES:])
            message = f"{type(err).__module__}.{type(err).__qualname__}: {err}"
            message = message.removeprefix("builtins.")
            record["error_first_line"] = message.strip().splitlines()[0] if message.strip() else ""
        finally:
            os.chdir(cwd)
    record["seconds"] = round(time.perf_counter() - start, 3)
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", choices=("cornu", "keras"), required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("programs", nargs="+")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    if args.library == "cornu":
        import cornu

        cornu.alias_keras()
    import keras  # the real one, or cornu under the alias

    # Make sure each library is the one it claims to be.
    if args.library == "cornu":
        assert keras is sys.modules["cornu"], keras
    else:
        assert keras.__name__ == "keras" and "cornu" not in sys.modules, keras
    print(f"[{args.library}] keras is {keras.__name__} from {os.path.dirname(keras.__file__)}, "
          f"backend {keras.config.backend()}", file=sys.stderr, flush=True)

    results = {}
    for program in args.programs:
        path = os.path.abspath(program)
        name = os.path.basename(path)
        print(f"[{args.library}] {name} ...", file=sys.stderr, flush=True)
        results[name] = run_program(path)
        status = "ok" if results[name]["ok"] else results[name]["error_first_line"]
        print(f"[{args.library}] {name}: {status} ({results[name]['seconds']}s)",
              file=sys.stderr, flush=True)
        clear = getattr(getattr(keras, "utils", None), "clear_session", None)
        if callable(clear):
            try:
                clear()
            except Exception:  # noqa: BLE001 - hygiene only
                pass
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    failed = sorted(name for name, record in results.items() if not record["ok"])
    print(f"[{args.library}] {len(results) - len(failed)}/{len(results)} programs ran "
          f"in {time.perf_counter() - start:.1f}s; failed: {failed}", file=sys.stderr)


if __name__ == "__main__":
    main()
