"""One worker of the data-parallel tests (run by torchrun, or with TF_CONFIG, or alone).

Usage: data_parallel.py OUT_DIR [--kill-at-step N] [--backup DIR] [--epochs E]
Writes OUT_DIR/result-<rank>.json (final weights and history) and, on the chief,
a CSV log and a checkpoint, so the test can check which ranks wrote files.
"""
import argparse
import json
import os
import signal
import sys

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--kill-at-step", type=int, default=None)
parser.add_argument("--backup", default=None)
parser.add_argument("--single", action="store_true", help="no distribution at all")
parser.add_argument("--batchnorm", action="store_true",
                    help="a BatchNormalization(momentum=0) on the inputs, no shuffling")
parser.add_argument("--local-devices", type=int, default=0,
                    help="tensorflow: split the CPU into this many devices, one process")
args = parser.parse_args()

if args.local_devices:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * args.local_devices)

import cornu  # noqa: E402
from cornu import callbacks, layers  # noqa: E402

distributed = not args.single
if distributed and not args.local_devices:
    cornu.distribution.initialize()
rank = cornu.distribution.process_id()

rng = np.random.default_rng(0)
x = rng.normal(size=(200, 6)).astype("float32")
y = (x @ rng.normal(size=(6, 3)) > 0).argmax(axis=1)  # 3 classes


def build():
    cornu.utils.set_random_seed(42)
    first = [layers.BatchNormalization(momentum=0.0)] if args.batchnorm else []
    model = cornu.Sequential([
        layers.Input((6,)), *first, layers.Dense(16, activation="relu"), layers.Dropout(0.0),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=cornu.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class KillAt(callbacks.Callback):
    """SIGKILLs this process at a global step, on the first attempt only."""

    def __init__(self, step):
        super().__init__()
        self.step, self.seen = step, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0" and \
            not os.path.exists(os.path.join(args.out, "restarted"))
        if self.seen == self.step and first_attempt:
            open(os.path.join(args.out, "restarted"), "w").close()
            os.kill(os.getpid(), signal.SIGKILL)


cbs = [callbacks.CSVLogger(os.path.join(args.out, f"log-{rank}.csv")),
       callbacks.ModelCheckpoint(os.path.join(args.out, f"ckpt-{rank}.weights.h5"),
                                 save_weights_only=True)]
if args.backup:
    cbs.append(callbacks.BackupAndRestore(args.backup, save_freq=3, delete_checkpoint=False))
if args.kill_at_step and rank == 1:
    cbs.append(KillAt(args.kill_at_step))

if distributed:
    devices = cornu.distribution.list_devices("cpu") if args.local_devices else None
    with cornu.distribution.DataParallel(devices=devices).scope() as strategy:
        model = build()
    history = model.fit(x, y, batch_size=40, epochs=args.epochs, shuffle=not args.batchnorm,
                        verbose=0, callbacks=cbs, validation_data=(x[:50], y[:50]),
                        distribution=strategy)
    evaluated = model.evaluate(x, y, batch_size=40, verbose=0, distribution=strategy)
else:
    model = build()
    history = model.fit(x, y, batch_size=40, epochs=args.epochs, shuffle=True, verbose=0,
                        callbacks=cbs, validation_data=(x[:50], y[:50]))
    evaluated = model.evaluate(x, y, batch_size=40, verbose=0)

with open(os.path.join(args.out, f"result-{rank}.json"), "w") as f:
    json.dump({"weights": [w.tolist() for w in model.get_weights()],
               "history": history.history, "evaluate": evaluated,
               "world": cornu.distribution.num_processes(),
               "replicas": strategy.num_replicas if distributed else 1}, f)
sys.exit(0)
