"""Fuzzing the loaders: mutated ``.keras``, ``.weights.h5`` and legacy ``.h5`` files.

The test saves a few small models in every format, then makes mutants of those files
(bit flips, truncations, swapped, zeroed and copied blocks; for ``.keras`` also
mutants of the inner ``model.weights.h5`` and ``config.json`` zipped again with valid
CRCs, so that the mutation reaches the HDF5 and JSON parsers), with a fixed seed.
Every mutant is loaded in a worker process (tests/integration/workers/fuzz_load.py,
many files per worker, two workers at a time) with a per-file watchdog inside and a
timeout outside.  What must hold, for every file:

* no hang: no load outlives the watchdog (``PER_FILE_S``); cornu's own bounded HDF5
  reader (``cornu.saving.h5_reader``, limited to ``READER_TIMEOUT_S`` here) turns a
  libhdf5 loop into an error well before that;
* no crash: the worker never dies of a signal or an abort;
* no memory blow-up: the worker's peak RSS grows by less than ``MAX_RSS_GROWTH``;
* every failure is *a cornu error*: a ``ValueError`` or ``OSError`` (subclasses
  included, e.g. ``UnsafeFileError``, ``H5ReadError``, ``FileNotFoundError``) whose
  message contains the file's path.  A mutant that loads must predict.

``CORNU_FUZZ_FILES`` sets the number of mutants (default 200, about a minute on two
cores; ``nox -s fuzz`` runs 1000 on both backends); ``CORNU_FUZZ_SEED`` the seed.
"""
import json
import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import h5py
import numpy as np
import pytest

import cornu
from cornu import layers
from cornu.saving import legacy_h5

