"""What IMDB and Reuters share: word-index sequences, their vocabulary cut and markers."""
import json

import numpy as np

from cornu.datasets._npz import load_npz
from cornu.utils.mirror import fetch

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def load_arrays(path, canonical_name, sha256):
    """The arrays of the dataset's npz (cached as ``path``), read without pickle code."""
    return load_npz(fetch(path, origin=ORIGIN_FOLDER + canonical_name, file_hash=sha256,
                          mirror_subdir=canonical_name.split(".")[0]))


def load_word_index(path, canonical_name, md5):
    """The ``{word: index}`` dict of the dataset's word-index JSON (cached as ``path``)."""
    with open(fetch(path, origin=ORIGIN_FOLDER + canonical_name, file_hash=md5,
                    mirror_subdir=canonical_name.split("_word_index")[0]),
              encoding="utf8") as f:
        return json.load(f)


def shuffled(seed, *arrays):
    """The arrays in one shared random order (numpy's legacy RandomState, as Keras)."""
    indices = np.arange(len(arrays[0]))
    np.random.RandomState(seed).shuffle(indices)
    return [a[indices] for a in arrays]


def shift(xs, start_char, index_from):
    """Offset every word index by ``index_from`` and prepend ``start_char`` when given."""
    head = [] if start_char is None else [start_char]
    return [head + [w + index_from for w in x] for x in xs]


def drop_long(maxlen, xs, labels):
    """Only the sequences shorter than ``maxlen`` (and their labels)."""
    kept = [i for i, x in enumerate(xs) if len(x) < maxlen]
    return [xs[i] for i in kept], [labels[i] for i in kept]


def cut_vocabulary(xs, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped if None)."""
    if not num_words:
        num_words = max(max(x) for x in xs if len(x))
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def as_object_array(sequences):
    """A 1-D object array of Python lists (ragged sequences), as Keras returns them."""
    out = np.empty(len(sequences), dtype="object")
    out[:] = sequences
    return out
