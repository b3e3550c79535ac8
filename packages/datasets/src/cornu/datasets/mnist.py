"""MNIST: 70,000 28x28 grayscale images of handwritten digits."""
import os

import numpy as np

from cornu.datasets._idx import load_idx_pair
from cornu.datasets._npz import holds_arrays
from cornu.utils.mirror import fetch, from_cache, from_mirror, mirror_location

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
#: sha256 of the canonical ``mnist.npz`` (the value Keras checks).
NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
#: ``_npz.arrays_sha256`` of its arrays: a rebuilt npz holding them is accepted too.
ARRAYS_SHA256 = "bd930a59a860c3d5915c6d67631a728a21bc7c535055bac61f9487e95b28eaa5"
#: The four original IDX files (labels before images, train before test) and their
#: sha256; their md5 are the published f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d....
IDX_FILES = {
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
}
IDX_CACHE_SUBDIR = os.path.join("datasets", "mnist")


def _load_npz(path):
    with np.load(path, allow_pickle=False) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    return (x_train, y_train), (x_test, y_test)


def _load_idx(paths):
    x_train, y_train = load_idx_pair(paths[0], paths[1])
    x_test, y_test = load_idx_pair(paths[2], paths[3])
    return (x_train, y_train), (x_test, y_test)


def _idx_paths(source):
    """The four IDX files through ``source(fname, sha256)``, or None if one is missing."""
    paths = []
    for fname, sha256 in IDX_FILES.items():
        path = source(fname, sha256)
        if path is None:
            return None
        paths.append(path)
    return paths


def load_data(path="mnist.npz"):
    """Loads the MNIST dataset.

    60,000 training and 10,000 test 28x28 grayscale images of the digits 0-9.

    The canonical ``mnist.npz`` is cached as ``~/.cornu/datasets/<path>`` and
    checked against its sha256.  With ``CORNU_DATASETS_MIRROR`` set (a folder
    or a URL), the mirror is tried first and may hold either ``mnist.npz`` or
    the four original IDX files (``train-images-idx3-ubyte.gz``, ...), which
    are then cached in ``~/.cornu/datasets/mnist/``.  Both give the same arrays.

    Args:
        path: where to cache the dataset locally (relative to
            ``~/.cornu/datasets``).

    Returns:
        Tuple of NumPy arrays ``(x_train, y_train), (x_test, y_test)``:
        ``x_train`` ``uint8`` ``(60000, 28, 28)`` with pixel values 0-255,
        ``y_train`` ``uint8`` ``(60000,)`` with digit labels 0-9, ``x_test``
        ``uint8`` ``(10000, 28, 28)``, ``y_test`` ``uint8`` ``(10000,)``.

    License:
        Yann LeCun and Corinna Cortes hold the copyright of the MNIST dataset,
        a derivative work of the original NIST datasets.  It is made available
        under the terms of the Creative Commons Attribution-Share Alike 3.0 license.
    """
    cached = from_cache(path, NPZ_SHA256, accept=holds_arrays(ARRAYS_SHA256))
    if cached is not None:
        return _load_npz(cached)
    paths = _idx_paths(lambda f, h: from_cache(f, h, IDX_CACHE_SUBDIR))
    if paths is not None:
        return _load_idx(paths)
    if mirror_location() is not None:
        paths = _idx_paths(
            lambda f, h: from_mirror(f, h, IDX_CACHE_SUBDIR, mirror_subdir="mnist")
        )
        if paths is not None:
            return _load_idx(paths)
    return _load_npz(fetch(path, origin=ORIGIN, file_hash=NPZ_SHA256, mirror_subdir="mnist",
                           accept=holds_arrays(ARRAYS_SHA256)))
