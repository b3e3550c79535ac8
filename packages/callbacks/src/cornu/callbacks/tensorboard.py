"""Write TensorBoard event files (scalars, weights, the model) without TensorFlow.

The summaries are TensorFlow 2's, as Keras's callback writes them through
``tf.summary``: every value a tensor summary tagged with its plugin (``scalars``,
``histograms`` of ``[30, 3]`` buckets, ``images`` of PNGs, ``graph_keras_model`` for
the model's JSON), so TensorBoard, and anything reading Keras's logs, reads cornu's
the same way.  They are made with the ``tensorboard`` package alone.
"""
import os
import struct
import time
import zlib

import numpy as np

from cornu.callbacks._monitor import to_float
from cornu.engine.callbacks import Callback


def _tensorboard():
    """The writer class, the protos and the summary helpers of ``tensorboard``."""
    try:
        from tensorboard.compat.proto import (
            event_pb2,
            summary_pb2,
            tensor_pb2,
            tensor_shape_pb2,
            types_pb2,
        )
        from tensorboard.plugins.histogram import summary_v2 as histogram_v2
        from tensorboard.plugins.image import metadata as image_metadata
        from tensorboard.plugins.scalar import summary_v2 as scalar_v2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as err:
        raise ImportError(
            "The TensorBoard callback needs the `tensorboard` package: "
            "pip install 'cornu-callbacks[tensorboard]'"
        ) from err
    return {"writer": EventFileWriter, "event": event_pb2, "summary": summary_pb2,
            "tensor": tensor_pb2, "shape": tensor_shape_pb2, "types": types_pb2,
            "histogram": histogram_v2, "image_metadata": image_metadata,
            "scalar": scalar_v2}


def _png(image):
    """A grayscale or RGB(A) uint8 image (height, width, channels) as PNG bytes."""
    height, width, channels = image.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class _Writer:
    """One event file in one directory (``train/`` or ``validation/``)."""

    def __init__(self, logdir):
        self._tb = _tensorboard()
        self._writer = self._tb["writer"](logdir)

    def _add(self, summary, step):
        self._writer.add_event(self._tb["event"].Event(
            wall_time=time.time(), step=int(step), summary=summary))

    def _strings(self, tag, values, metadata, step):
        tb = self._tb
        dims = [] if len(values) == 1 and metadata.plugin_data.plugin_name != "images" \
            else [tb["shape"].TensorShapeProto.Dim(size=len(values))]
        tensor = tb["tensor"].TensorProto(
            dtype=tb["types"].DT_STRING, tensor_shape=tb["shape"].TensorShapeProto(dim=dims),
            string_val=values)
        summary = tb["summary"].Summary()
        summary.value.add(tag=tag, metadata=metadata, tensor=tensor)
        self._add(summary, step)

    def scalar(self, tag, value, step):
        self._add(self._tb["scalar"].scalar_pb(tag, np.float32(to_float(value))), step)

    def histogram(self, tag, values, step, buckets=30):
        data = np.asarray(values, dtype=np.float64)
        self._add(self._tb["histogram"].histogram_pb(tag, data, buckets=buckets), step)

    def images(self, tag, batch, step, max_outputs=3):
        """``batch`` (n, height, width, channels) floats, as ``tf.summary.image``: values
        in [0, 1] scaled to bytes (outside, clipped), the first ``max_outputs`` kept."""
        batch = np.asarray(batch, dtype=np.float64)[:max_outputs]
        pixels = np.trunc(np.clip(batch * 255.5, 0, 255)).astype(np.uint8)
        height, width = batch.shape[1:3]
        encoded = [str(width).encode(), str(height).encode()] + [_png(p) for p in pixels]
        metadata = self._tb["image_metadata"].create_summary_metadata(None, None)
        self._strings(tag, encoded, metadata, step)

    def model_config(self, tag, json_text, step=0):
        """The model's JSON, for the graph dashboard's conceptual graph (as Keras)."""
        metadata = self._tb["summary"].SummaryMetadata(
            plugin_data=self._tb["summary"].SummaryMetadata.PluginData(
                plugin_name="graph_keras_model", content=b"1"))
        self._strings(tag, [json_text.encode()], metadata, step)

    def graph(self, graph_def):
        self._writer.add_event(self._tb["event"].Event(
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
    ``evaluation_<metric>_vs_iterations`` after each evaluation,
    ``<weight path>/histogram`` (and with ``write_images``, ``<weight path>/image``)
    every ``histogram_freq`` epochs, and ``keras``, the model's JSON for the graph
    dashboard (a Sequential or functional model, with ``write_graph``).  The files are
    written with the ``tensorboard`` package (``pip install
    'cornu-callbacks[tensorboard]'``), not TensorFlow, so they work on every backend.

    Where the backend can give them, as in Keras: the graph of the compiled train
    step (``write_graph``, tensorflow; other backends have no graph to write) and
    the profiler (``profile_batch``, tensorflow; a ``ValueError`` elsewhere).  Not
    supported on any backend: embeddings (``embeddings_freq`` other than 0), which
    raise a ``ValueError``.

    Args:
        log_dir: the directory of the logs.
        histogram_freq: every how many epochs to write weight histograms (0: never).
        write_graph: write the model's config and the graph of the train step
            (tensorflow backend).
        write_images: also write each weight as an image (biases as a row, Dense
            kernels as a matrix, 1D convolution kernels one image per filter, as
            Keras), with the histograms.
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
        for name, value, default in (("embeddings_freq", embeddings_freq, 0),
                                     ("embeddings_metadata", embeddings_metadata, None)):
            if value != default and value is not None and value is not False:
                raise ValueError(
                    f"TensorBoard: {name}={value!r} is not supported by cornu (embeddings "
                    f"are not written on any backend); leave {name} at its default "
                    f"{default!r}"
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

    def set_model(self, model):
        super().set_model(model)
        self._writers = {}
        if self.write_graph and type(model).__name__ in ("Functional", "Sequential"):
            try:
                config = model.to_json()
            except Exception as err:  # noqa: BLE001 - as Keras: never break training
                import warnings

                from cornu import CornuWarning

                warnings.warn(f"TensorBoard: the model's config is not written, it does not "
                              f"serialize to JSON: {err}", CornuWarning, stacklevel=2)
            else:
                self._writer("train").model_config("keras", config)

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
                    name = weight.path.replace(":", "_")
                    value = weight.numpy()
                    writer.histogram(f"{name}/histogram", value, epoch)
                    image = _weight_image(value) if self.write_images else None
                    if image is not None:
                        writer.images(f"{name}/image", image, epoch)
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


def _weight_image(value):
    """A weight as a batch of images (n, height, width, 1), as Keras draws it: a bias as
    one row, a Dense kernel as one matrix (its longer side across), a rank-3 kernel
    (after squeezing) as one image per output channel; None for anything else."""
    from cornu import config

    image = np.squeeze(np.asarray(value, dtype=np.float64))
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:
        if config.image_data_format() == "channels_last":
            image = np.transpose(image, (2, 0, 1))
        image = image.reshape(image.shape + (1,))
    if image.ndim == 4 and image.shape[-1] in (1, 3, 4):
        return image
    return None
