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

    def graph(self, graph_def):
        self._writer.add_event(self._event_pb2.Event(
            wall_time=time.time(), graph_def=graph_def.SerializeToString()))

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def _backend_trainer():
    from cornu.backend import get_backend

    return get_backend().trainer


def _profile_range(profile_batch):
    """(first, last) batch to profile, 1-based, or None; the Keras forms are accepted."""
    if isinstance(profile_batch, str):
        profile_batch = [int(p) for p in profile_batch.split(",")]
    if isinstance(profile_batch, int) and not isinstance(profile_batch, bool):
        profile_batch = (profile_batch, profile_batch)
    valid = (isinstance(profile_batch, (list, tuple)) and len(profile_batch) == 2
             and all(isinstance(b, int) and b >= 0 for b in profile_batch)
             and profile_batch[0] <= profile_batch[1])
    if not valid:
        raise ValueError(
            "TensorBoard: profile_batch must be a non-negative integer or a pair of "
            f"positive integers (start, stop) with start <= stop, received {profile_batch!r}"
        )
    if profile_batch[0] == 0:
        return None
    if not hasattr(_backend_trainer(), "start_profiler"):
        from cornu.backend import get_backend

        raise ValueError(
            f"TensorBoard: profiling is not available on the {get_backend().NAME} backend "
            f"(the tensorflow backend has it); received profile_batch={profile_batch!r}, "
            "use 0"
        )
    return tuple(profile_batch)


class TensorBoard(Callback):
    """Log scalars and weight histograms for TensorBoard (``tensorboard --logdir``).

    Event files go to ``log_dir/train`` and ``log_dir/validation`` with Keras's tags:
    ``epoch_<metric>`` per epoch (validation values without their ``val_`` prefix,
    in ``validation/``), ``batch_<metric>`` every ``update_freq`` batches,
    ``evaluation_<metric>_vs_iterations`` after each evaluation, and
    ``<weight path>/histogram`` every ``histogram_freq`` epochs.  The files are
    written with the ``tensorboard`` package (``pip install
    'cornu-callbacks[tensorboard]'``), not TensorFlow, so they work on every backend.

    Where the backend can give them, as in Keras: the graph of the compiled train
    step (``write_graph``, tensorflow; other backends have no graph to write) and
    the profiler (``profile_batch``, tensorflow; a ``ValueError`` elsewhere).  Not
    supported on any backend: weight images (``write_images=True``) and embeddings
    (``embeddings_freq`` other than 0), which raise a ``ValueError``.

    Args:
        log_dir: the directory of the logs.
        histogram_freq: every how many epochs to write weight histograms (0: never).
        write_graph: write the graph of the train step (tensorflow backend).
        write_images: must be False.
        write_steps_per_second: also log ``steps_per_second`` per epoch.
        update_freq: "epoch", or an int N: also write batch scalars every N batches.
        profile_batch: a batch number, or a (start, stop) pair of batch numbers, to
            profile (tensorflow backend); 0 disables profiling.
        embeddings_freq: must be 0.
        embeddings_metadata: must be None.
    """

    _chief_only = True  # writes files / sends logs: the chief process only

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        _tensorboard()  # fail early, naming the extra to install
        for name, value, default in (("write_images", write_images, False),
                                     ("embeddings_freq", embeddings_freq, 0),
                                     ("embeddings_metadata", embeddings_metadata, None)):
            if value != default and value is not None and value is not False:
                raise ValueError(
                    f"TensorBoard: {name}={value!r} is not supported by cornu (weight images "
                    "and embeddings are not written on any backend); leave "
                    f"{name} at its default {default!r}"
                )
        self._profile_range = _profile_range(profile_batch)
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
        self._graph_written = False
        self._profiling = False

    def _writer(self, which):
        if which not in self._writers:
            directory = self._train_dir if which == "train" else self._val_dir
            os.makedirs(directory, exist_ok=True)
            self._writers[which] = _Writer(directory)
        return self._writers[which]

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._graph_written = False

    def on_train_batch_begin(self, batch, logs=None):
        if self._profile_range and self._global_train_batch + 1 == self._profile_range[0]:
            _backend_trainer().start_profiler(self._train_dir)
            self._profiling = True

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_steps += 1
        if self._profiling and self._global_train_batch >= self._profile_range[1]:
            _backend_trainer().stop_profiler()
            self._profiling = False
        if self.write_graph and not self._graph_written:
            self._write_step_graph()
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

    def _write_step_graph(self):
        self._graph_written = True
        graphs = getattr(_backend_trainer(), "step_graph_defs", None)
        if graphs is None:
            return  # the backend runs eagerly: there is no graph to write (as in Keras)
        for graph_def in graphs(self.model.train_function):
            self._writer("train").graph(graph_def)

    def on_train_end(self, logs=None):
        if self._profiling:
            _backend_trainer().stop_profiler()
            self._profiling = False
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
