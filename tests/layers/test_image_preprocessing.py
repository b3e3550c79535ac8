"""The image preprocessing and augmentation layers, on the active backend.

References: Keras 3 (importorskip) for the deterministic layers and for the random
layers whose factor pins the transformation; numpy for hand-computed cases (flips,
quarter turns, whole-pixel shifts, box coordinates).  Random layers: reproducible
under a seed, identity at inference, outputs within ``value_range``, channels_first
equal to channels_last.
"""
import numpy as np
import pytest

from cornu import layers, ops


def np_(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture
def images(rng):
    return (rng.random((4, 8, 8, 3)) * 255).astype("float32")


# -- against Keras: deterministic layers and pinned factors ---------------------------------
KERAS_CASES = [
    ("Resizing", dict(height=5, width=6), 1e-3),
    ("Resizing", dict(height=5, width=4, interpolation="nearest"), 1e-4),
    ("Resizing", dict(height=5, width=3, crop_to_aspect_ratio=True), 1e-3),
    ("Resizing", dict(height=4, width=6, pad_to_aspect_ratio=True, fill_value=7.0), 1e-3),
    ("CenterCrop", dict(height=5, width=6), 1e-5),
    ("CenterCrop", dict(height=10, width=12), 1e-3),  # smaller input: crop-then-resize
    ("AutoContrast", dict(value_range=(0, 255)), 1e-3),
    ("Solarization", dict(), 1e-4),  # threshold 0: every pixel inverted
    ("RandomRotation", dict(factor=(0.25, 0.25), fill_mode="constant"), 1e-3),
    ("RandomRotation", dict(factor=(0.1, 0.1), fill_mode="nearest", fill_value=0.0), 1e-3),
    ("RandomTranslation", dict(height_factor=(0.25, 0.25), width_factor=(-0.25, -0.25),
                               fill_mode="constant", fill_value=3.0), 1e-3),
    ("RandomZoom", dict(height_factor=(0.3, 0.3), width_factor=(-0.2, -0.2),
                        fill_mode="nearest"), 1e-3),
    ("RandomBrightness", dict(factor=(0.1, 0.1)), 1e-3),
    ("RandomContrast", dict(factor=(-0.5, 0.5)), 1e-3),
    ("RandomColorDegeneration", dict(factor=(0.6, 0.6)), 1e-3),
    ("RandomGrayscale", dict(factor=1.0), 1e-3),
    ("RandomInvert", dict(factor=(1.0, 1.0)), 1e-4),
    ("RandomPosterization", dict(factor=(3, 3)), 1e-3),
    ("RandomSharpness", dict(factor=(0.8, 0.8)), 1e-3),
    ("RandomGaussianBlur", dict(factor=(1.0, 1.0), sigma=(1.0, 1.0)), 1e-3),
    ("RandomSaturation", dict(factor=(0.3, 0.3), value_range=(0, 1)), 1e-4),
]


@pytest.mark.parametrize("name,kwargs,atol", KERAS_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(KERAS_CASES)])
def test_matches_keras(keras, images, name, kwargs, atol):
    x = images / 255.0 if kwargs.get("value_range") == (0, 1) else images
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    out = np_(ours(x, training=True))
    expected = keras.ops.convert_to_numpy(theirs(x, training=True))
    np.testing.assert_allclose(out, expected, atol=atol, rtol=1e-5)
    assert tuple(ours.compute_output_shape(x.shape)) == out.shape
    assert set(theirs.get_config()) <= set(ours.get_config()) | {"seed"}


def test_equalization_matches_keras_per_image(keras, rng):
    # Keras pools the histogram over the batch; cornu equalizes each image, so compare
    # image by image.
    x = np.floor(rng.random((2, 9, 7, 3)) ** 2 * 200).astype("float32")
    ours = layers.Equalization()
    theirs = keras.layers.Equalization()
    out = np_(ours(x))
    for i in range(2):
        np.testing.assert_allclose(out[i], keras.ops.convert_to_numpy(theirs(x[i:i + 1]))[0],
                                   atol=1e-3)


def test_equalization_numpy(rng):
    x = rng.integers(0, 4, (1, 3, 4, 1)).astype("float32") * 50  # 4 levels
    out = np_(layers.Equalization()(x))[0, ..., 0]
    vals = x[0, ..., 0]
    hist = np.array([(vals == v).sum() for v in (0, 50, 100, 150)])
    cdf = np.cumsum(hist)
    cdf_min = cdf[hist > 0][0]
    table = np.round((cdf - cdf_min) * 255 / (cdf[-1] - cdf_min))
    expected = table[(vals / 50).astype(int)]
    np.testing.assert_allclose(out, expected, atol=1e-4)


