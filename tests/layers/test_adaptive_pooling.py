"""AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D: numpy and Keras 3."""
import numpy as np
import pytest

from cornu import layers


def numpy_adaptive(x, output_size, reduce):
    """PyTorch's adaptive pooling windows, channels_last, any rank."""
    spatial = x.shape[1:-1]
    out = np.zeros((x.shape[0], *output_size, x.shape[-1]), x.dtype)
    for pos in np.ndindex(*output_size):
        index = [slice(None)]
        for i, n, o in zip(pos, spatial, output_size):
            index.append(slice((i * n) // o, -(-((i + 1) * n) // o)))
        window = x[tuple(index)]
        out[(slice(None),) + pos] = reduce(window, axis=tuple(range(1, len(spatial) + 1)))
    return out


CASES = [
    ("AdaptiveAveragePooling1D", 3, (2, 7, 3)),
    ("AdaptiveMaxPooling1D", 4, (2, 10, 2)),
    ("AdaptiveAveragePooling2D", (2, 3), (2, 5, 7, 3)),
    ("AdaptiveMaxPooling2D", 3, (2, 7, 6, 2)),
    ("AdaptiveAveragePooling3D", 2, (1, 5, 4, 3, 2)),
    ("AdaptiveMaxPooling3D", (1, 2, 3), (1, 4, 5, 6, 2)),
]


@pytest.mark.parametrize("name,output_size,shape", CASES)
def test_adaptive_pooling_matches_numpy_and_keras(ref, rng, numpy_of, name, output_size, shape):
    x = rng.standard_normal(shape).astype("float32")
    layer, out = ref.check(name, x, output_size=output_size)
    reduce = np.mean if "Average" in name else np.max
    expected = numpy_adaptive(x, layer.output_size, reduce)
    np.testing.assert_allclose(out, expected, atol=1e-5)


@pytest.mark.parametrize("name", ["AdaptiveAveragePooling2D", "AdaptiveMaxPooling2D"])
def test_adaptive_pooling_channels_first(ref, rng, name):
    x = rng.standard_normal((2, 3, 7, 5)).astype("float32")
    layer, out = ref.check(name, x, output_size=(3, 2), data_format="channels_first")
    assert out.shape == (2, 3, 3, 2)


def test_adaptive_pooling_output_size_independent_of_input(numpy_of, rng):
    layer = layers.AdaptiveAveragePooling2D(4)
    for size in (4, 9, 17):
        x = rng.standard_normal((1, size, size + 1, 2)).astype("float32")
        assert numpy_of(layer(x)).shape == (1, 4, 4, 2)
    assert layer.get_config()["output_size"] == (4, 4)


def test_adaptive_pooling_bad_arguments():
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveMaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="output_size"):
        layers.AdaptiveAveragePooling1D(0)
    with pytest.raises(ValueError, match="data_format"):
        layers.AdaptiveMaxPooling3D(2, data_format="nhwc")
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.AdaptiveMaxPooling2D(2)(np.zeros((2, 4, 3), "float32"))
