"""What the two housing datasets share: the npz, the shuffle and the train/test split."""
import numpy as np

from cornu.datasets._npz import holds_arrays
from cornu.utils.mirror import fetch

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def check_test_split(name, test_split):
    if not 0 <= test_split < 1:
        raise ValueError(
            f"{name}.load_data: `test_split` must be in [0, 1); received "
            f"test_split={test_split!r}."
        )


def load_xy(path, canonical_name, sha256, arrays_sha256, mirror_subdir):
    """``x`` and ``y`` of the dataset's npz, cached as ``path``.

    A mirror copy whose zip bytes differ from the canonical file is accepted
    when it holds the same arrays (``arrays_sha256``).
    """
    local = fetch(path, origin=ORIGIN_FOLDER + canonical_name, file_hash=sha256,
                  mirror_subdir=mirror_subdir,
                  accept=None if arrays_sha256 is None else holds_arrays(arrays_sha256))
    with np.load(local, allow_pickle=False) as f:
        return f["x"], f["y"]


def split(x, y, test_split, seed):
    """Shuffle with numpy's legacy RandomState(seed) and split off the last ``test_split``."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
