"""cornu's versions: its own, and the Keras API version it implements.

``cornu.__version__`` is cornu's own version; ``cornu.keras_version`` is the
Keras 3 API release whose names and behaviour cornu follows.  Under
``cornu.alias_keras()`` the ``keras`` module *is* ``cornu``, so the alias
presents ``keras_version`` as ``__version__`` (and ``version()``): version checks
in Keras-based libraries and in TensorFlow's ``tf.keras`` loader then take their
Keras 3 path.  ``cornu_version`` always holds cornu's own version.
"""

__version__ = "0.1.0"
cornu_version = __version__
keras_version = "3.15.1"


def version():
    """The version string, as ``keras.version()``: cornu's own version, or the Keras
    API version (``keras_version``) once ``cornu.alias_keras()`` made ``keras`` cornu."""
    import cornu

    return cornu.__version__
