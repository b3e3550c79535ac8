"""Fixtures for the layer tests: Keras 3 as an independent reference.

The tests run once per backend (``CORNU_BACKEND``; ``KERAS_BACKEND`` follows it,
see tests/conftest.py).  ``ref`` compares a cornu layer with the Keras layer of
the same name and config: same weight shapes in the same order (proved by
copying cornu's weights into Keras with ``set_weights``), same outputs, same
config keys.
"""
import numpy as np
import pytest

from cornu import ops


def to_numpy(x):
    if isinstance(x, (list, tuple)):
        return [to_numpy(v) for v in x]
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture(scope="session")
def keras():
    """Keras 3, imported after cornu's backend (torch before tensorflow in one process)."""
    ops.convert_to_tensor(np.zeros(1, "float32"))  # import the cornu backend first
    return pytest.importorskip("keras")


class Reference:
    """Helpers comparing cornu layers with their Keras counterparts."""

    def __init__(self, keras):
        self.keras = keras

    def keras_layer(self, class_name, **kwargs):
        return getattr(self.keras.layers, class_name)(**kwargs)

    def compare(self, layer, klayer, inputs, atol=1e-5, rtol=1e-5, training=False,
                call_kwargs=None):
        """Build both on ``inputs``, copy cornu's weights into Keras, compare outputs.

        Returns the cornu output as numpy.
        """
        call_kwargs = dict(call_kwargs or {})
        # Build both with an inference call (no state changes), then copy cornu's
        # weights into Keras, then make the compared calls once each.
        if not layer.built:
            layer(inputs, **call_kwargs)
        if not klayer.built:
            klayer(inputs, **call_kwargs)
        weights = layer.get_weights()
        kweights = klayer.get_weights()
        assert [w.shape for w in weights] == [w.shape for w in kweights], (
            f"weight shapes differ: cornu {[w.shape for w in weights]}, "
            f"keras {[w.shape for w in kweights]}"
        )
        if weights:
            klayer.set_weights(weights)
        if training:
            call_kwargs["training"] = True
        out = layer(inputs, **call_kwargs)
        kout = klayer(inputs, **call_kwargs)
        out_np, kout_np = to_numpy(out), np.asarray(self.keras.ops.convert_to_numpy(kout))
        assert out_np.shape == kout_np.shape
        np.testing.assert_allclose(out_np, kout_np, atol=atol, rtol=rtol)
        return out_np

    def assert_config_keys(self, layer, klayer, extras=()):
        """cornu's config keys equal Keras's, plus the justified ``extras``."""
        keys = set(layer.get_config())
        kkeys = set(klayer.get_config())
        assert keys == kkeys | set(extras), (
            f"cornu-only keys {sorted(keys - kkeys)}, keras-only keys {sorted(kkeys - keys)}"
        )

    def check(self, class_name, inputs, atol=1e-5, rtol=1e-5, extras=(), **kwargs):
        """The whole Keras comparison for ``class_name(**kwargs)`` on ``inputs``: same
        weight shapes and outputs (with copied weights), ``compute_output_shape`` equal
        to the real output shape, the same config keys, and a config round trip.

        Returns the cornu layer and its output as numpy.
        """
        from cornu import layers

        layer = getattr(layers, class_name)(**kwargs)
        klayer = self.keras_layer(class_name, **kwargs)
        out = self.compare(layer, klayer, inputs, atol=atol, rtol=rtol)
        assert tuple(layer.compute_output_shape(tuple(inputs.shape))) == out.shape
        self.assert_config_keys(layer, klayer, extras)
        self.roundtrip(layer)
        return layer, out

    def roundtrip(self, layer):
        """``from_config(get_config())`` gives an equal config (and a usable layer)."""
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
        return clone


@pytest.fixture(scope="session")
def ref(keras):
    return Reference(keras)


@pytest.fixture
def compiled(backend_name):
    """Wrap a function the way the trainer compiles a step (``tf.function`` on TF)."""

    def wrap(fn):
        if backend_name == "tensorflow":
            import tensorflow as tf

            return tf.function(fn)
        return fn

    return wrap


@pytest.fixture
def grads(backend_name):
    """``grads(layer, x, **call_kwargs)``: d sum(layer(x)) / d w for each trainable weight,
    as numpy arrays (None for a weight the output does not depend on)."""

    def compute(layer, x, **call_kwargs):
        if not layer.built:
            layer(x, **call_kwargs)
        weights = layer.trainable_weights
        if backend_name == "torch":
            for w in weights:
                w.value.grad = None
            y = layer(x, **call_kwargs)
            y.sum().backward()
            return [None if w.value.grad is None else w.value.grad.numpy() for w in weights]
        import tensorflow as tf

        with tf.GradientTape() as tape:
            y = tf.reduce_sum(layer(x, **call_kwargs))
        out = tape.gradient(y, [w.value for w in weights])
        return [None if g is None else tf.convert_to_tensor(g).numpy() for g in out]

    return compute


@pytest.fixture
def numpy_of():
    return to_numpy


@pytest.fixture(autouse=True)
def _fresh_names():
    """Start each test with fresh automatic layer names."""
    from cornu import naming

    naming.reset()
    yield


def pytest_collection_modifyitems(config, items):
    """Silence a NumPy 2 deprecation raised inside Keras's torch variables (not cornu)."""
    here = __file__.rsplit("/", 1)[0]
    mark = pytest.mark.filterwarnings(
        "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
    )
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(mark)