# -- hand-computed geometry ------------------------------------------------------------------
def test_random_flip_hand_computed(rng):
    x = rng.random((32, 3, 4, 2)).astype("float32")
    for mode, axes in (("horizontal", (2,)), ("vertical", (1,)),
                       ("horizontal_and_vertical", (1, 2))):
        out = np_(layers.RandomFlip(mode, seed=3)(x))
        flipped = np.flip(x, axes)
        is_flipped = np.all(np.isclose(out, flipped), axis=(1, 2, 3))
        is_same = np.all(np.isclose(out, x), axis=(1, 2, 3))
        assert np.all(is_flipped | is_same)
        assert 4 < is_flipped.sum() < 28  # both outcomes occur


def test_random_rotation_quarter_turns(rng):
    x = rng.random((2, 5, 5, 3)).astype("float32")
    quarter = np_(layers.RandomRotation((0.25, 0.25), interpolation="nearest")(x))
    np.testing.assert_allclose(quarter, np.rot90(x, 1, axes=(1, 2)), atol=1e-5)
    half = np_(layers.RandomRotation((-0.5, -0.5), interpolation="bilinear")(x))
    np.testing.assert_allclose(half, np.rot90(x, 2, axes=(1, 2)), atol=1e-4)


def test_random_translation_whole_pixels(rng):
    x = rng.random((2, 4, 5, 1)).astype("float32")
    layer = layers.RandomTranslation((0.5, 0.5), (-0.4, -0.4), fill_mode="constant",
                                     fill_value=-1.0, interpolation="nearest")
    out = np_(layer(x))
    expected = np.full_like(x, -1.0)
    expected[:, 2:, :3] = x[:, :2, 2:]  # down 2 rows, left 2 columns
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_random_zoom_matrix_and_identity(rng):
    x = rng.random((2, 6, 8, 1)).astype("float32")
    np.testing.assert_allclose(np_(layers.RandomZoom((0.0, 0.0))(x)), x, atol=1e-5)
    layer = layers.RandomZoom((0.5, 0.5), (-0.5, -0.5))
    t = np_(layer.get_random_transformation(ops.convert_to_tensor(x))["transform"])
    zx, zy = 0.5, 1.5
    expected = [zx, 0, 3.5 * (1 - zx), 0, zy, 2.5 * (1 - zy), 0, 0]
    np.testing.assert_allclose(t, [expected] * 2, atol=1e-6)


def test_random_shear_about_centre(rng):
    x = rng.random((3, 5, 6, 1)).astype("float32")
    layer = layers.RandomShear(x_factor=(0.5, 0.5), fill_mode="constant",
                               interpolation="nearest", seed=1)
    t = layer.get_random_transformation(ops.convert_to_tensor(x))
    s = np_(t["shear_x"])
    assert np.allclose(np.abs(s), 0.5)
    out = np_(layer.transform_images(ops.convert_to_tensor(x), t))
    ys, xs = np.meshgrid(np.arange(5), np.arange(6), indexing="ij")
    for b in range(3):  # out(y, x) = in(y, x + s * (y - cy)), cy = 2
        xi = np.floor(xs + s[b] * (ys - 2.0) + 0.5).astype(int)
        inside = (xi >= 0) & (xi < 6)
        expected = np.where(inside, x[b, ys, np.clip(xi, 0, 5), 0], 0.0)
        np.testing.assert_allclose(out[b, ..., 0], expected, atol=1e-6)


def test_random_crop_window_and_inference(rng):
    x = rng.random((2, 9, 7, 3)).astype("float32")
    layer = layers.RandomCrop(4, 5, seed=2)
    out = np_(layer(x))
    found = [(i, j) for i in range(6) for j in range(3)
             if np.allclose(out, x[:, i:i + 4, j:j + 5])]
    assert len(found) == 1
    at_inference = np_(layer(x, training=False))
    expected = np_(ops.image.resize(x, (4, 5), crop_to_aspect_ratio=True))
    np.testing.assert_allclose(at_inference, expected, atol=1e-5)


