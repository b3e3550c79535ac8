"""Input pipelines with Keras's names: ``split_dataset``, ``timeseries_dataset_from_array``
and ``image_/text_/audio_dataset_from_directory``.

Every builder takes ``format``: ``"tf"`` returns a ``tf.data.Dataset`` (Keras's
default; needs TensorFlow), ``"pydataset"`` returns a :class:`cornu.utils.PyDataset`
of numpy batches, which needs no TensorFlow and which ``fit`` fetches ahead with
worker threads.  ``format=None`` picks the format the backend declares in its
module's ``DATASET_FORMAT`` (the TensorFlow backend: ``"tf"``), else ``"pydataset"``,
so a torch install never needs TensorFlow for its data.  Building a ``tf.data``
pipeline (and recognising a ``tf.data.Dataset`` or a torch ``Dataset`` passed to
``split_dataset``) is framework interop: those paths import their framework.
"""
import io
import os
import wave

import numpy as np

from cornu.utils import io_utils
from cornu.utils.py_dataset import PyDataset

__all__ = [
    "audio_dataset_from_directory", "image_dataset_from_directory", "split_dataset",
    "text_dataset_from_directory", "timeseries_dataset_from_array",
]

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def _resolve_format(fn, fmt):
    if fmt is None:  # the backend's declared pipeline (TensorFlow: "tf"), else pydataset
        from cornu.backend import get_backend

        declared = getattr(get_backend(), "DATASET_FORMAT", None)
        return declared if declared in ("tf", "pydataset") else "pydataset"
    if fmt not in ("tf", "pydataset"):
        raise ValueError(f'{fn}: `format` must be "tf", "pydataset" or None; received {fmt!r}.')
    return fmt


def _tf(fn):
    try:
        import tensorflow as tf
    except ImportError as err:
        raise ImportError(
            f'{fn}(format="tf") returns a tf.data.Dataset and needs TensorFlow: '
            'pip install tensorflow-cpu, or pass format="pydataset".'
        ) from err
    return tf


