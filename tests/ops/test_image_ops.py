"""``cornu.ops.image`` against numpy (scipy.ndimage where importable) and Keras 3.

Runs once per backend (``CORNU_BACKEND``).  The numpy references below are written
from the documented definitions (scipy's boundary modes, the projective transform
formula, the HSV cone), independently of the backend code.
"""
import colorsys
import itertools

import numpy as np
import pytest

from cornu import ops

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def np_(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture(scope="module")
def keras():
    ops.convert_to_tensor(np.zeros(1, "float32"))  # the cornu backend first
    return pytest.importorskip("keras")


# -- numpy references -------------------------------------------------------------------
def ref_fix(idx, n, mode):
    """Map integer indices into [0, n) by scipy's boundary ``mode`` (None: outside)."""
    idx = np.asarray(idx, np.int64)
    if mode == "constant":
        return np.where((idx >= 0) & (idx < n), idx, -1)
    if mode == "nearest":
        return np.clip(idx, 0, n - 1)
    if mode == "wrap":
        return np.mod(idx, n)
    if mode == "reflect":  # d c b a | a b c d | d c b a: period 2n
        m = np.mod(idx, 2 * n)
        return np.where(m >= n, 2 * n - 1 - m, m)
    if mode == "mirror":  # d c b | a b c d | c b a: period 2n - 2
        if n == 1:
            return np.zeros_like(idx)
        m = np.mod(idx, 2 * n - 2)
        return np.where(m >= n, 2 * n - 2 - m, m)
    raise AssertionError(mode)


def ref_map_coordinates(arr, coords, order, mode, cval):
    arr = np.asarray(arr, np.float64)
    coords = [np.asarray(c, np.float64) for c in coords]
    if order == 0:
        nodes = [[(np.floor(c + 0.5).astype(np.int64), np.ones_like(c))] for c in coords]
    else:
        nodes = []
        for c in coords:
            lo = np.floor(c)
            nodes.append([(lo.astype(np.int64), 1 - (c - lo)), (lo.astype(np.int64) + 1, c - lo)])
    out = np.zeros(coords[0].shape)
    for combo in itertools.product(*nodes):
        weight = np.ones(coords[0].shape)
        fixed = []
        valid = np.ones(coords[0].shape, bool)
        for (idx, w), n in zip(combo, arr.shape):
            f = ref_fix(idx, n, mode)
            valid &= f >= 0
            fixed.append(np.where(f >= 0, f, 0))
            weight = weight * w
        out += weight * np.where(valid, arr[tuple(fixed)], cval)
    return out


def ref_affine(images, transform, order, mode, cval):
    """NHWC images, (N, 8) transforms: out(y, x) = in(y', x') (the documented formula)."""
    n, h, w, c = images.shape
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    out = np.zeros(images.shape)
    for b in range(n):
        a0, a1, a2, b0, b1, b2, c0, c1 = transform[b]
        k = c0 * xs + c1 * ys + 1
        xi = (a0 * xs + a1 * ys + a2) / k
        yi = (b0 * xs + b1 * ys + b2) / k
        for ch in range(c):
            out[b, ..., ch] = ref_map_coordinates(images[b, ..., ch], [yi, xi], order, mode,
                                                  cval)
    return out


def test_numpy_reference_matches_scipy(rng):
    """The test's own reference agrees with scipy.ndimage (grid-* modes) when present."""
    ndimage = pytest.importorskip("scipy.ndimage")
    arr = rng.random((5, 6))
    coords = rng.uniform(-4, 10, (2, 7, 3))
    scipy_modes = {"constant": "grid-constant", "nearest": "nearest", "wrap": "grid-wrap",
                   "mirror": "mirror", "reflect": "reflect"}
    for mode, order in itertools.product(FILL_MODES, (0, 1)):
        expected = ndimage.map_coordinates(arr, coords, order=order, mode=scipy_modes[mode],
                                           cval=0.25)
        np.testing.assert_allclose(ref_map_coordinates(arr, coords, order, mode, 0.25),
                                   expected, atol=1e-12, err_msg=f"{mode} order={order}")


# -- map_coordinates ----------------------------------------------------------------------
@pytest.mark.parametrize("mode", FILL_MODES)
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates(rng, mode, order):
    arr = rng.random((5, 7)).astype("float32")
    coords = rng.uniform(-6.0, 12.0, (2, 4, 9)).astype("float32")
    out = ops.image.map_coordinates(arr, coords, order, fill_mode=mode, fill_value=0.5)
    assert tuple(out.shape) == (4, 9)
    np.testing.assert_allclose(np_(out), ref_map_coordinates(arr, coords, order, mode, 0.5),
                               atol=1e-5)


def test_map_coordinates_3d_int_and_list_coords(rng):
    arr = rng.integers(0, 100, (3, 4, 5)).astype("int32")
    coords = [rng.uniform(-1, 5, (6,)).astype("float32") for _ in range(3)]
    out = ops.image.map_coordinates(arr, coords, 1, fill_mode="nearest")
    assert np_(out).dtype == np.int32
    np.testing.assert_array_equal(
        np_(out), np.round(ref_map_coordinates(arr, coords, 1, "nearest", 0)))


def test_map_coordinates_errors():
    with pytest.raises(ValueError, match="one entry per input dimension"):
        ops.image.map_coordinates(np.zeros((3, 3), "float32"), np.zeros((3, 2), "float32"), 1)
    with pytest.raises(ValueError, match="fill_mode"):
        ops.image.map_coordinates(np.zeros((3, 3), "float32"), np.zeros((2, 2), "float32"), 1,
                                  fill_mode="bogus")
    with pytest.raises(ValueError, match="order"):
        ops.image.map_coordinates(np.zeros((3, 3), "float32"), np.zeros((2, 2), "float32"), 3)


# -- affine_transform ----------------------------------------------------------------------
TRANSFORMS = np.array([
    [0.931, 0.113, 1.271, -0.211, 1.071, 0.531, 0.0, 0.0],
    [1.0, 0.0, 2.37, 0.0, 1.0, -1.63, 0.0, 0.0],
    [0.8, -0.3, 1.1, 0.2, 0.9, 0.4, 0.013, -0.021],  # projective
], "float32")


@pytest.mark.parametrize("mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_transform(rng, mode, interpolation):
    images = rng.random((3, 6, 7, 2)).astype("float32")
    out = ops.image.affine_transform(images, TRANSFORMS, interpolation, mode, 0.3)
    order = 0 if interpolation == "nearest" else 1
    np.testing.assert_allclose(np_(out), ref_affine(images, TRANSFORMS, order, mode, 0.3),
                               atol=1e-5)


def test_affine_transform_channels_first_unbatched_int(rng):
    images = rng.integers(0, 255, (2, 5, 6, 3)).astype("uint8")
    t = TRANSFORMS[1]
    expected = np.round(ref_affine(images, np.stack([t, t]), 1, "reflect", 0))
    cf = ops.image.affine_transform(images.transpose(0, 3, 1, 2), t, fill_mode="reflect",
                                    data_format="channels_first")
    assert np_(cf).dtype == np.uint8
    np.testing.assert_array_equal(np_(cf).transpose(0, 2, 3, 1), expected)
    single = ops.image.affine_transform(images[0], t, fill_mode="reflect",
                                        data_format="channels_last")
    np.testing.assert_array_equal(np_(single), expected[0])


@pytest.mark.parametrize("mode", ["constant", "nearest"])
def test_affine_transform_matches_keras(keras, rng, mode):
    """Keras's two backends agree for these modes (they differ at the borders for
    reflect/wrap, where cornu follows scipy on both backends)."""
    images = rng.random((2, 6, 7, 3)).astype("float32")
    t = TRANSFORMS[:2]
    for interpolation in ("nearest", "bilinear"):
        ours = ops.image.affine_transform(images, t, interpolation, mode, 0.2,
                                          data_format="channels_last")
        theirs = keras.ops.image.affine_transform(images, t, interpolation, mode, 0.2,
                                                  data_format="channels_last")
        np.testing.assert_allclose(np_(ours), keras.ops.convert_to_numpy(theirs), atol=1e-5)


def test_affine_transform_errors():
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.affine_transform(np.zeros((4, 4, 1), "float32"), TRANSFORMS[0], "cubic")
    with pytest.raises(ValueError, match="transform must have shape"):
        ops.image.affine_transform(np.zeros((4, 4, 1), "float32"), np.zeros(6, "float32"))
    with pytest.raises(ValueError, match="rank 3"):
        ops.image.affine_transform(np.zeros((4, 4), "float32"), TRANSFORMS[0])


# -- perspective / elastic / scale_and_translate -------------------------------------------
def test_perspective_transform(rng, keras):
    images = rng.random((2, 7, 9, 3)).astype("float32")
    start = np.array([[0, 0], [8, 0], [0, 6], [8, 6]], "float32")
    same = ops.image.perspective_transform(images, start, start, data_format="channels_last")
    np.testing.assert_allclose(np_(same), images, atol=1e-5)
    end = np.array([[1, 1], [7, 0], [0, 5], [8, 6]], "float32")
    out = np_(ops.image.perspective_transform(images, start, end,
                                              data_format="channels_last"))
    # Every end corner reads its start corner: out(y=1, x=1) = in(0, 0), out(0, 7) = in(0, 8).
    np.testing.assert_allclose(out[:, 1, 1], images[:, 0, 0], atol=1e-4)
    np.testing.assert_allclose(out[:, 0, 7], images[:, 0, 8], atol=1e-4)
    expected = keras.ops.image.perspective_transform(images, start, end,
                                                     data_format="channels_last")
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(expected), atol=1e-4)


def test_elastic_transform(rng):
    images = rng.random((2, 8, 8, 1)).astype("float32")
    a = np_(ops.image.elastic_transform(images, alpha=3.0, sigma=1.0, seed=7))
    b = np_(ops.image.elastic_transform(images, alpha=3.0, sigma=1.0, seed=7))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, images)
    still = np_(ops.image.elastic_transform(images, alpha=0.0, sigma=1.0, seed=7))
    np.testing.assert_allclose(still, images, atol=1e-6)


