"""IMDB: 50,000 movie reviews labelled positive or negative, as word-index sequences."""
import numpy as np

from cornu.datasets import _sequences as seq

__all__ = ["get_word_index", "load_data"]

NPZ_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """Loads the IMDB sentiment dataset (25,000 training and 25,000 test reviews).

    Each review is a list of word indices; words are indexed by how often they
    occur in the training set (index 1 is the most frequent word before the
    ``index_from`` offset), so ``num_words`` keeps the most frequent words.

    Args:
        path: where to cache the data (relative to ``~/.cornu/datasets``).
        num_words: keep only the ``num_words`` most frequent words (others become
            ``oov_char``); None keeps every word.
        skip_top: also replace the ``skip_top`` most frequent words by ``oov_char``.
        maxlen: keep only the sequences shorter than ``maxlen``; None keeps all.
        seed: seed of the shuffle of each split.
        start_char: index that marks the start of each sequence (None: no marker).
        oov_char: index that replaces removed words (None: they are dropped).
        index_from: offset added to every word index (0, 1 and 2 are reserved
            for padding, start and out-of-vocabulary).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` 1-D object arrays of
        lists of ints, ``y_*`` int arrays of 0 (negative) and 1 (positive).
    """
    if kwargs:
        raise TypeError(f"imdb.load_data: unrecognized keyword arguments: {sorted(kwargs)}.")
    arrays = seq.load_arrays(path, "imdb.npz", NPZ_SHA256)
    rng_seed = np.random.RandomState(seed)  # one stream shuffles both splits, as Keras does
    x_train, labels_train = _shuffle(rng_seed, arrays["x_train"], arrays["y_train"])
    x_test, labels_test = _shuffle(rng_seed, arrays["x_test"], arrays["y_test"])
    x_train = seq.shift(x_train, start_char, index_from)
    x_test = seq.shift(x_test, start_char, index_from)
    labels_train, labels_test = list(labels_train), list(labels_test)
    if maxlen:
        x_train, labels_train = seq.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = seq.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"imdb.load_data: no sequence is shorter than maxlen={maxlen}; "
                "increase maxlen."
            )
    xs = seq.cut_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.asarray(labels_train + labels_test, dtype=arrays["y_train"].dtype)
    idx = len(x_train)
    return ((seq.as_object_array(xs[:idx]), labels[:idx]),
            (seq.as_object_array(xs[idx:]), labels[idx:]))


def _shuffle(rng, x, y):
    indices = np.arange(len(x))
    rng.shuffle(indices)
    return x[indices], y[indices]


def get_word_index(path="imdb_word_index.json"):
    """The ``{word: index}`` dictionary of the IMDB dataset (indices before ``index_from``)."""
    return seq.load_word_index(path, "imdb_word_index.json", WORD_INDEX_MD5)
