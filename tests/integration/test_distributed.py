"""Data-parallel training in real processes on 127.0.0.1 (2 workers), on this session's backend.

torch: ``torchrun --nproc-per-node 2`` (gloo); tensorflow: two processes with ``TF_CONFIG``
(MultiWorkerMirroredStrategy) and one process with two logical CPU devices
(MirroredStrategy).  The worker script is tests/integration/workers/data_parallel.py.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

WORKER = Path(__file__).parent / "workers" / "data_parallel.py"
TIMEOUT = 240


def _env(backend):
    env = dict(os.environ, CORNU_BACKEND=backend, OMP_NUM_THREADS="1",
               TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    return env


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _check(proc_or_code, out, what):
    code = proc_or_code if isinstance(proc_or_code, int) else proc_or_code.returncode
    if code != 0:
        logs = "\n".join(p.read_text()[-3000:] for p in sorted(out.glob("stdout-*.txt")))
        pytest.fail(f"{what} exited with {code}\n{logs}")


def _result(out, rank):
    with open(out / f"result-{rank}.json") as f:
        data = json.load(f)
    data["weights"] = [np.asarray(w) for w in data["weights"]]
    return data


def run_single(backend, out, *args):
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "stdout-0.txt", "w") as log:
        proc = subprocess.run([sys.executable, str(WORKER), str(out), "--single", *args],
                              env=_env(backend), stdout=log, stderr=subprocess.STDOUT,
                              timeout=TIMEOUT)
    _check(proc, out, "the single-process run")
    return _result(out, 0)


def run_torchrun(out, *args, max_restarts=0):
    out.mkdir(parents=True, exist_ok=True)
    port, = _free_ports(1)
    with open(out / "stdout-all.txt", "w") as log:
        # The c10d rendezvous gives every restart round a fresh store (a static one would
        # hand the restarted ranks their peers' stale addresses).
        proc = subprocess.run(
            [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
             "--max-restarts", str(max_restarts), "--rdzv-backend", "c10d",
             "--rdzv-endpoint", f"127.0.0.1:{port}", str(WORKER), str(out), *args],
            env=_env("torch"), stdout=log, stderr=subprocess.STDOUT, timeout=TIMEOUT)
    _check(proc, out, "torchrun")
    return [_result(out, r) for r in (0, 1)]


def start_tf_workers(out, *args):
    out.mkdir(parents=True, exist_ok=True)
    addresses = [f"127.0.0.1:{p}" for p in _free_ports(2)]
    procs = []
    for index in (0, 1):
        env = _env("tensorflow")
        env["TF_CONFIG"] = json.dumps({"cluster": {"worker": addresses},
                                       "task": {"type": "worker", "index": index}})
        log = open(out / f"stdout-{index}.txt", "a")
        procs.append(subprocess.Popen([sys.executable, str(WORKER), str(out), *args], env=env,
                                      stdout=log, stderr=subprocess.STDOUT))
        log.close()
    return procs


def wait_all(procs, out):
    deadline = time.monotonic() + TIMEOUT
    for proc in procs:
        try:
            proc.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            pytest.fail("a tensorflow worker did not finish in time")
        _check(proc.returncode, out, "a tensorflow worker")


def run_tf_workers(out, *args):
    wait_all(start_tf_workers(out, *args), out)
    return [_result(out, r) for r in (0, 1)]


def assert_same_training(a, b, atol):
    for wa, wb in zip(a["weights"], b["weights"]):
        np.testing.assert_allclose(wa, wb, atol=atol, rtol=1e-3)
    assert a["history"].keys() == b["history"].keys()
    for key in a["history"]:
        np.testing.assert_allclose(a["history"][key], b["history"][key], atol=atol, rtol=1e-3)
    np.testing.assert_allclose(a["evaluate"], b["evaluate"], atol=atol, rtol=1e-3)


# Float tolerance: the same sums in another order (Adam amplifies the last bits a little).
ATOL = {"torch": 1e-5, "tensorflow": 1e-3}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, backend_name):
    """The single-process reference and the uninterrupted 2-worker run, shared by the tests."""
    root = tmp_path_factory.mktemp("dist")
    single = run_single(backend_name, root / "single")
    if backend_name == "torch":
        workers = run_torchrun(root / "two")
    else:
        workers = run_tf_workers(root / "two")
    return root, single, workers


def test_two_workers_train_like_one_process_with_the_global_batch(runs, backend_name):
    _, single, (rank0, rank1) = runs
    assert rank0["world"] == rank1["world"] == 2
    # Both replicas hold the same weights and report the same (aggregated) logs ...
    for w0, w1 in zip(rank0["weights"], rank1["weights"]):
        np.testing.assert_array_equal(w0, w1)
    assert rank0["history"] == rank1["history"]
    # ... equal to one process training on the whole global batch.
    assert_same_training(rank0, single, ATOL[backend_name])


def test_only_the_chief_writes_files(runs):
    root, _, _ = runs
    written = {p.name for p in (root / "two").iterdir()}
    assert {"log-0.csv", "ckpt-0.weights.h5"} <= written
    assert not {"log-1.csv", "ckpt-1.weights.h5"} & written
    lines = (root / "two" / "log-0.csv").read_text().splitlines()
    assert len(lines) == 1 + 3  # header + one row per epoch


def test_a_killed_worker_resumes_from_the_backup(runs, tmp_path, backend_name):
    """Rank 1 is SIGKILLed mid-epoch; the job restarts and ends as if nothing happened."""
    _, _, (reference, _) = runs
    out = tmp_path / "killed"
    args = ("--kill-at-step", "7", "--backup", str(tmp_path / "backup"))
    if backend_name == "torch":
        rank0, rank1 = run_torchrun(out, *args, max_restarts=1)  # torchrun restarts both
    else:
        procs = start_tf_workers(out, *args)
        procs[1].wait(timeout=TIMEOUT)
        assert procs[1].returncode == -signal.SIGKILL
        procs[0].kill()  # it waits on a collective with the dead peer: stop the job
        procs[0].wait()
        rank0, rank1 = run_tf_workers(out, *args)  # the job is restarted
    assert (out / "restarted").exists()  # the kill did happen
    for w0, w1 in zip(rank0["weights"], rank1["weights"]):
        np.testing.assert_array_equal(w0, w1)
    assert_same_training(rank0, reference, ATOL[backend_name])


def test_several_devices_in_one_process(runs, tmp_path, backend_name):
    """tensorflow: MirroredStrategy over two logical CPUs; torch: one device per process."""
    import cornu

    if backend_name == "torch":
        with pytest.raises(ValueError, match="one device per process.*torchrun"):
            cornu.distribution.DataParallel(devices=["cpu:0", "cpu:1"])
        return
    _, single, _ = runs
    out = tmp_path / "local2"
    out.mkdir()
    with open(out / "stdout-0.txt", "w") as log:
        proc = subprocess.run([sys.executable, str(WORKER), str(out), "--local-devices", "2"],
                              env=_env("tensorflow"), stdout=log, stderr=subprocess.STDOUT,
                              timeout=TIMEOUT)
    _check(proc, out, "the two-device run")
    two_devices = _result(out, 0)
    assert two_devices["replicas"] == 2 and two_devices["world"] == 1
    assert_same_training(two_devices, single, ATOL["tensorflow"])


def test_batch_norm_statistics_are_averaged_over_the_workers(tmp_path, backend_name):
    """Each worker normalizes its shard with the shard's statistics, and the moving
    statistics end as their average over the workers, on every worker (tensorflow's
    strategies average them; torch does the same)."""
    args = ("--batchnorm", "--epochs", "1")
    out = tmp_path / "bn"
    if backend_name == "torch":
        rank0, rank1 = run_torchrun(out, *args)
    else:
        rank0, rank1 = run_tf_workers(out, *args)
    for w0, w1 in zip(rank0["weights"], rank1["weights"]):
        np.testing.assert_allclose(w0, w1, rtol=1e-6, atol=1e-7)
    # momentum 0: the statistics of the last global batch (rows 160:200, no shuffling),
    # whose two shards are rows 160:180 and 180:200
    x = np.random.default_rng(0).normal(size=(200, 6)).astype("float32")
    shards = (x[160:180], x[180:200])
    _, _, moving_mean, moving_variance = (np.asarray(w) for w in rank0["weights"][:4])
    np.testing.assert_allclose(moving_mean, np.mean([s.mean(0) for s in shards], 0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(moving_variance, np.mean([s.var(0) for s in shards], 0),
                               rtol=1e-5, atol=1e-6)


def test_api_errors_and_defaults(backend_name):
    import cornu

    assert cornu.distribution.distribution() is None
    assert cornu.distribution.num_processes() == 1 and cornu.distribution.process_id() == 0
    assert cornu.distribution.is_chief()
    with pytest.raises(TypeError, match="DataParallel or None.*str"):
        cornu.distribution.set_distribution("mirrored")
    with pytest.raises(ValueError, match="TF_CONFIG|torchrun"):
        cornu.distribution.initialize()
