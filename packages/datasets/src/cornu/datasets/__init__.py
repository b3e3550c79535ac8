"""Datasets with the Keras 3 API: ``cornu.datasets.mnist.load_data()`` and friends.

Files are cached in ``$CORNU_HOME/datasets`` (``~/.cornu/datasets``) and
verified against their canonical hashes.  Set ``CORNU_DATASETS_MIRROR`` to a
local folder or a base URL to fetch them from a mirror first (air-gapped
machines, CI); see ``cornu.datasets._mirror``.
"""
from cornu.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
