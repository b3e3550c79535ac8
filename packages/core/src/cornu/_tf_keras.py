"""``tf.keras`` under ``cornu.alias_keras()``: a compatibility module, not public API.

With Keras 3 installed, TensorFlow's ``tf.keras`` (and ``from tensorflow.keras import
...``) loads ``keras._tf_keras.keras``: Keras 3 itself, except that its ``backend``
also carries the legacy TF-Keras backend functions (``K.shape``, ``K.int_shape``,
``K.ndim``...).  Under the alias both names resolve here: every attribute is cornu's
(``tf.keras.layers is cornu.layers``), and ``backend`` is ``cornu._tf_keras_backend``
(``cornu.backend`` plus those legacy functions, written on ``cornu.ops``).
"""
import cornu as _cornu
from cornu import _tf_keras_backend as backend  # noqa: F401

__path__ = []  # a package, so that ``tensorflow.keras.layers`` imports through the alias


def __getattr__(name):
    return getattr(_cornu, name)


def __dir__():
    return sorted(set(dir(_cornu)) | {"backend"})