WORKER = Path(__file__).parent / "workers" / "fuzz_load.py"
FILES = int(os.environ.get("CORNU_FUZZ_FILES", "200"))
SEED = int(os.environ.get("CORNU_FUZZ_SEED", "22"))
WORKERS = 2
PER_FILE_S = 60.0
READER_TIMEOUT_S = 5.0
MAX_RSS_GROWTH = 1 << 30
CHUNK = max(20, min(250, -(-FILES // WORKERS)))  # one worker start per chunk

#: (kind, share of the mutants).  Kinds load with load_model except the weights ones.
KINDS = [("keras", 0.10), ("keras-inner", 0.25), ("keras-config", 0.05),
         ("weights", 0.25), ("legacy", 0.25), ("legacy-weights", 0.10)]


def _models():
    mlp = cornu.Sequential([cornu.Input((6,)), layers.Dense(8, activation="relu"),
                            layers.Dense(3)], name="mlp")
    image = cornu.Input((6, 6, 2))
    x = layers.Conv2D(3, 3, activation="relu")(image)
    x = layers.BatchNormalization()(x)
    x = layers.Flatten()(x)
    conv = cornu.Model(image, layers.Dense(2)(x), name="conv")
    tokens = cornu.Input((5,), dtype="int32")
    e = layers.GlobalAveragePooling1D()(layers.Embedding(10, 4)(tokens))
    branches = cornu.Model(tokens, layers.Add()([layers.Dense(3)(e), layers.Dense(3)(e)]),
                           name="branches")
    rng = np.random.default_rng(0)
    data = {"mlp": rng.normal(size=(8, 6)), "conv": rng.normal(size=(8, 6, 6, 2)),
            "branches": rng.integers(0, 10, (8, 5))}
    for model in (mlp, conv, branches):
        model.compile(optimizer="adam", loss="mse")
        y = np.zeros((8, *model.outputs[0].shape[1:]), "float32")
        model.fit(data[model.name], y, epochs=1, verbose=0)
    return [mlp, conv, branches]


def _legacy_model_file(model, path):
    """A whole model in the legacy HDF5 layout (what Keras 2 and 3 write for ``x.h5``)."""
    from cornu.saving import serialize_keras_object

    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "3.15.1"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = model.to_json()
        f.attrs["training_config"] = json.dumps({
            "loss": "mse", "metrics": None, "weighted_metrics": None, "loss_weights": None,
            "optimizer_config": serialize_keras_object(model.optimizer)})
        legacy_h5.save_weights_to_hdf5_group(f.create_group("model_weights"), model)


def _mutate(data, rng):
    """One mutation of ``data``: (bytes, what was done)."""
    data = bytearray(data)
    n = len(data)
    how = rng.choice(["flip", "flip", "flip", "truncate", "swap", "zero", "copy"])
    if how == "flip":
        count = int(rng.integers(1, 9))
        for position in rng.integers(0, n, count):
            data[position] ^= 1 << int(rng.integers(0, 8))
        return bytes(data), f"flip {count} bits"
    if how == "truncate":
        cut = int(rng.integers(0, n))
        return bytes(data[:cut]), f"truncate at {cut}"
    size = int(rng.integers(4, min(512, n // 4) + 1))
    a, b = (int(p) for p in rng.integers(0, n - size, 2))
    if how == "swap":
        block_a, block_b = data[a:a + size], data[b:b + size]
        data[a:a + size], data[b:b + size] = block_b, block_a
    elif how == "zero":
        data[a:a + size] = bytes(size)
    else:
        data[b:b + size] = data[a:a + size]
    return bytes(data), f"{how} {size} bytes at {a}/{b}"


def _rezip(members, replaced, data):
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, value in members.items():
            archive.writestr(name, data if name == replaced else value)
    return out.getvalue()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The good files ({model: {kind: bytes}}) and the mutants ([(path, kind, model, how)])."""
    root = tmp_path_factory.mktemp("fuzz")
    good = {}
    keras_paths = {}
    for model in _models():
        base = root / model.name
        model.save(f"{base}.keras")
        model.save_weights(f"{base}.weights.h5")
        legacy_h5.save_weights(model, f"{base}-weights.h5")
        _legacy_model_file(model, f"{base}-model.h5")
        with zipfile.ZipFile(f"{base}.keras") as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        good[model.name] = {
            "keras": Path(f"{base}.keras").read_bytes(), "members": members,
            "weights": Path(f"{base}.weights.h5").read_bytes(),
            "legacy-weights": Path(f"{base}-weights.h5").read_bytes(),
            "legacy": Path(f"{base}-model.h5").read_bytes(),
        }
        keras_paths[model.name] = f"{base}.keras"
    rng = np.random.default_rng(SEED)
    names = sorted(good)
    kinds = [k for k, _ in KINDS]
    shares = np.array([s for _, s in KINDS])
    mutants = []
    for i in range(FILES):
        kind = kinds[int(rng.choice(len(kinds), p=shares / shares.sum()))]
        model = names[int(rng.integers(0, len(names)))]
        files = good[model]
        if kind == "keras-inner":
            inner, how = _mutate(files["members"]["model.weights.h5"], rng)
            data = _rezip(files["members"], "model.weights.h5", inner)
        elif kind == "keras-config":
            inner, how = _mutate(files["members"]["config.json"], rng)
            data = _rezip(files["members"], "config.json", inner)
        else:
            data, how = _mutate(files[kind], rng)
        suffix = {"weights": ".weights.h5", "legacy": ".h5", "legacy-weights": ".h5"}
        path = root / f"m{i:05d}-{kind}-{model}{suffix.get(kind, '.keras')}"
        path.write_bytes(data)
        mutants.append((str(path), kind, model, how))
    return {"root": root, "models": keras_paths, "mutants": mutants}


def _run_chunk(root, models, chunk, index):
    """Run the worker over ``chunk`` until every file has an outcome; a worker that dies
    is restarted after the file it died on.  Returns {path: outcome record}."""
    results = {}
    remaining = list(chunk)
    attempt = 0
    env = dict(os.environ, CORNU_H5_TIMEOUT=str(READER_TIMEOUT_S), OMP_NUM_THREADS="1",
               TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
    while remaining:
        attempt += 1
        job = root / f"job{index}-{attempt}.json"
        out = root / f"results{index}-{attempt}.jsonl"
        job.write_text(json.dumps({"models": models, "per_file_s": PER_FILE_S,
                                   "files": [[p, k, m] for p, k, m, _ in remaining]}))
        outer = 120 + PER_FILE_S + 10 * len(remaining)
        try:
            proc = subprocess.run([sys.executable, str(WORKER), str(job), str(out)],
                                  env=env, capture_output=True, text=True, timeout=outer)
            code, stderr = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as err:
            code, stderr = "timeout", str(err.stderr or "")
        lines = [json.loads(line) for line in out.read_text().splitlines()] \
            if out.exists() else []
        done = {r["i"]: r for r in lines if "outcome" in r}
        started = [r["i"] for r in lines if r.get("start")]
        for i, record in done.items():
            results[remaining[i][0]] = record
        if len(done) == len(remaining):
            break
        if not started:  # the worker died before its first file: nothing to blame
            raise AssertionError(f"the fuzz worker failed to start ({code}):\n{stderr[-3000:]}")
        culprit = started[-1]
        what = "hang" if code == 1 and "Timeout" in stderr else \
            "hang (outer timeout)" if code == "timeout" else "crash"
        results[remaining[culprit][0]] = {"outcome": what, "code": code,
                                          "stderr": stderr[-2000:]}
        remaining = remaining[culprit + 1:]
    return results


def test_mutated_files_fail_cleanly(corpus):
    mutants = corpus["mutants"]
    chunks = [mutants[i:i + CHUNK] for i in range(0, len(mutants), CHUNK)]
    with ThreadPoolExecutor(WORKERS) as pool:
        parts = pool.map(lambda a: _run_chunk(corpus["root"], corpus["models"], *a),
                         [(c, i) for i, c in enumerate(chunks)])
        results = {path: record for part in parts for path, record in part.items()}
    problems = []
    tally = {}
    for path, kind, _, how in mutants:
        record = results[path]
        outcome = record["outcome"]
        if outcome == "error":
            cornu_error = bool({"ValueError", "OSError"} & set(record["mro"])) \
                and record["names_file"]
            if not cornu_error:
                outcome = "not a cornu error"
            elif "could not be read within" in record["message"]:
                outcome = "bounded"  # the reader's limits stopped it: a clear error
        if outcome in ("loaded", "error", "bounded") and record["rss_growth"] > MAX_RSS_GROWTH:
            outcome = "memory blow-up"
        tally.setdefault(kind, {}).setdefault(outcome, 0)
        tally[kind][outcome] += 1
        if outcome not in ("loaded", "error", "bounded"):
            problems.append(f"{outcome}: {path} ({how}): "
                            f"{record.get('type', '')} {record.get('message', '')}"
                            f"{record.get('stderr', '')[-600:]}")
    summary = json.dumps(tally, sort_keys=True)
    print(f"{len(mutants)} mutants (seed {SEED}): {summary}")
    for path, _, _, how in mutants:
        if "could not be read within" in results[path].get("message", ""):
            print("bounded:", path, how)
    assert not problems, f"{len(problems)} of {len(mutants)} mutants: {summary}\n" + \
        "\n".join(problems[:20])
    # The corpus reaches the parsers: most mutants are refused, some still load.
    refused = sum(n for kinds in tally.values() for o, n in kinds.items() if o != "loaded")
    assert refused >= len(mutants) // 4, summary
