"""Load mutated files, one after another, in one process (tests/integration/test_fuzz_loading.py).

Usage: fuzz_load.py JOB.json RESULTS.jsonl

JOB.json: {"models": {name: good .keras path}, "files": [[path, kind, model], ...],
"per_file_s": seconds}.  For each file, a line ``{"i": i, "start": true}`` and then
``{"i": i, "outcome": "loaded" | "error", ...}`` is appended to RESULTS.jsonl (flushed),
so the parent knows which file a hang or a crash belongs to.  A per-file watchdog
(faulthandler) ends the process, with every thread's traceback on stderr, when one load
takes longer than ``per_file_s``: the parent reads that as a hang.
"""
import faulthandler
import json
import resource
import sys
import time

import numpy as np

import cornu

job = json.load(open(sys.argv[1]))
out = open(sys.argv[2], "a")
per_file_s = float(job["per_file_s"])


def emit(record):
    out.write(json.dumps(record) + "\n")
    out.flush()


def max_rss_bytes(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss * 1024  # kilobytes on Linux


models = {}
inputs = {}
for name, path in job["models"].items():
    model = cornu.saving.load_model(path, compile=False)
    models[name] = model
    (tensor,) = model.inputs  # the test's models have one input each
    inputs[name] = np.ones((1, *tensor.shape[1:]), tensor.dtype)
    model(inputs[name])  # the framework's thread pools, started once
baseline = max_rss_bytes()

for i, (path, kind, model_name) in enumerate(job["files"]):
    emit({"i": i, "start": True})
    faulthandler.dump_traceback_later(per_file_s, exit=True)
    started = time.perf_counter()
    record = {"i": i}
    try:
        if kind in ("weights", "legacy-weights"):
            model = models[model_name]
            model.load_weights(path)
        else:
            model = cornu.saving.load_model(path)
        model(inputs[model_name])  # a loaded model must run (eager: no tracing per file)
    except BaseException as err:  # noqa: BLE001 - the parent classifies what escaped
        record.update(outcome="error", type=type(err).__name__,
                      mro=[c.__name__ for c in type(err).__mro__],
                      names_file=path in str(err), message=str(err)[:400])
    else:
        record.update(outcome="loaded")
    faulthandler.cancel_dump_traceback_later()
    record.update(seconds=round(time.perf_counter() - started, 3),
                  rss_growth=max_rss_bytes() - baseline,
                  child_rss=max_rss_bytes(resource.RUSAGE_CHILDREN))
    emit(record)
out.close()
