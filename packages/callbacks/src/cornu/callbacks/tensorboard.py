"""Write TensorBoard event files (scalars, weight histograms) without TensorFlow."""
import os
import time

import numpy as np

from cornu.callbacks._monitor import to_float
from cornu.engine.callbacks import Callback


def _tensorboard():
    """The writer class and the protos from the ``tensorboard`` package."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as err:
        raise ImportError(
            "The TensorBoard callback needs the `tensorboard` package: "
            "pip install 'cornu-callbacks[tensorboard]'"
        ) from err
    return EventFileWriter, event_pb2, summary_pb2


class _Writer:
    """One event file in one directory (``train/`` or ``validation/``)."""

    def __init__(self, logdir):
        writer_cls, self._event_pb2, self._summary_pb2 = _tensorboard()
        self._writer = writer_cls(logdir)

    def _add(self, value, step):
        event = self._event_pb2.Event(
            wall_time=time.time(), step=int(step),
            summary=self._summary_pb2.Summary(value=[value]),
        )
        self._writer.add_event(event)

    def scalar(self, tag, value, step):
        self._add(self._summary_pb2.Summary.Value(tag=tag, simple_value=to_float(value)), step)

    def histogram(self, tag, values, step, buckets=30):
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0:
            return
        low, high = float(values.min()), float(values.max())
        if low == high:
            low, high = low - 0.5, high + 0.5
        counts, edges = np.histogram(values, bins=buckets, range=(low, high))
        proto = self._summary_pb2.HistogramProto(
            min=float(values.min()), max=float(values.max()), num=float(values.size),
            sum=float(values.sum()), sum_squares=float(np.square(values).sum()),
            bucket_limit=[float(e) for e in edges[1:]], bucket=[float(c) for c in counts],
        )
        self._add(self._summary_pb2.Summary.Value(tag=tag, histo=proto), step)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


class TensorBoard(Callback):
    """Log scalars and weight histograms for TensorBoard (``tensorboard --logdir``).

    Event files go to ``log_dir/train`` and ``log_dir/validation`` with Keras's tags:
    ``epoch_<metric>`` per epoch (validation values without their ``val_`` prefix,
    in ``validation/``), ``batch_<metric>`` every ``update_freq`` batches,
    ``evaluation_<metric>_vs_iterations`` after each evaluation, and
    ``<weight path>/histogram`` every ``histogram_freq`` epochs.  The files are
    written with the ``tensorboard`` package (``pip install
    'cornu-callbacks[tensorboard]'``), not TensorFlow, so they work on every backend.

    Not supported (on any backend): the model graph (``write_graph`` writes
    nothing), weight images (``write_images=True``), the profiler
    (``profile_batch`` other than 0) and embeddings (``embeddings_freq`` other
    than 0); the last three raise a ``ValueError``.

    Args:
        log_dir: the directory of the logs.
        histogram_freq: every how many epochs to write weight histograms (0: never).
        write_graph: accepted for compatibility; no graph is written.
        write_images: must be False.
        write_steps_per_second: also log ``steps_per_second`` per epoch.
        update_freq: "epoch", or an int N: also write batch scalars every N batches.
        profile_batch: must be 0.
        embeddings_freq: must be 0.
        embeddings_metadata: must be None.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        _tensorboard()  # fail early, naming the extra to install
        for name, value, default in (("write_images", write_images, False),
                                     ("profile_batch", profile_batch, 0),
                                     ("embeddings_freq", embeddings_freq, 0),
                                     ("embeddings_metadata", embeddings_metadata, None)):
            if value != default and value is not None and value is not False:
                raise ValueError(
                    f"TensorBoard: {name}={value!r} is not supported by cornu (weight images, "
                    "the profiler and embeddings are not written on any backend); leave "
                    f"{name} at its default {default!r}"
                )
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive int, received "
                f"{update_freq!r}"
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers = {}
        self._global_train_batch = 0
        self._epoch_start = None
        self._epoch_steps = 0

    def _writer(self, which):
        if which not in self._writers:
            directory = self._train_dir if which == "train" else self._val_dir
            os.makedirs(directory, exist_ok=True)
            self._writers[which] = _Writer(directory)
        return self._writers[which]

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_steps += 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer = self._writer("train")
        for name, value in (logs or {}).items():
            writer.scalar(f"batch_{name}", value, self._global_train_batch)

    def on_test_end(self, logs=None):
        iterations = getattr(self.model.optimizer, "iterations", None)
        if iterations is None or not logs:
            return
        step = int(to_float(iterations))
        writer = self._writer("validation")
        for name, value in logs.items():
            writer.scalar(f"evaluation_{name}_vs_iterations", value, step)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if "learning_rate" not in train and hasattr(optimizer, "learning_rate"):
            try:
                train["learning_rate"] = to_float(optimizer.learning_rate)
            except (TypeError, ValueError):
                pass  # a schedule object: not a number
        if self.write_steps_per_second and self._epoch_start is not None:
            train["steps_per_second"] = self._epoch_steps / max(
                time.time() - self._epoch_start, 1e-9)
        writer = self._writer("train")
        for name, value in train.items():
            if np.ndim(value) == 0:
                writer.scalar(f"epoch_{name}", value, epoch)
        if val:
            val_writer = self._writer("validation")
            for name, value in val.items():
                if np.ndim(value) == 0:
                    val_writer.scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for layer in self.model.layers:
                for weight in layer.weights:
                    tag = f"{weight.path.replace(':', '_')}/histogram"
                    writer.histogram(tag, weight.numpy(), epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
