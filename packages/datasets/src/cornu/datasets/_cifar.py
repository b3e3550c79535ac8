"""What CIFAR-10 and CIFAR-100 share: fetching the archive and reading its pickled batches."""
import os

import numpy as np

from cornu import config
from cornu.datasets._npz import load_pickle
from cornu.utils.file_utils import extract_archive, get_cache_dir
from cornu.utils.mirror import fetch

ORIGIN_FOLDER = "https://www.cs.toronto.edu/~kriz/"


def extracted_folder(archive_name, sha256, dirname, inner):
    """The folder ``inner`` of the verified, extracted archive ``archive_name``.

    The archive is fetched (cache, mirror, origin) into ``datasets/`` and
    extracted once into ``datasets/<dirname>/``; extraction refuses members that
    would land outside that folder.  A folder left incomplete by a crash cannot
    exist (extraction is atomic).
    """
    target = os.path.join(get_cache_dir("datasets"), dirname)
    folder = os.path.join(target, inner)
    if not os.path.isdir(folder):
        archive = fetch(archive_name, origin=ORIGIN_FOLDER + archive_name, file_hash=sha256,
                        mirror_subdir=archive_name.split("-python")[0])
        extract_archive(archive, target, "tar")
        if not os.path.isdir(folder):
            raise ValueError(f"{archive} does not contain the folder {inner!r}.")
    return folder


def load_batch(fpath, label_key="labels"):
    """``(data, labels)`` of one pickled CIFAR batch: data ``(N, 3, 32, 32)`` uint8."""
    with open(fpath, "rb") as f:
        batch = load_pickle(f, encoding="bytes")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data = np.asarray(batch["data"], dtype="uint8")
    return data.reshape(data.shape[0], 3, 32, 32), np.asarray(batch[label_key], dtype="uint8")


def finish(x_train, y_train, x_test, y_test):
    """Labels as ``(N, 1)`` columns, images in the configured ``image_data_format``."""
    y_train = y_train.reshape(len(y_train), 1)
    y_test = y_test.reshape(len(y_test), 1)
    if config.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
