"""``ContrastLimitedAdaptiveHistogramEqualization`` on the active backend.

References: a hand-computed one-tile case, a plain numpy CLAHE (per tile histograms
and a per-pixel bilinear blend between tile centres, written loop by loop), and
Keras 3 (importorskip), both data formats.

Keras's torch backend builds the histograms with an int64 ``one_hot``, so its clip
limit is truncated to an integer there (a limit below 1 flattens every histogram);
the Keras comparison on torch is therefore limited to integral limits (or no
clipping), and the fractional ones are compared with Keras on TensorFlow (and with
numpy on both).
"""
import math
import os

import numpy as np
import pytest

from cornu import layers, ops

CLAHE = layers.ContrastLimitedAdaptiveHistogramEqualization


def np_(x):
    return np.asarray(ops.convert_to_numpy(x))


def np_clahe_channel(img, grid, clip_limit):
    """CLAHE of one (H, W) channel on the [0, 255] scale, the straightforward way."""
    height, width = img.shape
    gh, gw = grid
    th, tw = math.ceil(height / gh), math.ceil(width / gw)
    padded = np.pad(img, ((0, gh * th - height), (0, gw * tw - width)), mode="symmetric")
    levels = np.clip(padded.astype(np.int64), 0, 255)
    n = th * tw
    tables = np.zeros((gh, gw, 256))
    for i in range(gh):
        for j in range(gw):
            tile = levels[i * th:(i + 1) * th, j * tw:(j + 1) * tw]
            hist = np.bincount(tile.ravel(), minlength=256).astype(np.float64)
            if clip_limit > 0:
                clipped = np.minimum(hist, clip_limit * n / 256)
                hist = clipped + (hist - clipped).sum() / 256
            cdf = np.cumsum(hist)
            denom = n - cdf[0] if n != cdf[0] else 1.0
            tables[i, j] = np.clip((cdf - cdf[0]) * 255 / denom, 0, 255)
    out = np.zeros((height, width))
    for y in range(height):
        # Tile i is centred at row i * th + th / 2; outside the centres the edge tiles'
        # tables hold.
        fy = (y - th / 2) / th
        i0 = math.floor(fy)
        wy = fy - i0
        i0, i1 = min(max(i0, 0), gh - 1), min(max(i0 + 1, 0), gh - 1)
        for x in range(width):
            fx = (x - tw / 2) / tw
            j0 = math.floor(fx)
            wx = fx - j0
            j0, j1 = min(max(j0, 0), gw - 1), min(max(j0 + 1, 0), gw - 1)
            v = levels[y, x]
            top = tables[i0, j0, v] * (1 - wx) + tables[i0, j1, v] * wx
            bottom = tables[i1, j0, v] * (1 - wx) + tables[i1, j1, v] * wx
            out[y, x] = top * (1 - wy) + bottom * wy
    return out


def np_clahe(images, grid, clip_limit, value_range=(0, 255)):
    """numpy CLAHE of a channels_last batch."""
    lo, hi = value_range
    x = (images.astype(np.float64) - lo) * 255.0 / (hi - lo)
    out = np.zeros_like(x)
    for b in range(x.shape[0]):
        for c in range(x.shape[-1]):
            out[b, ..., c] = np_clahe_channel(x[b, ..., c], grid, clip_limit)
    return out * (hi - lo) / 255.0 + lo


def to_format(x, data_format):
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


# -- hand-computed ----------------------------------------------------------------------
def test_one_tile_no_clipping():
    # One 2x2 tile [0 0; 100 200]: cdf = 2 on [0, 100), 3 on [100, 200), 4 from 200;
    # table = (cdf - 2) * 255 / (4 - 2).
    x = np.array([0, 0, 100, 200], "float32").reshape(1, 2, 2, 1)
    out = np_(CLAHE(tile_grid_size=(1, 1), clip_limit=0)(x))
    np.testing.assert_allclose(out.ravel(), [0, 0, 127.5, 255], atol=1e-4)


def test_one_tile_clipped():
    # clip_limit 4 on 4 pixels: each occupied bin is cut to 4 * 4 / 256 = 1/16 and the
    # excess (2 + 1 + 1 - 3/16) spreads as r per bin: cdf(v) = (v + 1) r + (occupied
    # bins <= v) / 16.
    x = np.array([0, 0, 100, 200], "float32").reshape(1, 2, 2, 1)
    r = (4 - 3 / 16) / 256
    cdf0 = r + 1 / 16

    def table(v, occupied):
        return ((v + 1) * r + occupied / 16 - cdf0) * 255 / (4 - cdf0)

    out = np_(CLAHE(tile_grid_size=(1, 1), clip_limit=4.0)(x))
    np.testing.assert_allclose(out.ravel(), [0, 0, table(100, 2), table(200, 3)],
                               rtol=1e-5)


def test_blend_between_two_tiles():
    # A 1x4 image in two 1x2 tiles (centres at columns 1 and 3), no clipping; the
    # tables use cdf[0] (0 when bin 0 is empty) as the minimum.
    # Left tile [0, 200]: cdf 1 below 200, 2 from 200 -> table 0, then 255 from 200.
    # Right tile [100, 100]: cdf 0 below 100, 2 from 100 -> table 0, then 255.
    # Column 0 lies outside the centres (left table), column 1 is the left centre,
    # column 2 halfway (0.5 * left(100) + 0.5 * right(100)), column 3 the right centre.
    x = np.array([0, 200, 100, 100], "float32").reshape(1, 1, 4, 1)
    out = np_(CLAHE(tile_grid_size=(1, 2), clip_limit=0)(x)).ravel()
    np.testing.assert_allclose(out, [0, 255, 127.5, 255], atol=1e-4)
    # Right tile [200, 100]: table 0 below 100, 127.5 on [100, 200), 255 from 200.
    x = np.array([0, 200, 200, 100], "float32").reshape(1, 1, 4, 1)
    out = np_(CLAHE(tile_grid_size=(1, 2), clip_limit=0)(x)).ravel()
    np.testing.assert_allclose(out, [0, 255, 255, 127.5], atol=1e-4)


