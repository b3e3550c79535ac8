"""ConvLSTM1D/2D/3D: a numpy step-by-step reference (no Keras needed) and Keras 3."""
import numpy as np
import pytest

import cornu
from cornu import layers, ops


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_conv1d_same(x, w):
    """``x (b, steps, cin)``, ``w (k, cin, cout)``, stride 1, TF "same" padding."""
    k = w.shape[0]
    before = (k - 1) // 2
    padded = np.pad(x, ((0, 0), (before, k - 1 - before), (0, 0)))
    return sum(np.einsum("bsc,cd->bsd", padded[:, j:j + x.shape[1]], w[j]) for j in range(k))


def np_conv_lstm1d(x, kernel, rec, bias, go_backwards=False):
    batch, steps, length, _ = x.shape
    f = rec.shape[-1] // 4
    h = np.zeros((batch, length, f))
    c = np.zeros((batch, length, f))
    outs = []
    for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
        z = np_conv1d_same(x[:, t], kernel) + np_conv1d_same(h, rec) + bias
        i, fg, g, o = (z[..., n * f:(n + 1) * f] for n in range(4))
        c = sigmoid(fg) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1), h, c


@pytest.mark.parametrize("go_backwards", [False, True])
def test_conv_lstm1d_matches_numpy(rng, numpy_of, go_backwards):
    x = rng.standard_normal((2, 4, 6, 3)).astype("float32")
    layer = layers.ConvLSTM1D(5, 3, padding="same", return_sequences=True, return_state=True,
                              go_backwards=go_backwards, bias_initializer="random_normal")
    seq, h, c = layer(x)
    kernel, rec, bias = (w.astype("float64") for w in layer.get_weights())
    want_seq, want_h, want_c = np_conv_lstm1d(x.astype("float64"), kernel, rec, bias,
                                              go_backwards)
    np.testing.assert_allclose(numpy_of(seq), want_seq, atol=1e-5)
    np.testing.assert_allclose(numpy_of(h), want_h, atol=1e-5)
    np.testing.assert_allclose(numpy_of(c), want_c, atol=1e-5)
    assert layer.compute_output_shape((2, 4, 6, 3)) == ((2, 4, 6, 5), (2, 6, 5), (2, 6, 5))


def test_shapes_stateful_mask_and_config(rng, numpy_of, grads):
    x = rng.standard_normal((2, 3, 5, 5, 2)).astype("float32")
    layer = layers.ConvLSTM2D(4, (3, 3), strides=2, return_sequences=True)
    out = layer(x)
    assert tuple(out.shape) == (2, 3, 2, 2, 4) == layer.compute_output_shape(x.shape)
    symbolic = layers.ConvLSTM2D(4, 3, padding="same")(cornu.Input((3, 5, 5, 2)))
    assert symbolic.shape == (None, 5, 5, 4)
    # A masked step leaves the state unchanged: dropping it gives the same final state.
    layer = layers.ConvLSTM2D(3, 3, padding="same")
    mask = np.array([[1, 0, 1], [1, 1, 0]], bool)
    masked = numpy_of(layer(x, mask=ops.convert_to_tensor(mask)))
    for b in range(2):
        np.testing.assert_allclose(masked[b:b + 1], numpy_of(layer(x[b:b + 1, mask[b]])),
                                   atol=1e-5)
    stateful = layers.ConvLSTM1D(2, 2, stateful=True)
    plain = layers.ConvLSTM1D(2, 2, return_sequences=True)
    xs = rng.standard_normal((2, 4, 5, 3)).astype("float32")
    stateful.build((2, 4, 5, 3))
    plain.build((2, 4, 5, 3))
    plain.set_weights(stateful.get_weights())
    stateful(xs[:, :2])
    np.testing.assert_allclose(numpy_of(stateful(xs[:, 2:])), numpy_of(plain(xs))[:, -1],
                               atol=1e-5)
    assert all(g is not None and np.abs(g).sum() > 0 for g in grads(plain, xs))
    for layer in (layers.ConvLSTM1D(2, 3, dilation_rate=2, recurrent_dropout=0.1),
                  layers.ConvLSTM3D(2, 2, data_format="channels_first")):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    with pytest.raises(ValueError, match="dilation_rate"):
        layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)


CASES = [
    ("ConvLSTM1D", (2, 3, 6, 2), dict(filters=3, kernel_size=3, return_sequences=True)),
    ("ConvLSTM2D", (2, 3, 5, 4, 2), dict(filters=2, kernel_size=(3, 2), padding="same",
                                         return_state=True)),
    ("ConvLSTM3D", (1, 2, 4, 4, 3, 2), dict(filters=2, kernel_size=2, go_backwards=True)),
]


@pytest.mark.parametrize("class_name,shape,kwargs", CASES)
def test_matches_keras(ref, keras, rng, class_name, shape, kwargs):
    x = rng.standard_normal(shape).astype("float32")
    kwargs = dict(kwargs, bias_initializer="random_normal")
    layer = getattr(layers, class_name)(**kwargs)
    klayer = getattr(keras.layers, class_name)(**kwargs)
    layer(x), klayer(x)
    klayer.set_weights(layer.get_weights())
    for g, w in zip(cornu.tree.flatten(layer(x)), cornu.tree.flatten(klayer(x))):
        np.testing.assert_allclose(np.asarray(ops.convert_to_numpy(g)),
                                   keras.ops.convert_to_numpy(w), atol=1e-5)
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
