"""``cornu.optimizers.legacy`` (``keras.optimizers.legacy``): Keras 2's optimizers are
not part of Keras 3, nor of cornu.

As in Keras 3, the module exists (programs and libraries written for ``tf.keras`` import
it) and each of its names (``Adagrad``, ``Adam``, ``Ftrl``, ``Optimizer``, ``RMSprop``,
``SGD``) is one class whose constructor raises an ``ImportError`` saying so; use the
Keras 3 optimizers of ``cornu.optimizers`` instead.
"""

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]


class LegacyOptimizerWarning:
    """Stands for a Keras 2 (``tf.keras.optimizers.legacy``) optimizer: creating one
    raises ``ImportError``, as in Keras 3."""

    def __init__(self, *args, **kwargs):
        raise ImportError(
            "`keras.optimizers.legacy` is not supported in Keras 3. When using "
            "`tf.keras`, to continue using a `tf.keras.optimizers.legacy` "
            "optimizer, you can install the `tf_keras` package (Keras 2) and "
            "set the environment variable `TF_USE_LEGACY_KERAS=True` to "
            "configure TensorFlow to use `tf_keras` when accessing `tf.keras`. "
            "cornu follows Keras 3 (`cornu.optimizers.legacy` is this module): use the "
            "optimizers of `cornu.optimizers` (`cornu.optimizers.Adam`, ...) instead."
        )


Adagrad = Adam = Ftrl = Optimizer = RMSprop = SGD = LegacyOptimizerWarning
