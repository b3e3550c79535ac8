"""Every layer: symbolic output shapes equal Keras's, and a compiled step with an unknown batch."""
import numpy as np
import pytest

import cornu
from cornu import layers

# (class name, kwargs, input shape without batch, input dtype, training)
CASES = [
    ("Dense", dict(units=3), (4, 5), "float32", False),
    ("Conv1D", dict(filters=2, kernel_size=3, padding="causal"), (7, 3), "float32", False),
    ("Conv2D", dict(filters=2, kernel_size=3, strides=2, padding="same"), (7, 6, 3), "float32", False),
    ("Conv3D", dict(filters=2, kernel_size=2), (4, 4, 4, 1), "float32", False),
    ("MaxPooling2D", dict(pool_size=3, strides=2), (7, 6, 3), "float32", False),
    ("AveragePooling1D", dict(pool_size=2, padding="same"), (7, 3), "float32", False),
    ("MaxPooling3D", dict(), (4, 4, 4, 2), "float32", False),
    ("GlobalAveragePooling2D", dict(), (4, 4, 3), "float32", False),
    ("GlobalMaxPooling1D", dict(keepdims=True), (5, 3), "float32", False),
    ("Flatten", dict(), (3, 4, 5), "float32", False),
    ("Reshape", dict(target_shape=(-1, 2)), (3, 4), "float32", False),
    ("Permute", dict(dims=(2, 1)), (3, 4), "float32", False),
    ("RepeatVector", dict(n=3), (4,), "float32", False),
    ("ZeroPadding2D", dict(padding=((1, 0), (2, 1))), (3, 4, 2), "float32", False),
    ("Cropping2D", dict(cropping=((1, 0), (0, 1))), (3, 4, 2), "float32", False),
    ("UpSampling2D", dict(size=2), (3, 4, 2), "float32", False),
    ("Activation", dict(activation="relu"), (5,), "float32", False),
    ("ReLU", dict(max_value=1.0), (5,), "float32", False),
    ("LeakyReLU", dict(), (5,), "float32", False),
    ("Softmax", dict(), (5,), "float32", False),
    ("ELU", dict(), (5,), "float32", False),
    ("Identity", dict(), (5,), "float32", False),
    ("Dropout", dict(rate=0.5, seed=1), (6,), "float32", True),
    ("Dropout", dict(rate=0.5, noise_shape=(None, 1, 4), seed=1), (3, 4), "float32", True),
    ("SpatialDropout2D", dict(rate=0.5, seed=1), (3, 3, 2), "float32", True),
    ("GaussianNoise", dict(stddev=0.1, seed=1), (6,), "float32", True),
    ("ActivityRegularization", dict(l1=0.1), (6,), "float32", False),
    ("BatchNormalization", dict(), (3, 4), "float32", True),
    ("LayerNormalization", dict(axis=[1, 2]), (3, 4), "float32", False),
    ("Embedding", dict(input_dim=10, output_dim=3), (5,), "int32", False),
]


def _ids(case):
    return f"{case[0]}-{'-'.join(map(str, case[1].values()))}"


@pytest.mark.parametrize("name, kwargs, shape, dtype, training", CASES, ids=map(_ids, CASES))
def test_symbolic_shape_matches_keras(name, kwargs, shape, dtype, training, keras):
    out = getattr(layers, name)(**kwargs)(cornu.Input(shape, dtype=dtype))
    kout = getattr(keras.layers, name)(**kwargs)(keras.Input(shape, dtype=dtype))
    assert out.shape == tuple(kout.shape)
    assert out.dtype == kout.dtype


@pytest.mark.parametrize("name, kwargs, shape, dtype, training", CASES, ids=map(_ids, CASES))
def test_compiled_step_with_unknown_batch(name, kwargs, shape, dtype, training, backend_name,
                                          numpy_of):
    layer = getattr(layers, name)(**kwargs)
    rng = np.random.default_rng(0)
    if dtype == "int32":
        x = rng.integers(0, 10, (3,) + shape).astype(dtype)
    else:
        x = rng.standard_normal((3,) + shape).astype(dtype)
    eager = numpy_of(layer(x))  # builds
    if backend_name == "tensorflow":
        import tensorflow as tf

        step = tf.function(lambda t: layer(t, training=training),
                           input_signature=[tf.TensorSpec((None,) + shape, dtype)])
    else:
        def step(t):
            return layer(t, training=training)
    out = numpy_of(step(x))
    assert out.shape == eager.shape
    if not training:
        np.testing.assert_allclose(out, eager, atol=1e-5)
    out2 = numpy_of(step(x[:2]))  # another batch size, same compiled function
    assert out2.shape == (2,) + eager.shape[1:]