def test_forced_colour_values(rng):
    x = (rng.random((2, 4, 4, 3)) * 255).astype("float32")
    np.testing.assert_allclose(np_(layers.RandomInvert((1.0, 1.0))(x)), 255 - x, atol=1e-4)
    np.testing.assert_allclose(np_(layers.RandomPosterization((2, 2))(x)),
                               np.floor(np.floor(x) / 64) * 64, atol=1e-4)
    np.testing.assert_allclose(np_(layers.RandomBrightness((0.2, 0.2))(x)),
                               np.clip(x + 51, 0, 255), atol=1e-3)
    np.testing.assert_allclose(np_(layers.RandomHue((0.0, 0.0))(x)), x, atol=1e-2)
    np.testing.assert_allclose(np_(layers.RandomSharpness((0.5, 0.5))(x)), x, atol=1e-3)
    gray = np_(layers.RandomSaturation((0.0, 0.0))(x))
    np.testing.assert_allclose(gray, np.repeat(x.max(-1, keepdims=True), 3, -1), atol=1e-3)
    solar = np_(layers.Solarization(threshold_factor=(0.5, 0.5))(x))
    np.testing.assert_allclose(solar, np.where(x < 127.5, x, 255 - x), atol=1e-3)
    erased = np_(layers.RandomErasing((1.0, 1.0), scale=(1.0, 1.0), fill_value=9.0)(x))
    np.testing.assert_allclose(erased, np.full_like(x, 9.0))


# -- random layers: seed, inference, ranges, data formats ----------------------------------------
RANDOM_LAYERS = [
    ("RandomCrop", dict(height=5, width=6)),
    ("RandomFlip", dict()),
    ("RandomRotation", dict(factor=0.2)),
    ("RandomTranslation", dict(height_factor=0.2, width_factor=0.3)),
    ("RandomZoom", dict(height_factor=0.3)),
    ("RandomShear", dict(x_factor=0.3, y_factor=0.2)),
    ("RandomPerspective", dict(factor=(0.5, 1.0), scale=0.5)),
    ("RandomElasticTransform", dict(scale=0.5)),
    ("RandomContrast", dict(factor=0.5)),
    ("RandomBrightness", dict(factor=0.3)),
    ("RandomHue", dict(factor=0.5)),
    ("RandomSaturation", dict(factor=0.8)),
    ("RandomColorJitter", dict(brightness_factor=0.2, contrast_factor=0.3,
                               saturation_factor=0.5, hue_factor=0.2)),
    ("RandomColorDegeneration", dict(factor=0.5)),
    ("RandomGrayscale", dict()),
    ("RandomInvert", dict()),
    ("RandomPosterization", dict(factor=(2, 7))),
    ("RandomSharpness", dict(factor=0.9)),
    ("RandomGaussianBlur", dict(sigma=(0.5, 2.0))),
    ("RandomErasing", dict()),
    ("Solarization", dict(addition_factor=0.3, threshold_factor=0.8)),
    ("MixUp", dict()),
    ("CutMix", dict()),
    ("AugMix", dict(num_chains=2, chain_depth=2)),
    ("RandAugment", dict(num_ops=2)),
]
_IDS = [c[0] for c in RANDOM_LAYERS]


@pytest.mark.parametrize("name,kwargs", RANDOM_LAYERS, ids=_IDS)
def test_random_layer_contract(images, name, kwargs):
    cls = getattr(layers, name)
    a, b = cls(seed=11, **kwargs), cls(seed=11, **kwargs)
    first, again = np_(a(images)), np_(b(images))
    np.testing.assert_allclose(first, again, atol=1e-5)  # reproducible under a seed
    if name not in ("RandomCrop",):  # a crop may land on the same offset twice
        big = np.concatenate([images] * 4)  # 16 coins: successive calls differ
        assert not np.allclose(np_(a(big)), np_(a(big))), "successive calls should differ"
    assert first.min() >= -1e-3 and first.max() <= 255 + 1e-3  # value_range (0, 255)
    if name != "RandomCrop":
        np.testing.assert_allclose(np_(a(images, training=False)), images)
    # channels_first draws the same parameters: the transposed output.
    cf = cls(seed=11, data_format="channels_first", **kwargs) if name not in (
        "Solarization",) else None
    if cf is not None and name not in ("AugMix", "RandAugment", "RandomErasing"):
        out_cf = np_(cf(images.transpose(0, 3, 1, 2)))
        np.testing.assert_allclose(out_cf.transpose(0, 2, 3, 1), first, atol=1e-3)
    cfg = a.get_config()
    clone = cls.from_config(cfg)
    assert clone.get_config() == cfg