@pytest.mark.parametrize("method", ["linear", "cubic", "lanczos3"])
def test_scale_and_translate_matches_keras(keras, rng, method):
    images = rng.random((2, 7, 9, 3)).astype("float32")
    args = ((2, 10, 5, 3), np.array([1.4, 0.6], "float32"), np.array([0.5, -1.0], "float32"),
            (1, 2), method)
    np.testing.assert_allclose(np_(ops.image.scale_and_translate(images, *args)),
                               keras.ops.convert_to_numpy(
                                   keras.ops.image.scale_and_translate(images, *args)),
                               atol=1e-5)


def test_scale_and_translate_identity_and_shift(rng):
    x = rng.random((1, 6, 1)).astype("float32")
    same = ops.image.scale_and_translate(x, (1, 6, 1), np.ones(1, "float32"),
                                         np.zeros(1, "float32"), (1,), "linear")
    np.testing.assert_allclose(np_(same), x, atol=1e-6)
    shifted = ops.image.scale_and_translate(x, (1, 6, 1), np.ones(1, "float32"),
                                            np.ones(1, "float32"), (1,), "linear")
    np.testing.assert_allclose(np_(shifted)[0, 1:], x[0, :-1], atol=1e-6)
    np.testing.assert_allclose(np_(shifted)[0, 0], 0.0, atol=1e-6)


