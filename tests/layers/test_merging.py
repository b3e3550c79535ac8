"""Merging layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot)."""
import numpy as np
import pytest

import cornu
from cornu import layers

ELEMENTWISE = [
    ("Add", "add", lambda xs: sum(xs)),
    ("Multiply", "multiply", lambda xs: np.prod(xs, axis=0)),
    ("Average", "average", lambda xs: np.mean(xs, axis=0)),
    ("Maximum", "maximum", lambda xs: np.max(xs, axis=0)),
    ("Minimum", "minimum", lambda xs: np.min(xs, axis=0)),
    ("Subtract", "subtract", lambda xs: xs[0] - xs[1]),
]


@pytest.mark.parametrize("name, fn_name, reference", ELEMENTWISE)
def test_elementwise_merge(name, fn_name, reference, ref, rng):
    count = 2 if name == "Subtract" else 3
    xs = [rng.standard_normal((2, 3, 4)).astype("float32") for _ in range(count)]
    layer, klayer = getattr(layers, name)(), ref.keras_layer(name)
    y = ref.compare(layer, klayer, xs)
    np.testing.assert_allclose(y, reference(np.stack(xs)), atol=1e-5)
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    # functional form on symbolic inputs
    inputs = [cornu.Input((3, 4)) for _ in range(count)]
    out = getattr(layers, fn_name)(inputs)
    assert out.shape == (None, 3, 4)
    model = cornu.Model(inputs, out)
    np.testing.assert_allclose(np.asarray(cornu.ops.convert_to_numpy(model(xs))),
                               reference(np.stack(xs)), atol=1e-5)


def test_merge_broadcasting(ref, rng, numpy_of):
    a = rng.standard_normal((2, 3, 4)).astype("float32")
    b = rng.standard_normal((2, 1, 4)).astype("float32")
    y = ref.compare(layers.Add(), ref.keras_layer("Add"), [a, b])
    np.testing.assert_allclose(y, a + b, atol=1e-6)
    # lower rank inputs get axes after the batch axis, as in Keras
    c = rng.standard_normal((2, 4)).astype("float32")
    y = numpy_of(layers.Add()([a, c]))
    np.testing.assert_allclose(y, a + c[:, None, :], atol=1e-6)
    assert layers.Add()([cornu.Input((3, 4)), cornu.Input((1, 4))]).shape == (None, 3, 4)


def test_merge_errors():
    with pytest.raises(ValueError, match="add_probe.*list of inputs"):
        layers.Add(name="add_probe")(cornu.Input((3,)))
    with pytest.raises(ValueError, match="sub_probe.*exactly 2.*3 inputs"):
        layers.Subtract(name="sub_probe")([cornu.Input((3,))] * 3)
    with pytest.raises(ValueError, match="incompatible shapes"):
        layers.Multiply()([cornu.Input((3,)), cornu.Input((4,))])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Add()([np.zeros((2, 3), "float32"), np.zeros((3, 3), "float32")])


@pytest.mark.parametrize("axis, shapes", [(-1, [(2, 3, 4), (2, 3, 2)]),
                                          (1, [(2, 1, 4), (2, 3, 4), (2, 2, 4)])])
def test_concatenate(axis, shapes, ref, rng):
    xs = [rng.standard_normal(s).astype("float32") for s in shapes]
    layer, klayer = layers.Concatenate(axis=axis), ref.keras_layer("Concatenate", axis=axis)
    y = ref.compare(layer, klayer, xs)
    np.testing.assert_array_equal(y, np.concatenate(xs, axis=axis))
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    out = layers.concatenate([cornu.Input(s[1:]) for s in shapes], axis=axis)
    assert out.shape == (None,) + y.shape[1:]


def test_concatenate_errors_and_masks(numpy_of):
    with pytest.raises(ValueError, match="concat_probe.*matching shapes"):
        layers.Concatenate(name="concat_probe")([cornu.Input((3, 4)), cornu.Input((2, 5))])
    with pytest.raises(ValueError, match="Concatenate.*axis"):
        layers.Concatenate(axis="x")
    a, b = np.ones((1, 2, 3), "float32"), np.ones((1, 2, 2), "float32")
    mask = layers.Concatenate().compute_mask([a, b], [np.array([[True, False]]), None])
    # Keras 3: a step is kept where any concatenated feature is kept (the unmasked
    # input keeps every step).
    np.testing.assert_array_equal(numpy_of(mask), [[True, True]])
    mask = layers.Concatenate(axis=1).compute_mask(
        [np.ones((1, 2, 3), "float32")] * 2,
        [np.array([[True, False]]), np.array([[False, False]])])
    np.testing.assert_array_equal(numpy_of(mask), [[True, False, False, False]])


@pytest.mark.parametrize("axes, shapes, normalize", [
    (1, [(2, 4), (2, 4)], False),
    (1, [(2, 4), (2, 4)], True),
    ((1, 2), [(2, 3, 5), (2, 4, 3)], False),
    (-1, [(2, 3, 4), (2, 5, 4)], False),
    ((2, 1), [(2, 3, 4), (2, 4)], True),
])
def test_dot(axes, shapes, normalize, ref, rng):
    xs = [rng.standard_normal(s).astype("float32") for s in shapes]
    layer = layers.Dot(axes=axes, normalize=normalize)
    klayer = ref.keras_layer("Dot", axes=axes, normalize=normalize)
    y = ref.compare(layer, klayer, xs, atol=1e-5)
    assert layer.compute_output_shape(shapes) == y.shape
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    out = layers.dot([cornu.Input(s[1:]) for s in shapes], axes=axes, normalize=normalize)
    assert out.shape == (None,) + y.shape[1:]


def test_dot_numpy_and_errors(rng, numpy_of):
    a = rng.standard_normal((2, 4)).astype("float32")
    b = rng.standard_normal((2, 4)).astype("float32")
    np.testing.assert_allclose(numpy_of(layers.Dot(axes=1)([a, b])),
                               (a * b).sum(-1, keepdims=True), atol=1e-5)
    with pytest.raises(ValueError, match="Dot.*axes"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="batch axis"):
        layers.Dot(axes=0)([cornu.Input((3,)), cornu.Input((3,))])
    with pytest.raises(ValueError, match="dot_probe.*incompatible"):
        layers.Dot(axes=1, name="dot_probe")([cornu.Input((3,)), cornu.Input((4,))])
