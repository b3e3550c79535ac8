"""Datasets with the Keras 3 API: ``cornu.datasets.mnist.load_data()`` and friends.

Files are cached in ``$CORNU_HOME/datasets`` (``~/.cornu/datasets``) and
verified against their canonical hashes.  Set ``CORNU_DATASETS_MIRROR`` to a
local folder or a base URL to fetch them from a mirror first (air-gapped
machines, CI); see ``cornu.utils.mirror``.  Files that hold pickled data
(CIFAR, IMDB, Reuters) are read with an unpickler that can only rebuild arrays.
"""
from cornu.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

#: Every dataset module, by its Keras name (what ``_plugin.py`` registers).
DATASETS = {
    "mnist": mnist, "fashion_mnist": fashion_mnist, "cifar10": cifar10,
    "cifar100": cifar100, "imdb": imdb, "reuters": reuters,
    "boston_housing": boston_housing, "california_housing": california_housing,
}

__all__ = sorted(DATASETS)