# -- crop / pad ------------------------------------------------------------------------------
def test_crop_and_pad(rng):
    images = rng.random((2, 7, 9, 3)).astype("float32")
    out = ops.image.crop_images(images, top_cropping=1, left_cropping=2, target_height=4,
                                right_cropping=1, data_format="channels_last")
    np.testing.assert_array_equal(np_(out), images[:, 1:5, 2:8])
    cf = ops.image.crop_images(images.transpose(0, 3, 1, 2), bottom_cropping=2,
                               target_height=3, left_cropping=0, target_width=4,
                               data_format="channels_first")
    np.testing.assert_array_equal(np_(cf), images.transpose(0, 3, 1, 2)[:, :, 2:5, 0:4])
    padded = ops.image.pad_images(images[0], top_padding=1, bottom_padding=2, left_padding=3,
                                  target_width=13, data_format="channels_last")
    np.testing.assert_array_equal(np_(padded),
                                  np.pad(images[0], [(1, 2), (3, 1), (0, 0)]))


def test_crop_and_pad_errors():
    x = np.zeros((1, 4, 4, 1), "float32")
    with pytest.raises(ValueError, match="exactly two of top_padding"):
        ops.image.pad_images(x, top_padding=1, bottom_padding=1, target_height=6,
                             left_padding=0, right_padding=0)
    with pytest.raises(ValueError, match="right_padding"):
        ops.image.pad_images(x, top_padding=0, bottom_padding=0, left_padding=3,
                             target_width=5)
    with pytest.raises(ValueError, match="exceeds|must be >= 0"):
        ops.image.crop_images(x, top_cropping=3, target_height=3, left_cropping=0,
                              right_cropping=0)


