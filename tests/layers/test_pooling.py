"""Pooling layers against numpy and Keras 3."""
import itertools

import numpy as np
import pytest

import cornu
from cornu import layers


def numpy_pool(x, pool, strides, padding, mode, data_format="channels_last"):
    """Naive pooling with TF 'same' semantics (average ignores padded positions)."""
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    rank = x.ndim - 2
    sizes = x.shape[1:-1]
    if padding == "same":
        outs = [-(-n // s) for n, s in zip(sizes, strides)]
        pads = [max((o - 1) * s + p - n, 0) for o, s, p, n in zip(outs, strides, pool, sizes)]
        starts = [-(t // 2) for t in pads]
    else:
        outs = [(n - p) // s + 1 for n, p, s in zip(sizes, pool, strides)]
        starts = [0] * rank
    out = np.zeros((x.shape[0], *outs, x.shape[-1]), "float64")
    for pos in itertools.product(*[range(o) for o in outs]):
        index = []
        for p, s, st, k, n in zip(pos, strides, starts, pool, sizes):
            lo = st + p * s
            index.append(slice(max(lo, 0), min(lo + k, n)))
        window = x[(slice(None), *index)]
        axes = tuple(range(1, rank + 1))
        value = window.max(axis=axes) if mode == "max" else window.mean(axis=axes)
        out[(slice(None), *pos)] = value
    if data_format == "channels_first":
        out = np.moveaxis(out, -1, 1)
    return out.astype("float32")


POOL_CASES = [
    ("MaxPooling2D", dict()),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same")),
    ("MaxPooling2D", dict(pool_size=(2, 3), strides=(1, 2), data_format="channels_first")),
    ("AveragePooling2D", dict(pool_size=2)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same")),
    ("AveragePooling2D", dict(pool_size=(3, 2), strides=1, padding="same",
                              data_format="channels_first")),
    ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same")),
    ("AveragePooling1D", dict(pool_size=2)),
    ("AveragePooling1D", dict(pool_size=4, strides=3, padding="same")),
    ("MaxPooling3D", dict(pool_size=2, padding="same")),
    ("AveragePooling3D", dict(pool_size=(2, 2, 1), strides=(1, 2, 1))),
]
SHAPES = {1: (2, 9, 3), 2: (2, 7, 6, 3), 3: (1, 5, 4, 3, 2)}


@pytest.mark.parametrize("name, kwargs", POOL_CASES)
def test_pooling_matches_numpy_and_keras(name, kwargs, rng, ref, backend_name, numpy_of):
    rank = int(name[-2])
    x = rng.standard_normal(SHAPES[rank]).astype("float32")
    layer = getattr(layers, name)(**kwargs)
    mode = "max" if name.startswith("Max") else "average"
    expected = numpy_pool(x, layer.pool_size, layer.strides, layer.padding, mode,
                          layer.data_format)
    if backend_name == "torch" and mode == "average" and layer.padding == "same":
        # Keras 3's torch backend averages 'same' windows differently from its
        # TensorFlow backend (and from TF itself); cornu follows TF on both
        # backends, so only the numpy reference applies here.
        y = numpy_of(layer(x))
    else:
        y = ref.compare(layer, ref.keras_layer(name, **kwargs), x)
    np.testing.assert_allclose(y, expected, atol=1e-5)
    assert layer.compute_output_shape(x.shape) == y.shape
    ref.assert_config_keys(layer, ref.keras_layer(name, **kwargs))
    assert layer.get_config()["pool_size"] == ref.keras_layer(name, **kwargs).get_config()["pool_size"]
    assert layer.get_config()["strides"] == ref.keras_layer(name, **kwargs).get_config()["strides"]
    ref.roundtrip(layer)


def test_pooling_defaults():
    assert layers.MaxPooling2D().pool_size == (2, 2) and layers.MaxPooling2D().strides == (2, 2)
    assert layers.MaxPooling1D().pool_size == (2,)
    assert layers.MaxPooling3D().pool_size == (2, 2, 2)
    with pytest.raises(TypeError):
        layers.AveragePooling2D()  # pool_size is required, as in Keras
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert cornu.plugins.get("layer", "MaxPool2D") is layers.MaxPooling2D
    assert cornu.plugins.get("layer", "AvgPool1D") is layers.AveragePooling1D


@pytest.mark.parametrize("kwargs, words", [
    (dict(pool_size=0), ["MaxPooling2D", "pool_size", "0"]),
    (dict(pool_size=(2, 2, 2)), ["pool_size", "(2, 2, 2)"]),
    (dict(padding="causal"), ["padding", "'causal'"]),
    (dict(strides="2"), ["strides", "'2'"]),
])
def test_pooling_bad_arguments(kwargs, words):
    with pytest.raises(ValueError) as err:
        layers.MaxPooling2D(**kwargs)
    for word in words:
        assert word in str(err.value)


def test_pooling_symbolic_and_errors():
    x = cornu.Input((28, 28, 8))
    assert layers.MaxPooling2D()(x).shape == (None, 14, 14, 8)
    assert layers.MaxPooling2D(3, strides=2, padding="same")(x).shape == (None, 14, 14, 8)
    assert layers.AveragePooling2D(3, strides=2)(x).shape == (None, 13, 13, 8)
    with pytest.raises(ValueError, match="ndim=4"):
        layers.MaxPooling2D(name="mp")(cornu.Input((4, 4)))
    ints = cornu.Input((4, 4, 2), dtype="int32")
    assert layers.MaxPooling2D()(ints).dtype == "int32"


GLOBAL_CASES = [
    ("GlobalAveragePooling1D", {}, (2, 5, 3)),
    ("GlobalMaxPooling1D", {"keepdims": True}, (2, 5, 3)),
    ("GlobalAveragePooling2D", {"data_format": "channels_first"}, (2, 3, 4, 5)),
    ("GlobalMaxPooling2D", {}, (2, 4, 5, 3)),
    ("GlobalAveragePooling3D", {"keepdims": True}, (1, 2, 3, 4, 2)),
    ("GlobalMaxPooling3D", {"data_format": "channels_first", "keepdims": True}, (1, 2, 3, 4, 2)),
]


@pytest.mark.parametrize("name, kwargs, shape", GLOBAL_CASES)
def test_global_pooling(name, kwargs, shape, rng, ref):
    x = rng.standard_normal(shape).astype("float32")
    layer = getattr(layers, name)(**kwargs)
    y = ref.compare(layer, ref.keras_layer(name, **kwargs), x)
    rank = len(shape) - 2
    axes = tuple(range(1, rank + 1)) if kwargs.get("data_format") != "channels_first" \
        else tuple(range(2, rank + 2))
    reduce = np.max if "Max" in name else np.mean
    np.testing.assert_allclose(y, reduce(x, axis=axes, keepdims=kwargs.get("keepdims", False)),
                               atol=1e-5)
    assert layer.compute_output_shape(shape) == y.shape
    ref.assert_config_keys(layer, ref.keras_layer(name, **kwargs))
    ref.roundtrip(layer)
    alias = name.replace("AveragePooling", "AvgPool").replace("MaxPooling", "MaxPool")
    assert getattr(layers, alias) is getattr(layers, name)


def test_global_average_pooling1d_mask(rng, numpy_of):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    y = numpy_of(layers.GlobalAveragePooling1D()(x, mask=mask))
    np.testing.assert_allclose(y[0], x[0, :2].mean(0), atol=1e-6)
    np.testing.assert_allclose(y[1], x[1].mean(0), atol=1e-6)
