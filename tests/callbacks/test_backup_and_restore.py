"""BackupAndRestore: a fit killed with SIGKILL (mid-epoch, and mid-write of a backup)
resumes from the last good backup and ends like an uninterrupted run."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import cornu
from cornu import callbacks

SCRIPT = r'''
import json, os, sys, time
import numpy as np
import cornu
from cornu import callbacks, ops
from cornu_testplugin import PlainGD, ScaledDense

backup_dir, out = sys.argv[1], sys.argv[2]
cornu.utils.set_random_seed(7)
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 3)).astype("float32")
y = (x @ np.array([[1.0], [2.0], [-1.0]], "float32") + 0.3).astype("float32")


def mse(y_true, y_pred):
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


class Backup(callbacks.BackupAndRestore):
    def _write_backup(self, h5file, *args):
        super()._write_backup(h5file, *args)
        if os.environ.get("SLOW_SAVE"):  # stay inside the save path, file not renamed yet
            print("SAVING", flush=True)
            time.sleep(60)


class Marker(callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if os.environ.get("MARK"):
            print(f"STEP {self.epoch} {batch}", flush=True)
            time.sleep(0.05)


class Noise(cornu.Layer):
    """Dropout-like noise from the layer's own SeedGenerator: its stream must be resumed."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = cornu.random.SeedGenerator(11)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return cornu.random.dropout(inputs, 0.3, seed=self.seed_generator)


model = cornu.Sequential([cornu.Input((3,)), Noise(), ScaledDense(1, name="d")])
model.compile(optimizer=PlainGD(learning_rate=0.05), loss=mse)
history = model.fit(x, y, batch_size=8, epochs=4, verbose=0, shuffle=True,
                    validation_data=(x[:16], y[:16]),
                    callbacks=[Backup(backup_dir, save_freq=3), Marker()])
np.save(out + ".npy", model.get_weights()[0])
with open(out + ".json", "w") as f:
    json.dump({"history": history.history, "epoch": history.epoch,
               "iterations": int(np.asarray(model.optimizer.iterations.numpy()))}, f)
'''


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("MARK", "SLOW_SAVE")}
    return dict(env, CORNU_BACKEND=cornu.backend.backend_name(), **extra)


def _run(script, backup, out, **extra):
    result = subprocess.run([sys.executable, str(script), str(backup), str(out)],
                            env=_env(**extra), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(f"{out}.json") as f:
        return np.load(f"{out}.npy"), json.load(f)


def _kill_when(script, backup, out, marker, **extra):
    proc = subprocess.Popen([sys.executable, str(script), str(backup), str(out)],
                            env=_env(**extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            if line.strip() == marker:
                break
            assert time.monotonic() < deadline
        else:
            pytest.fail(f"the script ended before printing {marker!r}: {proc.stderr.read()}")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def test_sigkill_mid_epoch_and_mid_save_resume_like_an_uninterrupted_run(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    weights, reference = _run(script, tmp_path / "ref_backup", tmp_path / "ref")
    assert not (tmp_path / "ref_backup").exists()  # delete_checkpoint=True

    backup = tmp_path / "backup"
    # 1. killed mid-epoch: epoch 1, batch 4 (the last backup was after batch 2 of epoch 1)
    _kill_when(script, backup, tmp_path / "run", "STEP 1 4", MARK="1")
    assert (backup / "latest.weights.h5").exists()
    good = (backup / "latest.weights.h5").read_bytes()
    # 2. restarted, then killed while writing its first new backup
    _kill_when(script, backup, tmp_path / "run", "SAVING", SLOW_SAVE="1")
    assert (backup / "latest.weights.h5").read_bytes() == good  # last good backup intact
    # 3. restarted: resumes from the good backup (epoch 1, after 3 batches)
    final, resumed = _run(script, backup, tmp_path / "run")
    np.testing.assert_allclose(final, weights, rtol=1e-6, atol=1e-7)
    assert resumed["iterations"] == reference["iterations"] == 32
    # The History of the resumed run reads as one uninterrupted run.
    assert resumed["epoch"] == reference["epoch"] == [0, 1, 2, 3]
    assert resumed["history"].keys() == reference["history"].keys()
    for key, values in reference["history"].items():
        np.testing.assert_allclose(resumed["history"][key], values, rtol=1e-6)
    assert not backup.exists()


def test_backup_and_restore_arguments_and_double_checkpoint(tmp_path):
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.BackupAndRestore(tmp_path, save_freq="batch")
    from cornu_testplugin import PlainGD, ScaledDense

    model = cornu.Sequential([cornu.Input((3,)), ScaledDense(1)])
    model.compile(optimizer=PlainGD(0.01),
                  loss=lambda a, b: cornu.ops.mean(cornu.ops.square(a - b), axis=-1))
    x = np.ones((8, 3), "float32")
    y = np.ones((8, 1), "float32")
    cb = callbacks.BackupAndRestore(tmp_path, double_checkpoint=True, delete_checkpoint=False)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert (tmp_path / "latest.weights.h5").exists()
    assert (tmp_path / "latest.weights.h5.bkp").exists()
    (tmp_path / "latest.weights.h5").write_bytes(b"corrupt")
    with pytest.warns(UserWarning, match="restoring the previous backup"):
        history = model.fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    assert history.epoch == [0, 1, 2]  # the .bkp held the state (and History) after epoch 1
    model.load_weights(tmp_path / "latest.weights.h5")  # a backup is a weights file too
