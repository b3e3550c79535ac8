"""Reuters: 11,228 newswires labelled with one of 46 topics, as word-index sequences."""
import numpy as np

from cornu.datasets import _sequences as seq

__all__ = ["get_label_names", "get_word_index", "load_data"]

NPZ_SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"

#: The 46 topics, in label order.
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
    "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed",
    "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber",
    "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi",
    "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """Loads the Reuters newswire topic classification dataset.

    Args:
        path: where to cache the data (relative to ``~/.cornu/datasets``).
        num_words: keep only the ``num_words`` most frequent words (others become
            ``oov_char``); None keeps every word.
        skip_top: also replace the ``skip_top`` most frequent words by ``oov_char``.
        maxlen: keep only the sequences shorter than ``maxlen``; None keeps all.
        test_split: fraction of the (shuffled) newswires used as the test set.
        seed: seed of the shuffle.
        start_char: index that marks the start of each sequence (None: no marker).
        oov_char: index that replaces removed words (None: they are dropped).
        index_from: offset added to every word index.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` 1-D object arrays of
        lists of ints, ``y_*`` int arrays of topic labels 0-45.
    """
    arrays = seq.load_arrays(path, "reuters.npz", NPZ_SHA256)
    xs, labels = seq.shuffled(seed, arrays["x"], arrays["y"])
    xs = seq.shift(xs, start_char, index_from)
    labels = list(labels)
    if maxlen:
        xs, labels = seq.drop_long(maxlen, xs, labels)
    xs = seq.cut_vocabulary(xs, num_words, skip_top, oov_char)
    labels = np.asarray(labels, dtype=arrays["y"].dtype)
    idx = int(len(xs) * (1 - test_split))
    return ((seq.as_object_array(xs[:idx]), labels[:idx]),
            (seq.as_object_array(xs[idx:]), labels[idx:]))


def get_word_index(path="reuters_word_index.json"):
    """The ``{word: index}`` dictionary of the Reuters dataset (indices before ``index_from``)."""
    return seq.load_word_index(path, "reuters_word_index.json", WORD_INDEX_MD5)


def get_label_names():
    """The 46 topic names, indexed by label."""
    return LABEL_NAMES
