"""``cornu.legacy`` (``keras.legacy``): what Keras 3 keeps of Keras 2's API.

As in Keras 3.15 it holds one submodule, :mod:`cornu.legacy.saving`, Keras 2's form of
(de)serialization (``serialize_keras_object`` / ``deserialize_keras_object``), the same
functions as ``cornu.utils.legacy``.
"""
from cornu.legacy import saving

__all__ = ["saving"]
