"""Fixtures for the op tests (they run once per backend, see tests/conftest.py)."""
import pytest


@pytest.fixture
def compiled(backend_name):
    """Wrap a function the way a trainer compiles a step (``tf.function`` on TF).

    On torch the function runs eagerly, which is what the torch trainer does.
    """

    def wrap(fn, input_signature=None):
        if backend_name == "tensorflow":
            import tensorflow as tf

            return tf.function(fn, input_signature=input_signature)
        return fn

    return wrap


@pytest.fixture
def tensor_spec(backend_name):
    """``tensor_spec(shape, dtype)``: an input signature entry (None on torch)."""

    def make(shape, dtype="float32"):
        if backend_name == "tensorflow":
            import tensorflow as tf

            return tf.TensorSpec(shape, dtype)
        return None

    return make