class ArrayBatches(PyDataset):
    """A PyDataset of ``batch_size`` batches made by ``make(indices)`` over ``n`` samples."""

    def __init__(self, n, batch_size, make, **kwargs):
        super().__init__(**kwargs)
        self.n, self.batch_size, self._make = n, batch_size, make

    def __len__(self):
        if self.batch_size is None:
            return self.n
        return -(-self.n // self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range ({len(self)} batches)")
        if self.batch_size is None:
            return self._make(np.array([index]), single=True)
        start = index * self.batch_size
        return self._make(np.arange(start, min(start + self.batch_size, self.n)), single=False)


# --------------------------------------------------------------------------- #
# timeseries
# --------------------------------------------------------------------------- #
def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format=None):
    """Sliding windows over an array, as batches of sequences (and targets).

    Window ``i`` holds ``data[s + j * sampling_rate]`` for ``j`` in
    ``range(sequence_length)``, where ``s = start_index + i * sequence_stride``; its
    target is ``targets[s]``.  ``shuffle`` permutes the windows with
    ``np.random.RandomState(seed)`` (and, for ``format="tf"``, a shuffle buffer as
    in Keras).
    """
    fn = "timeseries_dataset_from_array"
    n = len(data)
    start_index = start_index or 0
    if start_index < 0 or start_index >= n:
        raise ValueError(f"{fn}: `start_index` must be in [0, {n}); received {start_index}.")
    if end_index is None:
        end_index = n
    elif end_index <= start_index or end_index > n:
        raise ValueError(
            f"{fn}: `end_index` must be in ({start_index}, {n}]; received {end_index}."
        )
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0 or value >= n:
            raise ValueError(f"{fn}: `{name}` must be in [1, {n}); received {value}.")
    if targets is not None and len(targets) != n:
        raise ValueError(
            f"{fn}: `data` and `targets` must have the same length; received "
            f"{n} and {len(targets)}."
        )
    fmt = _resolve_format(fn, format)
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    starts = np.arange(0, max(num_seqs, 0), sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    offsets = np.arange(sequence_length) * sampling_rate
    data = np.asarray(data)[start_index:end_index]
    targets = None if targets is None else np.asarray(targets)[start_index:end_index]

    if fmt == "tf":
        tf = _tf(fn)
        windows = tf.data.Dataset.from_tensor_slices(starts)
        d, t = tf.constant(data), None if targets is None else tf.constant(targets)
        if t is None:
            ds = windows.map(lambda s: tf.gather(d, s + offsets))
        else:
            ds = windows.map(lambda s: (tf.gather(d, s + offsets), tf.gather(t, s)))
        if shuffle:
            ds = ds.shuffle(buffer_size=(batch_size or 128) * 8, seed=seed)
        return (ds.batch(batch_size) if batch_size else ds).prefetch(tf.data.AUTOTUNE)

    def make(indices, single):
        s = starts[indices]
        x = data[s[:, None] + offsets]
        if single:
            x, s = x[0], s[0]
        return x if targets is None else (x, targets[s])

    return ArrayBatches(len(starts), batch_size, make)


# --------------------------------------------------------------------------- #
# split_dataset
# --------------------------------------------------------------------------- #
def _sizes(total, left_size, right_size):
    def count(size, name):
        if size is None:
            return None
        if isinstance(size, float):
            if not 0 < size < 1:
                raise ValueError(f"split_dataset: a float `{name}` must be in (0, 1); "
                                 f"received {size}.")
            return int(round(size * total))
        if isinstance(size, int) and 0 <= size <= total:
            return size
        raise ValueError(f"split_dataset: `{name}` must be a float in (0, 1) or an int in "
                         f"[0, {total}]; received {size!r}.")

    left, right = count(left_size, "left_size"), count(right_size, "right_size")
    if left is None and right is None:
        left = int(round(0.5 * total))
    if left is None:
        left = total - right
    if right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"split_dataset: left_size + right_size ({left} + {right}) exceeds "
                         f"the {total} samples.")
    if left == 0 and right == 0:
        raise ValueError("split_dataset: both splits would be empty.")
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Splits samples into a left and a right part (e.g. train and test).

    ``dataset`` is a numpy array, a tuple/list of arrays with the same first
    dimension, a ``tf.data.Dataset`` (of samples) or a ``torch.utils.data.Dataset``.
    Sizes are fractions (floats) or sample counts (ints); one may be None (the
    rest), both None split in half.  Arrays give arrays back (a tuple per side
    for tuple input); a ``tf.data.Dataset`` gives datasets; a torch ``Dataset``
    gives ``torch.utils.data.Subset``s.  ``preferred_backend`` is accepted for
    Keras compatibility; the result follows the input's type.
    """
    # The input's own framework decides (interop, on any backend), as Keras's
    # is_tf_dataset / is_torch_dataset do: the bound backend plays no part here.
    module = type(dataset).__module__
    if module.startswith("tensorflow"):
        tf = _tf("split_dataset")
        samples = list(dataset.as_numpy_iterator())
        left, right = _sizes(len(samples), left_size, right_size)
        order = _order(len(samples), shuffle, seed)
        pick = [samples[i] for i in order]
        return (tf.data.Dataset.from_tensor_slices(_stack(pick[:left])),
                tf.data.Dataset.from_tensor_slices(_stack(pick[left:left + right])))
    if hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__") and \
            module.startswith("torch"):
        from torch.utils.data import Subset

        left, right = _sizes(len(dataset), left_size, right_size)
        order = _order(len(dataset), shuffle, seed)
        return Subset(dataset, order[:left].tolist()), \
            Subset(dataset, order[left:left + right].tolist())
    arrays = list(dataset) if isinstance(dataset, (tuple, list)) else [dataset]
    arrays = [np.asarray(a) for a in arrays]
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError(f"split_dataset: the arrays have different lengths {sorted(lengths)}.")
    total = lengths.pop()
    left, right = _sizes(total, left_size, right_size)
    order = _order(total, shuffle, seed)
    lefts = [a[order[:left]] for a in arrays]
    rights = [a[order[left:left + right]] for a in arrays]
    if isinstance(dataset, (tuple, list)):
        return tuple(lefts), tuple(rights)
    return lefts[0], rights[0]


def _order(n, shuffle, seed):
    order = np.arange(n)
    if shuffle:
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(order)
    return order


def _stack(samples):
    if samples and isinstance(samples[0], tuple):
        return tuple(np.stack(parts) for parts in zip(*samples))
    return np.stack(samples) if samples else np.zeros((0,))


# --------------------------------------------------------------------------- #
# *_dataset_from_directory
# --------------------------------------------------------------------------- #
def index_directory(fn, directory, labels, formats, class_names, shuffle, seed, follow_links,
                    verbose):
    """(file_paths, labels, class_names) for the files with ``formats`` under ``directory``."""
    if not os.path.isdir(directory):
        raise ValueError(f"{fn}: `directory` {directory!r} is not a folder.")
    if labels == "inferred":
        subdirs = sorted(d for d in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, d)) and not d.startswith("."))
        if class_names:
            if not set(class_names) <= set(subdirs):
                raise ValueError(f"{fn}: `class_names` {list(class_names)} must name "
                                 f"subfolders of {directory!r}: {subdirs}.")
            subdirs = list(class_names)
        roots = [(os.path.join(directory, d), i) for i, d in enumerate(subdirs)]
        class_names = subdirs
    else:
        if class_names:
            raise ValueError(f"{fn}: `class_names` can only be given with labels='inferred'.")
        roots = [(directory, None)]
    paths, found = [], []
    for root, label in roots:
        for dirpath, dirnames, filenames in sorted(os.walk(root, followlinks=follow_links)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(dirpath, name))
                    found.append(label)
    if labels not in ("inferred", None):
        labels = list(labels)
        if len(labels) != len(paths):
            raise ValueError(f"{fn}: {len(labels)} labels were given for the {len(paths)} "
                             f"files found in {directory!r}.")
        found = labels
        class_names = [str(c) for c in sorted(set(labels))]
    if verbose:
        if labels == "inferred":
            io_utils.print_msg(f"Found {len(paths)} files belonging to {len(class_names)} classes.")
        else:
            print(f"Found {len(paths)} files.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        np.random.RandomState(seed).shuffle(found)
    return paths, (None if labels is None else np.asarray(found, "int64")), class_names


def _check_split(fn, validation_split, subset, shuffle, seed):
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f"{fn}: `subset` must be 'training', 'validation', 'both' or None; "
                         f"received {subset!r}.")
    if (validation_split is None) != (subset is None):
        raise ValueError(f"{fn}: `validation_split` and `subset` must be given together.")
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(f"{fn}: `validation_split` must be in (0, 1); "
                         f"received {validation_split}.")
    if validation_split and shuffle and seed is None:
        raise ValueError(f"{fn}: pass a `seed` with `validation_split` and shuffle=True, so "
                         "the training and validation subsets do not overlap.")


def _subsets(paths, labels, validation_split, subset):
    if not validation_split:
        return [(paths, labels)]
    cut = len(paths) - int(validation_split * len(paths))
    parts = {"training": (paths[:cut], None if labels is None else labels[:cut]),
             "validation": (paths[cut:], None if labels is None else labels[cut:])}
    return [parts["training"], parts["validation"]] if subset == "both" else [parts[subset]]


def _encode_labels(fn, labels, label_mode, num_classes):
    if label_mode == "int":
        return labels.astype("int32")
    if label_mode == "binary":
        if num_classes != 2:
            raise ValueError(f"{fn}: label_mode='binary' needs exactly 2 classes; found "
                             f"{num_classes}.")
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels]
    raise ValueError(f"{fn}: `label_mode` must be 'int', 'categorical', 'binary' or None; "
                     f"received {label_mode!r}.")


def _from_directory(fn, directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                    validation_split, subset, follow_links, verbose, formats, fmt, load_np,
                    load_tf):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f"{fn}: `labels` must be 'inferred', None or a list of integer "
                         f"labels; received {labels!r}.")
    if labels is None:
        label_mode = None
    _check_split(fn, validation_split, subset, shuffle, seed)
    fmt = _resolve_format(fn, fmt)
    paths, found, class_names = index_directory(fn, directory, labels, formats, class_names,
                                                shuffle, seed, follow_links, verbose)
    if label_mode is not None and found is not None:
        encoded = _encode_labels(fn, found, label_mode, len(class_names))
    else:
        encoded = None
    datasets = []
    for part_paths, part_labels in _subsets(paths, encoded, validation_split, subset):
        if fmt == "tf":
            tf = _tf(fn)
            ds = tf.data.Dataset.from_tensor_slices(part_paths).map(
                load_tf, num_parallel_calls=tf.data.AUTOTUNE)
            if part_labels is not None:
                ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(part_labels)))
            if shuffle:  # as Keras: a new order every epoch, on top of the seeded one
                ds = ds.shuffle(buffer_size=(batch_size or 1024) * 8, seed=seed)
            if batch_size is not None:
                ds = ds.batch(batch_size)
            ds = ds.prefetch(tf.data.AUTOTUNE)
        else:
            def make(indices, single, part_paths=part_paths, part_labels=part_labels):
                x = load_np([part_paths[i] for i in indices])
                if single:
                    x = x[0]
                if part_labels is None:
                    return x
                y = part_labels[indices]
                return (x, y[0] if single else y)

            ds = ArrayBatches(len(part_paths), batch_size, make, workers=2)
        ds.class_names = class_names
        ds.file_paths = list(part_paths)
        datasets.append(ds)
    return datasets if subset == "both" else datasets[0]


def _decode_image_np(path, num_channels):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        from PIL import Image
    except ImportError:
        tf = _tf("image_dataset_from_directory")
        return tf.io.decode_image(raw, channels=num_channels, expand_animations=False).numpy()
    with Image.open(io.BytesIO(raw)) as img:
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[num_channels]
        return np.asarray(img.convert(mode)).reshape(img.size[1], img.size[0], num_channels)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format=None,
                                 verbose=True):
    """Images in class subfolders as batches of ``(images, labels)``.

    Images are decoded (PNG, JPEG, BMP, GIF), converted to ``color_mode``
    (``"grayscale"``, ``"rgb"``, ``"rgba"``) and resized to ``image_size`` with
    ``cornu.ops.image.resize`` (``interpolation``, ``crop_to_aspect_ratio``,
    ``pad_to_aspect_ratio``), as float32 in ``data_format``.  Labels follow
    ``label_mode``: ``"int"``, ``"categorical"`` (one-hot), ``"binary"`` (float
    ``(N, 1)``) or None.  The result has ``class_names`` and ``file_paths``.
    """
    fn = "image_dataset_from_directory"
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}.get(color_mode)
    if channels is None:
        raise ValueError(f"{fn}: `color_mode` must be 'grayscale', 'rgb' or 'rgba'; "
                         f"received {color_mode!r}.")
    from cornu import config

    data_format = data_format or config.image_data_format()
    size = tuple(int(s) for s in image_size)

    def load_np(paths):
        from cornu import ops

        images = [ops.image.resize(_decode_image_np(p, channels).astype("float32"), size,
                                   interpolation=interpolation,
                                   crop_to_aspect_ratio=crop_to_aspect_ratio,
                                   pad_to_aspect_ratio=pad_to_aspect_ratio,
                                   data_format="channels_last") for p in paths]
        batch = np.stack([ops.convert_to_numpy(i) for i in images]).astype("float32")
        return batch.transpose(0, 3, 1, 2) if data_format == "channels_first" else batch

    def load_tf(path):
        import tensorflow as tf

        from cornu import ops

        img = tf.io.decode_image(tf.io.read_file(path), channels=channels,
                                 expand_animations=False)
        img.set_shape((None, None, channels))
        img = tf.cast(img, "float32")
        if crop_to_aspect_ratio or pad_to_aspect_ratio:
            img = ops.image.resize(img, size, interpolation=interpolation,
                                   crop_to_aspect_ratio=crop_to_aspect_ratio,
                                   pad_to_aspect_ratio=pad_to_aspect_ratio,
                                   data_format="channels_last")
        else:
            img = tf.image.resize(img, size, method=interpolation)
        img.set_shape(size + (channels,))
        return tf.transpose(img, (2, 0, 1)) if data_format == "channels_first" else img

    return _from_directory(fn, directory, labels, label_mode, class_names, batch_size, shuffle,
                           seed, validation_split, subset, follow_links, verbose,
                           IMAGE_FORMATS, format, load_np, load_tf)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, format=None, verbose=True):
    """``.txt`` files in class subfolders as batches of ``(texts, labels)``.

    Texts are strings (a numpy array of ``str`` for ``format="pydataset"``, a
    ``tf.string`` tensor for ``"tf"``), cut to ``max_length`` characters when given.
    """
    def load_np(paths):
        texts = []
        for p in paths:
            with open(p, encoding="utf-8", errors="replace") as f:
                texts.append(f.read()[:max_length] if max_length else f.read())
        return np.asarray(texts, dtype=object)

    def load_tf(path):
        import tensorflow as tf

        text = tf.io.read_file(path)
        return tf.strings.substr(text, 0, max_length) if max_length else text

    return _from_directory("text_dataset_from_directory", directory, labels, label_mode,
                           class_names, batch_size, shuffle, seed, validation_split, subset,
                           follow_links, verbose, (".txt",), format, load_np, load_tf)


def read_wav(path):
    """``(samples, sampling_rate)`` of a PCM ``.wav`` file: float32 ``(frames, channels)``."""
    with wave.open(path, "rb") as w:
        width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width == 1:
        data = (np.frombuffer(raw, "uint8").astype("float32") - 128) / 128
    elif width in (2, 4):
        kind = "<i2" if width == 2 else "<i4"
        data = np.frombuffer(raw, kind).astype("float32") / float(2 ** (8 * width - 1))
    else:
        raise ValueError(f"{path}: {8 * width}-bit WAV is not supported (8, 16 or 32-bit PCM).")
    return data.reshape(-1, channels), rate


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None,
                                 follow_links=False, verbose=True, format=None):
    """``.wav`` files in class subfolders as batches of ``(audio, labels)``.

    Audio is decoded with Python's ``wave`` module (PCM) into float32 in [-1, 1],
    shaped ``(batch, frames, channels)``; clips are padded with zeros to the
    longest in the batch, or cut/padded to ``output_sequence_length``.
    ``sampling_rate``, when given, must match the files' rate (no resampling).
    ``ragged=True`` returns lists of arrays (``format="pydataset"`` only).
    """
    fn = "audio_dataset_from_directory"
    if ragged and output_sequence_length is not None:
        raise ValueError(f"{fn}: `ragged` and `output_sequence_length` cannot both be set.")

    def load_np(paths):
        clips = []
        for p in paths:
            clip, rate = read_wav(p)
            if sampling_rate is not None and rate != sampling_rate:
                raise ValueError(f"{fn}: {p} is sampled at {rate} Hz, not at the requested "
                                 f"sampling_rate={sampling_rate} (no resampling is done).")
            clips.append(clip)
        if ragged:
            return clips
        length = output_sequence_length or max(len(c) for c in clips)
        out = np.zeros((len(clips), length, clips[0].shape[1]), "float32")
        for i, c in enumerate(clips):
            out[i, : min(length, len(c))] = c[:length]
        return out

    fmt = _resolve_format(fn, format)
    if fmt == "tf" and not ragged:
        # Decode on the host, then hand the batches to tf.data.
        ds = _from_directory(fn, directory, labels, label_mode, class_names, batch_size,
                             shuffle, seed, validation_split, subset, follow_links, verbose,
                             (".wav",), "pydataset", load_np, None)
        parts = ds if isinstance(ds, list) else [ds]
        out = [_pydataset_to_tf(fn, p) for p in parts]
        return out if isinstance(ds, list) else out[0]
    return _from_directory(fn, directory, labels, label_mode, class_names, batch_size, shuffle,
                           seed, validation_split, subset, follow_links, verbose, (".wav",),
                           "pydataset", load_np, None)


def _pydataset_to_tf(fn, batches):
    tf = _tf(fn)
    first = batches[0]
    spec = tf.nest.map_structure(
        lambda a: tf.TensorSpec((None,) + np.shape(a)[1:-2] + (None, np.shape(a)[-1])
                                if np.ndim(a) == 3 else (None,) + np.shape(a)[1:],
                                tf.as_dtype(np.asarray(a).dtype)), first)
    ds = tf.data.Dataset.from_generator(lambda: (batches[i] for i in range(len(batches))),
                                        output_signature=spec)
    ds.class_names, ds.file_paths = batches.class_names, batches.file_paths
    return ds