# -- against numpy ----------------------------------------------------------------------
NUMPY_CASES = [
    ((2, 5, 7, 3), (2, 3), 4.0, (0, 255)),
    ((1, 9, 6, 2), (4, 4), 0.0, (0, 1)),
    ((1, 3, 5, 1), (8, 8), 2.0, (0, 255)),  # padding longer than the image
    ((1, 16, 16, 1), (3, 5), 1.5, (-1, 1)),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("shape,grid,clip_limit,value_range", NUMPY_CASES)
def test_matches_numpy(rng, shape, grid, clip_limit, value_range, data_format):
    lo, hi = value_range
    x = (lo + rng.random(shape) * (hi - lo)).astype("float32")
    layer = CLAHE(value_range=value_range, clip_limit=clip_limit, tile_grid_size=grid,
                  data_format=data_format)
    out = np_(layer(to_format(x, data_format)))
    expected = to_format(np_clahe(x, grid, clip_limit, value_range), data_format)
    np.testing.assert_allclose(out, expected, atol=2e-4 * (hi - lo))
    assert out.min() >= lo - 1e-6 and out.max() <= hi + 1e-6


# -- against Keras ----------------------------------------------------------------------
KERAS_CASES = [
    # (shape, tile_grid_size, clip_limit): integral limits on the tile histograms
    ((2, 16, 16, 3), (2, 2), 4.0),   # 64-pixel tiles: limit 1
    ((1, 12, 10, 2), (3, 2), 0.0),
]
if os.environ.get("KERAS_BACKEND") != "torch":  # see the module docstring
    KERAS_CASES += [((2, 5, 7, 3), (2, 3), 4.0), ((1, 16, 16, 1), (8, 8), 2.0)]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("shape,grid,clip_limit", KERAS_CASES)
def test_matches_keras(keras, rng, shape, grid, clip_limit, data_format):
    x = to_format((rng.random(shape) * 255).astype("float32"), data_format)
    kwargs = dict(clip_limit=clip_limit, tile_grid_size=grid, data_format=data_format)
    ours = CLAHE(**kwargs)
    theirs = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    out = np_(ours(x))
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_allclose(out, expected, atol=1e-3)
    assert tuple(ours.compute_output_shape(x.shape)) == out.shape
    assert set(theirs.get_config()) == set(ours.get_config())


def test_signature_matches_keras(keras):
    import inspect

    ours = inspect.signature(CLAHE)
    theirs = inspect.signature(keras.layers.ContrastLimitedAdaptiveHistogramEqualization)
    assert [(p.name, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.default) for p in theirs.parameters.values()]


# -- behaviour ------------------------------------------------------------------------------
def test_inference_unbatched_dtypes_and_dicts(rng):
    x = (rng.random((2, 6, 6, 2)) * 255).astype("float32")
    layer = CLAHE(tile_grid_size=(2, 2))
    out = np_(layer(x))
    # Deterministic: applied at inference too; one image = the batch's first.
    np.testing.assert_allclose(np_(layer(x, training=False)), out)
    np.testing.assert_allclose(np_(layer(x[0])), out[0], atol=1e-5)
    # Integer images keep their dtype (the blend truncated), as in Keras.
    xi = x.astype("int32")
    out_i = layer(xi)
    assert ops.dtype(out_i) == "int32"
    expected = np.trunc(np_clahe(xi, (2, 2), 4.0)).astype("int32")
    assert np.abs(np_(out_i) - expected).max() <= 1  # float32 vs float64 at a boundary
    # Dicts: images equalized, labels and masks unchanged.
    labels = np.eye(2, dtype="float32")
    masks = rng.integers(0, 3, (2, 6, 6, 1)).astype("float32")
    res = layer({"images": x, "labels": labels, "segmentation_masks": masks})
    np.testing.assert_allclose(np_(res["images"]), out)
    np.testing.assert_allclose(np_(res["labels"]), labels)
    np.testing.assert_allclose(np_(res["segmentation_masks"]), masks)


def test_symbolic_compiled_and_config(rng, compiled):
    import cornu

    inputs = cornu.Input((None, None, 3))
    layer = CLAHE(tile_grid_size=(2, 2), clip_limit=3.0, value_range=(0, 1))
    symbolic = layer(inputs)
    assert tuple(symbolic.shape) == (None, None, None, 3)
    model = cornu.Model(inputs, symbolic)
    x = rng.random((2, 8, 6, 3)).astype("float32")
    expected = np_clahe(x, (2, 2), 3.0, (0, 1))
    np.testing.assert_allclose(np_(model(x)), expected, atol=1e-4)
    np.testing.assert_allclose(np_(compiled(lambda t: layer(t))(x)), expected, atol=1e-4)
    config = layer.get_config()
    clone = CLAHE.from_config(config)
    assert clone.get_config() == config
    assert config["tile_grid_size"] == (2, 2) and config["clip_limit"] == 3.0


@pytest.mark.parametrize("kwargs,match", [
    (dict(tile_grid_size=(0, 2)), "tile_grid_size"),
    (dict(tile_grid_size=4), "tile_grid_size"),
    (dict(clip_limit="4"), "clip_limit"),
    (dict(value_range=(0,)), "value_range"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CLAHE(**kwargs)
