"""Conv1D/2D/3DTranspose, DepthwiseConv1D/2D and SeparableConv1D/2D: numpy and Keras 3."""
import numpy as np
import pytest

import cornu
from cornu import layers


def numpy_conv_transpose_1d(x, kernel, stride, padding, output_padding):
    """Naive 1D transposed convolution (channels_last), TF/Keras output-size rule."""
    batch, length, _ = x.shape
    k, filters, _ = kernel.shape
    full = np.zeros((batch, (length - 1) * stride + k, filters))
    for t in range(length):
        full[:, t * stride:t * stride + k, :] += np.einsum("bc,kfc->bkf", x[:, t], kernel)
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        out_len = (length - 1) * stride + k + extra
        pad_before = 0
    else:
        out_len = length * stride if output_padding is None else (
            (length - 1) * stride + k % 2 + output_padding)
        pad_before = (k - 1) // 2 if output_padding is None else (k - 1) // 2
        total = (length - 1) * stride + k - out_len
        pad_before = max(total, 0) // 2
    out = np.zeros((batch, out_len, filters))
    n = min(out_len, full.shape[1] - pad_before)
    out[:, :n] = full[:, pad_before:pad_before + n]
    return out


@pytest.mark.parametrize("stride,padding,output_padding", [
    (1, "valid", None), (2, "valid", None), (2, "valid", 1), (3, "same", None),
    (2, "same", 1),
])
def test_conv1d_transpose_matches_numpy(stride, padding, output_padding, rng, numpy_of):
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    layer = layers.Conv1DTranspose(4, 3, strides=stride, padding=padding,
                                   output_padding=output_padding, use_bias=False)
    y = numpy_of(layer(x))
    (kernel,) = layer.get_weights()
    assert kernel.shape == (3, 4, 3)  # (kernel_size, filters, input_channels), as Keras
    expected = numpy_conv_transpose_1d(x, kernel, stride, padding, output_padding)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, atol=1e-4)


TRANSPOSE_CASES = [
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=4, strides=2, padding="same",
                             output_padding=1), (2, 5, 2)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 4, 5, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=(2, 3), strides=(2, 1),
                             output_padding=(1, 0), activation="relu"), (2, 4, 4, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2), (1, 5, 5, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2,
                             data_format="channels_first"), (2, 3, 4, 4)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2, padding="same"),
     (1, 3, 3, 3, 2)),
]


@pytest.mark.parametrize("name,kwargs,shape", TRANSPOSE_CASES)
def test_conv_transpose_matches_keras(ref, rng, name, kwargs, shape):
    x = rng.standard_normal(shape).astype("float32")
    ref.check(name, x, atol=1e-4, bias_initializer="random_normal", **kwargs)


CHANNELWISE_CASES = [
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2), (2, 7, 3)),
    ("DepthwiseConv1D", dict(kernel_size=2, strides=2, padding="same"), (2, 7, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2, padding="same"), (2, 6, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=(2, 3), dilation_rate=2), (2, 7, 7, 2)),
    # Keras 3.15's TensorFlow backend adds the bias of a channels-first depthwise conv
    # to the wrong channels, so this case compares without a bias (the bias is checked
    # against numpy in test_depthwise_conv2d_channels_first_bias).
    ("DepthwiseConv2D", dict(kernel_size=3, strides=2, data_format="channels_first",
                             use_bias=False), (2, 3, 7, 7)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, depth_multiplier=2), (2, 8, 3)),
    ("SeparableConv2D", dict(filters=5, kernel_size=3, padding="same", strides=2,
                             activation="tanh"), (2, 7, 6, 3)),
    ("SeparableConv2D", dict(filters=2, kernel_size=2, data_format="channels_first",
                             depth_multiplier=3), (2, 2, 5, 5)),
]


@pytest.mark.parametrize("name,kwargs,shape", CHANNELWISE_CASES)
def test_depthwise_separable_match_keras(ref, rng, name, kwargs, shape):
    x = rng.standard_normal(shape).astype("float32")
    ref.check(name, x, atol=1e-4, bias_initializer="random_normal", **kwargs)


