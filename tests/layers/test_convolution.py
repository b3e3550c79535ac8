"""Conv1D/2D/3D against a naive numpy convolution and against Keras 3."""
import itertools

import numpy as np
import pytest

import cornu
from cornu import layers


def numpy_conv(x, kernel, bias, strides, padding, dilation, data_format="channels_last"):
    """Naive N-D convolution, TF semantics ('same' pads more at the end), any groups.

    x: (batch, *spatial, cin) (or channels-first); kernel: (*k, cin // groups, cout).
    """
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    rank = x.ndim - 2
    ksize = kernel.shape[:rank]
    cin, cout = x.shape[-1], kernel.shape[-1]
    groups = cin // kernel.shape[-2]
    k_eff = [(k - 1) * d + 1 for k, d in zip(ksize, dilation)]
    if padding == "causal":
        pad = [(k_eff[0] - 1, 0)]
    elif padding == "same":
        pad = []
        for n, ke, s in zip(x.shape[1:-1], k_eff, strides):
            out = -(-n // s)
            total = max((out - 1) * s + ke - n, 0)
            pad.append((total // 2, total - total // 2))
    else:
        pad = [(0, 0)] * rank
    x = np.pad(x, [(0, 0)] + pad + [(0, 0)])
    out_sizes = [(n - ke) // s + 1 for n, ke, s in zip(x.shape[1:-1], k_eff, strides)]
    out = np.zeros((x.shape[0], *out_sizes, cout), dtype=np.float64)
    per_in, per_out = cin // groups, cout // groups
    for pos in itertools.product(*[range(n) for n in out_sizes]):
        index = tuple(
            slice(p * s, p * s + ke, d) for p, s, ke, d in zip(pos, strides, k_eff, dilation)
        )
        window = x[(slice(None),) + index]  # (batch, *k, cin)
        for g in range(groups):
            w = window[..., g * per_in:(g + 1) * per_in]
            k = kernel[..., g * per_out:(g + 1) * per_out]
            axes = list(range(1, rank + 2))
            out[(slice(None),) + pos + (slice(g * per_out, (g + 1) * per_out),)] = np.tensordot(
                w, k, axes=(axes, list(range(rank + 1))))
    out = out + bias
    if data_format == "channels_first":
        out = np.moveaxis(out, -1, 1)
    return out.astype("float32")


CONV2D_CASES = [
    dict(filters=4, kernel_size=3),
    dict(filters=4, kernel_size=(3, 2), strides=2, padding="same"),
    dict(filters=3, kernel_size=3, strides=(2, 1), padding="valid"),
    dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"),
    dict(filters=4, kernel_size=2, groups=2, padding="same", strides=2),
    dict(filters=4, kernel_size=3, data_format="channels_first", padding="same"),
    dict(filters=6, kernel_size=(2, 3), groups=3, data_format="channels_first", dilation_rate=(1, 2)),
]


@pytest.mark.parametrize("kwargs", CONV2D_CASES)
def test_conv2d_matches_numpy(kwargs, rng, numpy_of):
    data_format = kwargs.get("data_format", "channels_last")
    shape = (2, 7, 6, 6) if data_format == "channels_last" else (2, 6, 7, 6)
    x = rng.standard_normal(shape).astype("float32")
    layer = layers.Conv2D(bias_initializer="random_normal", **kwargs)
    y = numpy_of(layer(x))
    kernel, bias = layer.get_weights()
    groups = kwargs.get("groups", 1)
    assert kernel.shape == layer.kernel_size + (6 // groups, kwargs["filters"])
    expected = numpy_conv(x, kernel, bias, layer.strides, layer.padding, layer.dilation_rate,
                          data_format)
    np.testing.assert_allclose(y, expected, atol=1e-4, rtol=1e-4)
    assert layer.compute_output_shape(shape) == y.shape


@pytest.mark.parametrize("kwargs", CONV2D_CASES[:5] + [dict(filters=3, kernel_size=3, activation="relu", use_bias=False)])
def test_conv2d_matches_keras(kwargs, ref, rng):
    x = rng.standard_normal((2, 7, 6, 6)).astype("float32")
    layer, klayer = layers.Conv2D(**kwargs), ref.keras_layer("Conv2D", **kwargs)
    ref.compare(layer, klayer, x, atol=1e-4)
    ref.assert_config_keys(layer, klayer)
    assert layer.get_config()["kernel_size"] == klayer.get_config()["kernel_size"]


@pytest.mark.parametrize("kwargs", [
    dict(filters=3, kernel_size=3),
    dict(filters=2, kernel_size=3, padding="causal", dilation_rate=2),
    dict(filters=4, kernel_size=2, strides=2, padding="same", groups=2),
])
def test_conv1d(kwargs, ref, rng, numpy_of):
    x = rng.standard_normal((2, 9, 4)).astype("float32")
    layer, klayer = layers.Conv1D(**kwargs), ref.keras_layer("Conv1D", **kwargs)
    y = ref.compare(layer, klayer, x, atol=1e-4)
    kernel, bias = layer.get_weights()
    expected = numpy_conv(x, kernel, bias, layer.strides, layer.padding, layer.dilation_rate)
    np.testing.assert_allclose(y, expected, atol=1e-4)
    ref.assert_config_keys(layer, klayer)
    assert layer.compute_output_shape(x.shape) == y.shape


def test_conv1d_causal_is_causal(rng, numpy_of):
    layer = layers.Conv1D(1, 3, padding="causal", dilation_rate=2)
    x = rng.standard_normal((1, 10, 1)).astype("float32")
    y1 = numpy_of(layer(x))
    x2 = x.copy()
    x2[:, 6:] += 1.0  # change the future only
    y2 = numpy_of(layer(x2))
    np.testing.assert_allclose(y1[:, :6], y2[:, :6], atol=1e-6)
    assert y1.shape == (1, 10, 1)


def test_conv3d(ref, rng, numpy_of):
    kwargs = dict(filters=2, kernel_size=(2, 3, 2), strides=(1, 2, 1), padding="same")
    x = rng.standard_normal((1, 4, 5, 4, 3)).astype("float32")
    layer, klayer = layers.Conv3D(**kwargs), ref.keras_layer("Conv3D", **kwargs)
    y = ref.compare(layer, klayer, x, atol=1e-4)
    kernel, bias = layer.get_weights()
    expected = numpy_conv(x, kernel, bias, layer.strides, layer.padding, layer.dilation_rate)
    np.testing.assert_allclose(y, expected, atol=1e-4)
    ref.assert_config_keys(layer, klayer)


def test_conv_config_roundtrip(ref):
    layer = layers.Conv2D(8, (3, 5), strides=2, padding="same", activation="relu",
                          kernel_regularizer="l2", bias_constraint="max_norm", groups=2,
                          data_format="channels_first", name="c")
    clone = ref.roundtrip(layer)
    assert clone.kernel_size == (3, 5) and clone.strides == (2, 2) and clone.groups == 2
    ref.roundtrip(layers.Conv1D(2, 3, padding="causal"))
    ref.roundtrip(layers.Conv3D(2, 3))


def test_conv_aliases():
    assert layers.Convolution2D is layers.Conv2D
    assert cornu.plugins.get("layer", "Convolution2D") is layers.Conv2D


@pytest.mark.parametrize("kwargs, words", [
    (dict(filters=0, kernel_size=3), ["Conv2D", "filters", "0"]),
    (dict(filters=2, kernel_size=(3, 3, 3)), ["Conv2D", "kernel_size", "(3, 3, 3)"]),
    (dict(filters=2, kernel_size=3, padding="causal"), ["Conv2D", "padding", "'causal'"]),
    (dict(filters=2, kernel_size=3, padding="full"), ["Conv2D", "padding", "'full'"]),
    (dict(filters=3, kernel_size=3, groups=2), ["Conv2D", "filters=3", "groups=2"]),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), ["strides", "dilation_rate"]),
    (dict(filters=2, kernel_size=3, data_format="nhwc"), ["data_format", "'nhwc'"]),
])
def test_conv_bad_arguments(kwargs, words):
    with pytest.raises(ValueError) as err:
        layers.Conv2D(**kwargs)
    for word in words:
        assert word in str(err.value)


def test_conv_input_checks(rng):
    layer = layers.Conv2D(2, 3, name="conv_probe")
    with pytest.raises(ValueError, match="conv_probe.*ndim=4"):
        layer(np.zeros((2, 5, 5), "float32"))
    layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="conv_probe.*value 3.*\\(1, 5, 5, 4\\)"):
        layer(np.zeros((1, 5, 5, 4), "float32"))
    with pytest.raises(ValueError, match="divisible by groups=2"):
        layers.Conv2D(2, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))


def test_conv_symbolic_shapes():
    x = cornu.Input((28, 28, 1))
    y = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    assert y.shape == (None, 14, 14, 8)
    z = layers.Conv2D(4, 5)(y)
    assert z.shape == (None, 10, 10, 4)
    t = layers.Conv1D(3, 4, padding="causal")(cornu.Input((None, 2)))
    assert t.shape == (None, None, 3)
    with pytest.raises(ValueError, match="zero or negative"):
        layers.Conv2D(4, 5)(cornu.Input((3, 3, 1)))


def test_conv_in_compiled_function(compiled, rng, numpy_of):
    layer = layers.Conv2D(3, 3, padding="same")
    x = rng.standard_normal((2, 5, 5, 2)).astype("float32")
    eager = numpy_of(layer(x))
    np.testing.assert_allclose(numpy_of(compiled(lambda t: layer(t))(x)), eager, atol=1e-5)
