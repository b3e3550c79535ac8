"""CIFAR-10: 60,000 32x32 colour images in 10 classes."""
import os

import numpy as np

from cornu.datasets._cifar import extracted_folder, finish, load_batch

__all__ = ["load_data"]

ARCHIVE = "cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """Loads the CIFAR-10 dataset.

    50,000 training and 10,000 test 32x32 colour images of 10 classes
    (airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck).
    The archive (163 MB) is cached in ``~/.cornu/datasets`` and checked against
    its sha256; ``CORNU_DATASETS_MIRROR`` is tried before the canonical origin.
    The pickled batches are read with an unpickler that can only rebuild arrays.

    Returns:
        Tuple of NumPy arrays ``(x_train, y_train), (x_test, y_test)``:
        ``x_train`` ``uint8`` ``(50000, 32, 32, 3)`` (``(50000, 3, 32, 32)``
        when ``image_data_format`` is ``"channels_first"``), ``y_train``
        ``uint8`` ``(50000, 1)`` with labels 0-9, ``x_test`` ``uint8``
        ``(10000, 32, 32, 3)``, ``y_test`` ``uint8`` ``(10000, 1)``.
    """
    folder = extracted_folder(ARCHIVE, SHA256, "cifar-10-batches-py-target",
                              "cifar-10-batches-py")
    batches = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([b[0] for b in batches])
    y_train = np.concatenate([b[1] for b in batches])
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    return finish(x_train, y_train, x_test, y_test)