# -- patches -----------------------------------------------------------------------------------
def ref_patches(x, size, strides, dilation):
    n, h, w, c = x.shape
    kh, kw = size
    ekh, ekw = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
    oh, ow = (h - ekh) // strides[0] + 1, (w - ekw) // strides[1] + 1
    out = np.zeros((n, oh, ow, kh * kw * c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            y0, x0 = i * strides[0], j * strides[1]
            patch = x[:, y0:y0 + ekh:dilation, x0:x0 + ekw:dilation, :]
            out[:, i, j] = patch.reshape(n, -1)
    return out


@pytest.mark.parametrize("size,strides,dilation", [
    (3, None, 1), ((2, 3), (1, 2), 1), (2, 1, 2)])
def test_extract_patches(rng, size, strides, dilation):
    x = rng.random((2, 7, 8, 3)).astype("float32")
    sz = (size, size) if isinstance(size, int) else size
    st = sz if strides is None else ((strides, strides) if isinstance(strides, int)
                                     else strides)
    out = ops.image.extract_patches(x, size, strides=strides, dilation_rate=dilation,
                                    data_format="channels_last")
    np.testing.assert_allclose(np_(out), ref_patches(x, sz, st, dilation), atol=1e-6)
    cf = ops.image.extract_patches(x.transpose(0, 3, 1, 2), size, strides=strides,
                                   dilation_rate=dilation, data_format="channels_first")
    # channels_first: the patch vector is along axis 1, in (channel, h, w) order
    assert np_(cf).shape[1] == np_(out).shape[-1]


def test_extract_patches_same_and_3d(rng, keras):
    x = rng.random((2, 7, 8, 3)).astype("float32")
    ours = ops.image.extract_patches(x, 3, strides=2, padding="same",
                                     data_format="channels_last")
    theirs = keras.ops.image.extract_patches(x, 3, strides=2, padding="same",
                                             data_format="channels_last")
    np.testing.assert_allclose(np_(ours), keras.ops.convert_to_numpy(theirs), atol=1e-6)
    v = rng.random((4, 5, 6, 2)).astype("float32")
    out = np_(ops.image.extract_patches_3d(v, (2, 2, 3), data_format="channels_last"))
    assert out.shape == (2, 2, 2, 24)
    np.testing.assert_allclose(out[1, 0, 1], v[2:4, 0:2, 3:6].reshape(-1), atol=1e-6)


# -- colour spaces and filters -------------------------------------------------------------------
def test_rgb_hsv_against_colorsys(rng):
    rgb = rng.random((2, 3, 4, 3)).astype("float32")
    hsv = np_(ops.image.rgb_to_hsv(rgb, data_format="channels_last"))
    expected = np.apply_along_axis(lambda p: colorsys.rgb_to_hsv(*p), -1, rgb)
    np.testing.assert_allclose(hsv, expected, atol=1e-5)
    back = np_(ops.image.hsv_to_rgb(hsv, data_format="channels_last"))
    np.testing.assert_allclose(back, rgb, atol=1e-5)
    cf = np_(ops.image.rgb_to_hsv(rgb.transpose(0, 3, 1, 2), data_format="channels_first"))
    np.testing.assert_allclose(cf.transpose(0, 2, 3, 1), expected, atol=1e-5)
    with pytest.raises(ValueError, match="float dtype"):
        ops.image.rgb_to_hsv(np.zeros((2, 2, 3), "int32"))


def gaussian_1d(size, sigma):
    x = np.arange(size) - (size - 1) / 2
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def test_gaussian_blur(rng, keras):
    x = rng.random((2, 6, 7, 2)).astype("float32")
    out = np_(ops.image.gaussian_blur(x, (3, 5), (0.8, 1.3), data_format="channels_last"))
    kernel = np.outer(gaussian_1d(3, 0.8), gaussian_1d(5, 1.3))
    padded = np.pad(x, [(0, 0), (1, 1), (2, 2), (0, 0)])
    expected = np.zeros_like(x)
    for i in range(3):
        for j in range(5):
            expected += kernel[i, j] * padded[:, i:i + 6, j:j + 7]
    np.testing.assert_allclose(out, expected, atol=1e-5)
    theirs = keras.ops.image.gaussian_blur(x, (3, 3), (1.2, 1.2), data_format="channels_last")
    ours = ops.image.gaussian_blur(x, (3, 3), (1.2, 1.2), data_format="channels_last")
    np.testing.assert_allclose(np_(ours), keras.ops.convert_to_numpy(theirs), atol=1e-5)


def test_sobel_edges(rng):
    x = rng.random((2, 5, 6, 2)).astype("float32")
    out = np_(ops.image.sobel_edges(x, data_format="channels_last"))
    assert out.shape == (2, 5, 6, 2, 2)
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float64)
    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    for k, kernel in enumerate((ky, ky.T)):
        expected = sum(kernel[i, j] * padded[:, i:i + 5, j:j + 6]
                       for i in range(3) for j in range(3))
        np.testing.assert_allclose(out[..., k], expected, atol=1e-5)
    cf = np_(ops.image.sobel_edges(x.transpose(0, 3, 1, 2), data_format="channels_first"))
    np.testing.assert_allclose(cf, out.transpose(0, 3, 1, 2, 4), atol=1e-5)


def test_ssim(rng, keras):
    a = rng.random((2, 16, 13, 3)).astype("float32")
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1).astype("float32")
    same = np_(ops.image.ssim(a, a, data_format="channels_last"))
    np.testing.assert_allclose(same, [1.0, 1.0], atol=1e-5)
    ours = np_(ops.image.ssim(a, b, data_format="channels_last"))
    theirs = keras.ops.convert_to_numpy(keras.ops.image.ssim(a, b, data_format="channels_last"))
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    assert np.all(ours < 0.99)
    single = np_(ops.image.ssim(a[0], b[0], data_format="channels_last"))
    np.testing.assert_allclose(single, ours[0], atol=1e-6)


# -- compiled (tf.function) with an unknown batch size ---------------------------------------------
def test_ops_in_compiled_function(rng, compiled, tensor_spec):
    images = rng.random((3, 6, 7, 2)).astype("float32")

    def fn(x):
        warped = ops.image.affine_transform(x, TRANSFORMS[0], fill_mode="reflect",
                                            data_format="channels_last")
        return ops.image.crop_images(warped, top_cropping=1, left_cropping=1,
                                     target_height=4, target_width=5,
                                     data_format="channels_last")

    run = compiled(fn, input_signature=[tensor_spec((None, 6, 7, 2))])
    out = np_(run(ops.convert_to_tensor(images)))
    expected = ref_affine(images, np.stack([TRANSFORMS[0]] * 3), 1, "reflect", 0)[:, 1:5, 1:6]
    np.testing.assert_allclose(out, expected, atol=1e-5)
