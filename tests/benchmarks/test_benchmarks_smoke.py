"""The benchmarks run (benchmarks/run.py, benchmarks/gpu.py), with tiny sizes, so they do
not rot: each section as a subprocess on this process's backend, exit code 0 and the
printed tables with the expected rows.  The figures themselves mean nothing here.

tests/benchmarks is collected by the integration sessions only (everything installed:
both frameworks and Keras 3, which the benchmarks compare against).  The sections are
separate tests so that pytest-xdist spreads them over the workers.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("keras")
pytest.importorskip("cornu.layers")
pytest.importorskip("cornu.optimizers")

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
TINY = ["--samples", "64", "--repeats", "1", "--quick", "--models", "mlp"]
NUMBER = r"-?\d+\.\d+"


def _run(script, *args, tmp_path):
    out = tmp_path / "results.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, str(BENCHMARKS / script), *args, "--json", str(out)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout, json.loads(out.read_text())


def _rows(stdout, title):
    """The lines of the table whose title starts with ``title`` (header excluded)."""
    lines = stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(title)]
    assert starts, f"no table {title!r} in:\n{stdout}"
    rows = []
    for line in lines[starts[0] + 2:]:
        if not line.strip():
            break
        rows.append(line.split())
    return rows


def _numbers(cells):
    return [c for c in cells if re.fullmatch(NUMBER, c)]


def test_train_and_predict(backend_name, tmp_path):
    stdout, results = _run("run.py", *TINY, "--backends", backend_name,
                           "--sections", "train,predict", tmp_path=tmp_path)
    train = _rows(stdout, "train: one epoch, 64 samples")
    assert [r[:2] for r in train] == [[backend_name, "mlp"]]
    assert len(_numbers(train[0])) == 5  # hand, cornu, keras, the two ratios
    params = results[backend_name]["speed"]["mlp"]["params"]
    assert params["hand"] == params["cornu"] == params["keras"] == 266610  # the same model
    predict = _rows(stdout, "predict: 301 samples, batch 256 (the last 45 partial)")
    assert [r[:2] for r in predict] == [[backend_name, "mlp"]]
    assert len(_numbers(predict[0])) == 5
    if backend_name == "tensorflow":  # one trace for the full and the partial batches
        assert " ".join(predict[0]).endswith("1 (0 retracing warnings)"), predict


def test_input_pipelines(backend_name, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("tensorflow")
    stdout, _ = _run("run.py", *TINY, "--backends", backend_name, "--sections", "pipeline",
                     tmp_path=tmp_path)
    rows = _rows(stdout, "pipeline: one fit epoch of mlp")
    assert [r[:2] for r in rows] == [[backend_name, feed] for feed in
                                     ("numpy", "tf.data", "DataLoader", "PyDataset")]
    assert all(len(_numbers(r)) == 5 for r in rows), rows


def test_memory(backend_name, tmp_path):
    stdout, results = _run("run.py", *TINY, "--backends", backend_name, "--sections", "memory",
                           tmp_path=tmp_path)
    peak = _rows(stdout, "memory: peak RSS")
    assert [r[:2] for r in peak] == [[backend_name, "mlp"]]
    growth = _rows(stdout, "memory: RSS growth")
    assert [" ".join(r[:3]) for r in growth] == [f"{backend_name} fit 2", f"{backend_name} 20 predicts"]
    for contender, r in results[backend_name]["memory"]["mlp"].items():
        assert r["peak"] >= r["setup"] > 0, (contender, r)


def test_startup(backend_name, tmp_path):
    stdout, _ = _run("run.py", *TINY, "--backends", backend_name, "--sections", "startup",
                     tmp_path=tmp_path)
    rows = _rows(stdout, "startup: fresh interpreter")
    assert [r[:2] for r in rows] == [[backend_name, "plain"], [backend_name, "cornu"],
                                     [backend_name, "keras"]]


def test_gpu_script_on_the_cpu(backend_name, tmp_path):
    if backend_name != "torch":
        pytest.skip("benchmarks/gpu.py runs cornu on torch (the torch session runs it)")
    stdout, results = _run("gpu.py", *TINY, "--device", "cpu", tmp_path=tmp_path)
    assert set(results) == {"float32", "mixed_bfloat16"}
    train = _rows(stdout, "train: one epoch, 64 samples")
    assert [r[:3] for r in train] == [["cpu", "float32", "mlp"], ["cpu", "mixed_bfloat16", "mlp"]]
    predict = _rows(stdout, "predict: 301 samples")
    assert [r[:3] for r in predict] == [["cpu", "float32", "mlp"],
                                        ["cpu", "mixed_bfloat16", "mlp"]]
    assert all(len(_numbers(r)) == 5 for r in train + predict)