def test_unbatched_and_uint8(images):
    layer = layers.RandomRotation(0.2, seed=5)
    single = np_(layer(images[0]))
    assert single.shape == images[0].shape and single.dtype == np.float32
    out = np_(layers.RandomFlip(seed=1)(images.astype("uint8")))
    assert out.dtype == np.float32


# -- dict inputs: labels, bounding boxes, segmentation masks ---------------------------------------
def test_mixup_and_cutmix_labels(images):
    labels = np.eye(4, dtype="float32")
    for layer in (layers.MixUp(seed=3), layers.CutMix(seed=3)):
        out = layer({"images": images, "labels": labels})
        mixed = np_(out["labels"])
        np.testing.assert_allclose(mixed.sum(-1), 1.0, atol=1e-5)
        assert np_(out["images"]).shape == images.shape


def test_cutmix_label_weights_match_pixels(rng):
    x = np.stack([np.full((10, 10, 1), float(i)) for i in range(4)]).astype("float32")
    out = layers.CutMix(seed=4)({"images": x, "labels": np.eye(4, dtype="float32")})
    imgs, labels = np_(out["images"]), np_(out["labels"])
    for i in range(4):
        own = np.mean(imgs[i] == i)
        assert abs(labels[i, i] - own) < 0.25 or labels[i, i] == 1.0


def test_bounding_boxes_flip_and_translate():
    x = np.zeros((1, 10, 20, 3), "float32")
    boxes = {"boxes": np.array([[[2.0, 1.0, 6.0, 4.0]]], "float32"),
             "labels": np.array([[1]], "int32")}
    flip = layers.RandomFlip("horizontal", bounding_box_format="xyxy", seed=0)
    while True:  # until the coin flips this image
        out = flip({"images": x, "bounding_boxes": dict(boxes)})
        if not np.allclose(np_(out["bounding_boxes"]["boxes"]), boxes["boxes"]):
            break
    np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]), [[[14, 1, 18, 4]]],
                               atol=1e-5)
    shift = layers.RandomTranslation((0.2, 0.2), (0.1, 0.1), bounding_box_format="xyxy")
    out = shift({"images": x, "bounding_boxes": dict(boxes)})
    np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]), [[[4, 3, 8, 6]]],
                               atol=1e-4)  # +2 px right, +2 px down
    rel = layers.Resizing(5, 10, bounding_box_format="rel_xyxy")
    out = rel({"images": x, "bounding_boxes": {"boxes": np.array([[[0.1, 0.2, 0.5, 0.6]]],
                                                                 "float32")}})
    np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]), [[[0.1, 0.2, 0.5, 0.6]]],
                               atol=1e-5)
    quarter = layers.RandomRotation((0.25, 0.25), bounding_box_format="xyxy")
    sq = np.zeros((1, 10, 10, 1), "float32")
    out = quarter({"images": sq, "bounding_boxes": {"boxes": np.array([[[1.0, 2.0, 4.0, 3.0]]],
                                                                       "float32")}})
    # counter-clockwise quarter turn of a 10x10 image: (x, y) -> (y, 10 - x)
    np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]), [[[2, 6, 3, 9]]],
                               atol=1e-4)
    with pytest.raises(ValueError, match="bounding_box_format"):
        layers.RandomFlip()({"images": x, "bounding_boxes": boxes})


def test_segmentation_masks_follow_geometry(rng):
    x = rng.random((6, 4, 5, 3)).astype("float32")
    masks = np.argmax(x, -1)[..., None].astype("float32")
    out = layers.RandomFlip("horizontal", seed=2)({"images": x, "segmentation_masks": masks})
    imgs, m = np_(out["images"]), np_(out["segmentation_masks"])
    np.testing.assert_allclose(np.argmax(imgs, -1)[..., None], m)
    colour = layers.RandomBrightness(0.5, seed=1)({"images": x, "segmentation_masks": masks})
    np.testing.assert_allclose(np_(colour["segmentation_masks"]), masks)


def test_max_num_bounding_boxes():
    boxes = {"boxes": np.arange(24, dtype="float32").reshape(2, 3, 4),
             "labels": np.array([[1, 2, 3], [4, 5, 6]], "int32")}
    x = np.zeros((2, 4, 4, 3), "float32")
    out = layers.MaxNumBoundingBoxes(5)({"images": x, "bounding_boxes": boxes})
    b = np_(out["bounding_boxes"]["boxes"])
    assert b.shape == (2, 5, 4) and np.all(b[:, 3:] == -1)
    np.testing.assert_array_equal(np_(out["bounding_boxes"]["labels"])[:, :3],
                                  boxes["labels"])
    out = layers.MaxNumBoundingBoxes(2)({"images": x, "bounding_boxes": boxes})
    assert np_(out["bounding_boxes"]["labels"]).shape == (2, 2)