def test_depthwise_conv2d_matches_per_channel_numpy(rng, numpy_of):
    x = rng.standard_normal((2, 5, 5, 3)).astype("float32")
    layer = layers.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False)
    y = numpy_of(layer(x))
    (kernel,) = layer.get_weights()
    assert kernel.shape == (3, 3, 3, 2)
    expected = np.zeros((2, 3, 3, 6), "float32")
    for i in range(3):
        for j in range(3):
            window = x[:, i:i + 3, j:j + 3, :]  # (b, 3, 3, c)
            expected[:, i, j] = np.einsum("bhwc,hwcm->bcm", window, kernel).reshape(2, 6)
    np.testing.assert_allclose(y, expected, atol=1e-4)


def test_depthwise_conv2d_channels_first_bias(rng, numpy_of):
    x = rng.standard_normal((2, 3, 7, 7)).astype("float32")
    layer = layers.DepthwiseConv2D(3, strides=2, data_format="channels_first",
                                   bias_initializer="random_normal")
    y = numpy_of(layer(x))
    kernel, bias = layer.get_weights()
    xl = np.moveaxis(x, 1, -1)
    expected = np.zeros((2, 3, 3, 3))
    for i in range(3):
        for j in range(3):
            window = xl[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            expected[:, i, j] = np.einsum("bhwc,hwc->bc", window, kernel[..., 0])
    np.testing.assert_allclose(y, np.moveaxis(expected + bias, -1, 1), atol=1e-5)


def test_separable_weights_order_and_gradients(rng, grads):
    layer = layers.SeparableConv2D(4, 3)
    x = rng.standard_normal((2, 6, 6, 3)).astype("float32")
    layer(x)
    assert [w.name for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(3, 3, 3, 1), (1, 1, 3, 4), (4,)]
    g = grads(layer, x)
    assert all(v is not None and np.abs(v).sum() > 0 for v in g)
    np.testing.assert_allclose(g[2], np.full(4, 2 * 4 * 4), rtol=1e-5)


@pytest.mark.parametrize("cls", [layers.Conv2DTranspose, layers.DepthwiseConv2D])
def test_channelwise_and_transpose_gradients_reach_weights(cls, rng, grads):
    layer = cls(2, 3) if cls is layers.Conv2DTranspose else cls(3)
    x = rng.standard_normal((2, 5, 5, 2)).astype("float32")
    g = grads(layer, x)
    assert len(g) == 2 and all(v is not None and np.abs(v).sum() > 0 for v in g)


def test_transpose_in_functional_model_shapes():
    inputs = cornu.Input((4, 4, 3))
    y = layers.Conv2DTranspose(2, 3, strides=2, padding="same")(inputs)
    y = layers.SeparableConv2D(3, 3, padding="same")(y)
    y = layers.DepthwiseConv2D(3)(y)
    model = cornu.Model(inputs, y)
    assert model.output_shape == (None, 6, 6, 3)
    out = model(np.zeros((1, 4, 4, 3), "float32"))
    assert tuple(out.shape) == (1, 6, 6, 3)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="output_padding"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="filters"):
        layers.Conv1DTranspose(0, 3)
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2DTranspose(2, 3, padding="causal")
    with pytest.raises(ValueError, match="depth_multiplier"):
        layers.DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="filters"):
        layers.SeparableConv1D(-1, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        layers.SeparableConv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.DepthwiseConv2D(3)(np.zeros((2, 5, 3), "float32"))


def test_aliases_and_registry():
    from cornu.plugins import registry

    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.SeparableConvolution2D is layers.SeparableConv2D
    for name in ("Conv3DTranspose", "Convolution1DTranspose", "SeparableConvolution1D",
                 "DepthwiseConv1D"):
        assert registry.get("layer", name) is getattr(layers, name)