# -- Pipeline, tf.data, errors ------------------------------------------------------------------
def test_pipeline(images):
    pipe = layers.Pipeline([layers.Resizing(6, 6), layers.RandomFlip(seed=1),
                            layers.RandomBrightness((0.0, 0.0))])
    out = np_(pipe(images))
    assert out.shape == (4, 6, 6, 3)
    np.testing.assert_allclose(np_(pipe(images, training=False)),
                               np_(layers.Resizing(6, 6)(images)), atol=1e-5)
    clone = layers.Pipeline.from_config(pipe.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == [
        "Resizing", "RandomFlip", "RandomBrightness"]
    assert pipe.compute_output_shape((4, 8, 8, 3)) == (4, 6, 6, 3)


def test_tf_data_map(backend_name, images):
    if backend_name != "tensorflow":
        pytest.skip("tf.data runs the layers as TensorFlow ops on the TF backend only")
    import tensorflow as tf

    layer = layers.RandomRotation(0.2, seed=3)
    ds = tf.data.Dataset.from_tensor_slices(images).batch(2).map(lambda x: layer(x))
    batches = [b.numpy() for b in ds]
    assert [b.shape for b in batches] == [(2, 8, 8, 3), (2, 8, 8, 3)]
    assert not np.allclose(np.concatenate(batches), images)
    crop = layers.RandomCrop(5, 5, seed=1)
    ds = tf.data.Dataset.from_tensor_slices(images).batch(3).map(
        lambda x: crop(x, training=True))
    assert [b.shape for b in ds] == [(3, 5, 5, 3), (1, 5, 5, 3)]


def test_argument_errors():
    with pytest.raises(ValueError, match="RandomRotation.*factor"):
        layers.RandomRotation(2.0)
    with pytest.raises(ValueError, match="fill_mode"):
        layers.RandomZoom(0.2, fill_mode="mirror_bad")
    with pytest.raises(ValueError, match="value_range"):
        layers.RandomContrast(0.2, value_range=5)
    with pytest.raises(ValueError, match="kernel_size"):
        layers.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match="rank 3"):
        layers.RandomFlip()(np.zeros((4, 4), "float32"))


def test_symbolic_shapes():
    import cornu

    inputs = cornu.layers.Input((8, 9, 3))
    x = layers.Resizing(4, 5)(inputs)
    assert tuple(x.shape) == (None, 4, 5, 3)
    x = layers.RandomCrop(3, 3)(x)
    assert tuple(x.shape) == (None, 3, 3, 3)
    x = layers.RandomFlip()(x)
    assert tuple(x.shape) == (None, 3, 3, 3)
    model = cornu.Model(inputs, x)
    out = model.predict(np.zeros((2, 8, 9, 3), "float32"), verbose=0)
    assert out.shape == (2, 3, 3, 3)


def test_tf_data_map_on_another_backend(backend_name, images):
    """On torch a tf.data map hands the layer a symbolic tf.Tensor: the layer runs on the
    host (tf.numpy_function) with the backend's ops, keeping the static output shape
    (KerasHub's ImageConverter resizes inside tf.data on any backend)."""
    if backend_name == "tensorflow":
        pytest.skip("the tensorflow backend runs the layers as TensorFlow ops")
    tf = pytest.importorskip("tensorflow")

    resize = layers.Resizing(4, 4)
    ds = tf.data.Dataset.from_tensor_slices(images).batch(3).map(lambda x: resize(x))
    assert ds.element_spec.shape.as_list() == [None, 4, 4, 3]
    batches = [b.numpy() for b in ds]
    assert [b.shape for b in batches] == [(3, 4, 4, 3), (1, 4, 4, 3)]
    np.testing.assert_allclose(np.concatenate(batches), np_(resize(images)), atol=1e-5)
    rotate = layers.RandomRotation(0.2, seed=3)
    ds = tf.data.Dataset.from_tensor_slices(images).batch(2).map(lambda x: rotate(x))
    out = np.concatenate([b.numpy() for b in ds])
    assert out.shape == images.shape and not np.allclose(out, images)
