"""``cornu.utils.bounding_boxes`` against ``keras.utils.bounding_boxes`` (Keras 3.15.1).

The comparisons run Keras on cornu's backend, in this process (imported after cornu's
backend, as tests/layers does); they skip where Keras is not installed (tests/core also
runs with cornu-core alone), and the hand-written expectations below them always run.
cornu's functions run Keras's formulas operation for operation, so the results agree
exactly on the same backend.
"""
import inspect
import itertools

import numpy as np
import pytest

import cornu
from cornu import ops
from cornu.utils import bounding_boxes as bb
from cornu.utils.bounding_boxes.converters import SUPPORTED_FORMATS


@pytest.fixture(scope="module")
def keras():
    """Keras 3, imported after cornu's backend (one framework per process)."""
    ops.convert_to_tensor(np.zeros(1, "float32"))
    return pytest.importorskip("keras")


def np_(x):
    return np.asarray(ops.convert_to_numpy(x))


def kb(keras):
    return keras.utils.bounding_boxes


def keras_np(x, keras):
    if hasattr(x, "detach"):  # a torch tensor (Keras's own conversion warns on numpy 2)
        return x.detach().cpu().numpy()
    return np.asarray(keras.ops.convert_to_numpy(x))


def same(ours, theirs, keras):
    """Equal values and dtypes (a cornu result against a Keras one)."""
    a, b = np_(ours), keras_np(theirs, keras)
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


def xyxy_boxes(rng, shape=(2, 5)):
    xy = rng.uniform(-5, 50, shape + (2,))
    wh = rng.uniform(1, 30, shape + (2,))
    return np.concatenate([xy, xy + wh], axis=-1).astype("float32")


# -- the surface ------------------------------------------------------------------------
def test_the_keras_names_and_signatures_exist(keras):
    theirs = kb(keras)
    public = [n for n in dir(theirs) if not n.startswith("_")]
    assert public == sorted(bb.__all__)
    assert set(public) <= set(dir(bb))
    for name in public:
        assert (inspect.signature(getattr(bb, name)).parameters.keys()
                == inspect.signature(getattr(theirs, name)).parameters.keys()), name
        ours = {k: p.default for k, p in inspect.signature(getattr(bb, name)).parameters.items()}
        keras_defaults = {k: p.default
                          for k, p in inspect.signature(getattr(theirs, name)).parameters.items()}
        assert ours == keras_defaults, name


def test_reachable_from_cornu_utils():
    assert cornu.utils.bounding_boxes is bb
    assert "bounding_boxes" in dir(cornu.utils)
    from cornu.utils import bounding_boxes

    assert bounding_boxes.convert_format is bb.convert_format


# -- convert_format ---------------------------------------------------------------------
@pytest.mark.parametrize("batched", [True, False])
def test_convert_format_every_pair_matches_keras(keras, rng, batched):
    boxes = xyxy_boxes(rng) if batched else xyxy_boxes(rng, (6,))
    for source, target in itertools.product(SUPPORTED_FORMATS, SUPPORTED_FORMATS):
        same(bb.convert_format(boxes, source, target, height=64, width=80),
             kb(keras).convert_format(boxes, source, target, height=64, width=80), keras)


def test_convert_format_dtype_case_and_backend_tensors_match_keras(keras, rng):
    boxes = xyxy_boxes(rng)
    for dtype in ("float32", "float64"):
        same(bb.convert_format(boxes, "XYXY", "Center_YXHW", dtype=dtype),
             kb(keras).convert_format(boxes, "XYXY", "Center_YXHW", dtype=dtype), keras)
    same(bb.convert_format(ops.convert_to_tensor(boxes), "xyxy", "rel_xywh", 10, 20),
         kb(keras).convert_format(keras.ops.convert_to_tensor(boxes), "xyxy", "rel_xywh",
                                  10, 20), keras)
    ints = np.array([[10, 20, 30, 40], [50, 60, 70, 80]])
    same(bb.convert_format(ints, "xyxy", "xywh"), kb(keras).convert_format(ints, "xyxy", "xywh"),
         keras)


def test_convert_format_dicts_match_keras(keras, rng):
    d = {"boxes": xyxy_boxes(rng), "labels": np.array([[0, 1, 2, 3, 4]] * 2)}
    before = d["boxes"].copy()
    ours = bb.convert_format(d, "xyxy", "rel_yxyx", height=64, width=80)
    theirs = kb(keras).convert_format(dict(d), "xyxy", "rel_yxyx", height=64, width=80)
    assert sorted(ours) == sorted(theirs) == ["boxes", "labels"]
    same(ours["boxes"], theirs["boxes"], keras)
    assert ours["labels"] is d["labels"]
    assert d["boxes"] is not ours["boxes"]  # cornu leaves the caller's dict alone
    np.testing.assert_array_equal(d["boxes"], before)


def test_convert_format_errors_match_keras(keras):
    cases = [
        (np.zeros((2, 3)), "xyxy", "xywh", {}),
        (np.zeros((2, 4)), "xyxy", "xyzz", {}),
        (np.zeros((2, 4)), "rel_xyxy", "xyxy", {}),
        (np.zeros((2, 4)), "xyxy", "rel_xyxy", {"height": 4}),
    ]
    for boxes, source, target, kwargs in cases:
        with pytest.raises(ValueError) as theirs:
            kb(keras).convert_format(boxes, source, target, **kwargs)
        with pytest.raises(ValueError) as ours:
            bb.convert_format(boxes, source, target, **kwargs)
        assert str(ours.value) == str(theirs.value)


def test_convert_format_reference_values():
    boxes = np.array([[10, 20, 30, 40], [50, 60, 70, 80]])
    np.testing.assert_allclose(np_(bb.convert_format(boxes, "xyxy", "xywh")),
                               [[10, 20, 20, 20], [50, 60, 20, 20]])
    np.testing.assert_allclose(
        np_(bb.convert_format(boxes, "xyxy", "rel_xyxy", height=200, width=300)),
        [[10 / 300, 0.1, 0.1, 0.2], [50 / 300, 0.3, 70 / 300, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(np_(bb.convert_format(boxes, "xyxy", "center_yxhw")),
                               [[30, 20, 20, 20], [70, 60, 20, 20]])
    # relative to relative: the image size is required (as in Keras) but not used
    rel = np.array([[0.1, 0.2, 0.5, 0.6]])
    for size in (1, 1000):
        np.testing.assert_allclose(
            np_(bb.convert_format(rel, "rel_xyxy", "rel_yxyx", height=size, width=size)),
            [[0.2, 0.1, 0.6, 0.5]], rtol=1e-6)
    for fmt in SUPPORTED_FORMATS:  # every format round-trips
        there = bb.convert_format(boxes, "xyxy", fmt, height=200, width=300)
        np.testing.assert_allclose(np_(bb.convert_format(there, fmt, "xyxy", 200, 300)),
                                   boxes, rtol=1e-5)
    assert np_(bb.convert_format(boxes, "xyxy", "xyxy")).dtype == np.float32
    assert np_(bb.convert_format(boxes, "xyxy", "xywh", dtype="float64")).dtype == np.float64


# -- clip, crop, pad --------------------------------------------------------------------
def test_clip_to_image_size_matches_keras(keras, rng):
    boxes = xyxy_boxes(rng) * np.array([1, 1, 1.5, 1.5], "float32")
    boxes[0, 0] = [45, 35, 60, 50]  # entirely outside the 40 x 30 image: no area left
    labels = np.array([[0, 1, 2, 3, 4]] * 2)
    d = {"boxes": boxes, "labels": labels}
    for fmt, h, w, arr in [("xyxy", 30, 40, boxes), ("rel_xyxy", None, None, boxes / 40)]:
        ours = bb.clip_to_image_size({**d, "boxes": arr}, h, w, bounding_box_format=fmt)
        theirs = kb(keras).clip_to_image_size({**d, "boxes": arr}, h, w, bounding_box_format=fmt)
        same(ours["boxes"], theirs["boxes"], keras)
        same(ours["labels"], theirs["labels"], keras)
    ours = bb.clip_to_image_size(d, 30, 40)
    assert np_(ours["labels"])[0, 0] == -1
    assert np_(bb.clip_to_image_size({"boxes": boxes}, 30, 40)["boxes"]).max() <= 40
    for call, error in [(lambda m: m.clip_to_image_size(d, 30, 40, "xywh"), NotImplementedError),
                        (lambda m: m.clip_to_image_size(d, None, 40), ValueError)]:
        with pytest.raises(error):
            call(kb(keras))
        with pytest.raises(error):
            call(bb)


def test_clip_crop_pad_reference_values():
    d = {"boxes": np.array([[-10.0, -20, 150, 160], [50, 40, 70, 80]]), "labels": np.array([0, 1])}
    out = bb.clip_to_image_size(d, height=100, width=120)
    np.testing.assert_allclose(np_(out["boxes"]), [[0, 0, 120, 100], [50, 40, 70, 80]])
    np.testing.assert_array_equal(np_(out["labels"]), [0, 1])
    boxes = np.array([[10, 20, 50, 60], [70, 80, 100, 120]])
    np.testing.assert_array_equal(np_(bb.crop(boxes, 10, 20, 40, 30)),
                                  [[0, 10, 30, 40], [30, 40, 30, 40]])
    np.testing.assert_array_equal(np_(bb.crop(boxes, 10, 20, None, None)),
                                  [[0, 10, 30, 50], [50, 70, 80, 110]])
    np.testing.assert_array_equal(np_(bb.pad(boxes, 10, 20)),
                                  [[30, 30, 70, 70], [90, 90, 120, 130]])
    for fn in (bb.crop, bb.pad):
        with pytest.raises(NotImplementedError):
            fn(boxes, 1, 1, 10, 10, bounding_box_format="yxyx")
    with pytest.raises(TypeError, match="dict"):
        bb.clip_to_image_size(boxes, 10, 10)


def test_crop_and_pad_match_keras(keras, rng):
    for boxes in (xyxy_boxes(rng), xyxy_boxes(rng).astype("int64"), xyxy_boxes(rng, (4,))):
        same(bb.crop(boxes, 3, 5, 30, 40), kb(keras).crop(boxes, 3, 5, 30, 40), keras)
        same(bb.pad(boxes, 3, 5), kb(keras).pad(boxes, 3, 5), keras)
        same(bb.pad(boxes, 3, 5, 70, 90), kb(keras).pad(boxes, 3, 5, 70, 90), keras)


# -- affine_transform -------------------------------------------------------------------
def affine_args(rng, batch):
    def u(lo, hi):
        return rng.uniform(lo, hi, batch).astype("float32")

    return [u(-40, 40), u(-0.2, 0.2), u(-0.2, 0.2), u(0.7, 1.3), u(-15, 15), u(-15, 15)]


def test_affine_transform_matches_keras(keras, rng):
    boxes = xyxy_boxes(rng, (3, 4))
    args = affine_args(rng, 3)
    same(bb.affine_transform(boxes, *args, 64, 80),
         kb(keras).affine_transform(boxes, *args, 64, 80), keras)
    same(bb.affine_transform(boxes, *args, 64, 80, center_x=0.2, center_y=0.7),
         kb(keras).affine_transform(boxes, *args, 64, 80, center_x=0.2, center_y=0.7), keras)
    tensors = [ops.convert_to_tensor(a) for a in args]
    same(bb.affine_transform(ops.convert_to_tensor(boxes), *tensors, 64, 80),
         kb(keras).affine_transform(boxes, *args, 64, 80), keras)
    with pytest.raises(NotImplementedError):
        kb(keras).affine_transform(boxes, *args, 64, 80, bounding_box_format="yxyx")
    with pytest.raises(NotImplementedError):
        bb.affine_transform(boxes, *args, 64, 80, bounding_box_format="yxyx")


def test_affine_transform_reference_values():
    boxes = np.array([[[10.0, 20.0, 30.0, 40.0]]])
    one = np.ones(1, "float32")
    zero = np.zeros(1, "float32")
    np.testing.assert_allclose(  # the identity
        np_(bb.affine_transform(boxes, zero, zero, zero, one, zero, zero, 101, 101)), boxes,
        atol=1e-4)
    np.testing.assert_allclose(  # a translation by a tenth of (size - 1)
        np_(bb.affine_transform(boxes, zero, one * 0.1, one * 0.2, one, zero, zero, 101, 101)),
        [[[20, 40, 40, 60]]], atol=1e-4)
    np.testing.assert_allclose(  # scaling by 2 about the centre (50, 50)
        np_(bb.affine_transform(boxes, zero, zero, zero, one * 2, zero, zero, 101, 101)),
        [[[-30, -10, 10, 30]]], atol=1e-4)
    # a half turn about the centre maps the box to its point reflection
    out = np_(bb.affine_transform(boxes, one * 180, zero, zero, one, zero, zero, 101, 101))
    np.testing.assert_allclose(out, [[[70, 60, 90, 80]]], atol=1e-3)
    # an unbatched (N, 4) is a batch of one
    np.testing.assert_allclose(
        np_(bb.affine_transform(boxes[0], one * 180, zero, zero, one, zero, zero, 101, 101)),
        out[0], atol=1e-6)


# -- anchor deltas ----------------------------------------------------------------------
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
def test_deltas_match_keras(keras, rng, variance, encoding):
    anchors = xyxy_boxes(rng, (5,)) + 10
    boxes = xyxy_boxes(rng) + 10
    rel = bb.convert_format(boxes, "xyxy", "rel_xywh", 64, 80)
    krel = kb(keras).convert_format(boxes, "xyxy", "rel_xywh", 64, 80)
    ours = bb.encode_box_to_deltas(anchors, rel, "xyxy", "rel_xywh", encoding_format=encoding,
                                   variance=variance, image_shape=(64, 80, 3))
    theirs = kb(keras).encode_box_to_deltas(anchors, krel, "xyxy", "rel_xywh",
                                            encoding_format=encoding, variance=variance,
                                            image_shape=(64, 80, 3))
    same(ours, theirs, keras)
    # Keras multiplies a numpy delta by a backend tensor (fails on torch): pass its tensor
    decoded = bb.decode_deltas_to_boxes(anchors, ours, "xyxy", "yxyx", encoded_format=encoding,
                                        variance=variance)
    same(decoded, kb(keras).decode_deltas_to_boxes(anchors, theirs, "xyxy", "yxyx",
                                                   encoded_format=encoding, variance=variance),
         keras)
    levels = bb.decode_deltas_to_boxes({"p3": anchors}, {"p3": ours}, "xyxy", "yxyx",
                                       encoded_format=encoding, variance=variance)
    klevels = kb(keras).decode_deltas_to_boxes({"p3": anchors}, {"p3": theirs}, "xyxy", "yxyx",
                                               encoded_format=encoding, variance=variance)
    assert list(levels) == list(klevels) == ["p3"]
    same(levels["p3"], klevels["p3"], keras)


def test_deltas_round_trip_and_errors():
    anchors = np.array([[0.0, 0.0, 10, 10], [5, 5, 25, 15]])
    boxes = np.array([[[1.0, 2, 11, 9], [4, 6, 30, 14]]])
    deltas = bb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", variance=[1, 1, 2, 2])
    np.testing.assert_allclose(np_(deltas)[0, 0], [0.05, 0.1, np.log(0.7) / 2, 0], atol=1e-6)
    back = bb.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xyxy", variance=[1, 1, 2, 2])
    np.testing.assert_allclose(np_(back), boxes, atol=1e-5)
    with pytest.raises(ValueError, match="length 4"):
        bb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", variance=[1, 1])
    with pytest.raises(ValueError, match="encoding_format"):
        bb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", encoding_format="xyxy")
    with pytest.raises(ValueError, match="encoded_format"):
        bb.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xyxy", encoded_format="xyxy")
    with pytest.raises(ValueError, match="length 4"):
        bb.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xyxy", variance=[1, 1, 1])


# -- IoU --------------------------------------------------------------------------------
def test_compute_iou_matches_keras(keras, rng):
    boxes = xyxy_boxes(rng, (2, 5))
    other = xyxy_boxes(rng, (2, 3))
    other[0, 0] = -1  # a padding box, masked with use_masking
    for b1, b2 in [(boxes, other), (boxes[0], other[1])]:
        for masking in (False, True):
            same(bb.compute_iou(b1, b2, "xyxy", use_masking=masking, mask_val=-2),
                 kb(keras).compute_iou(b1, b2, "xyxy", use_masking=masking, mask_val=-2), keras)
    # mixed ranks (Keras's masking permutation fails there: compared unmasked)
    for b1, b2 in [(boxes, other[0]), (boxes[0], other)]:
        same(bb.compute_iou(b1, b2, "xyxy"), kb(keras).compute_iou(b1, b2, "xyxy"), keras)
    rel = bb.convert_format(boxes, "xyxy", "rel_yxyx", 64, 80)
    same(bb.compute_iou(rel, rel, "rel_yxyx", image_shape=(64, 80, 3)),
         kb(keras).compute_iou(rel, rel, "rel_yxyx", image_shape=(64, 80, 3)), keras)
    for b1, b2, fmt in [(boxes[0, 0], other, "xyxy"), (boxes, other, "rel_xyxy")]:
        with pytest.raises(ValueError) as theirs:
            kb(keras).compute_iou(b1, b2, fmt)
        with pytest.raises(ValueError) as ours:
            bb.compute_iou(b1, b2, fmt)
        assert str(ours.value) == str(theirs.value)


def test_compute_ciou_matches_keras(keras, rng):
    boxes = xyxy_boxes(rng, (2, 5))
    other = xyxy_boxes(rng, (2, 5))
    for fmt in ("xyxy", "center_xywh"):
        b1 = bb.convert_format(boxes, "xyxy", fmt)
        b2 = bb.convert_format(other, "xyxy", fmt)
        same(bb.compute_ciou(np_(b1), np_(b2), fmt),
             kb(keras).compute_ciou(np_(b1), np_(b2), fmt), keras)
    with pytest.raises(ValueError) as theirs:
        kb(keras).compute_ciou(boxes, other, "rel_xyxy", image_shape=(4, 4, 3))
    with pytest.raises(ValueError) as ours:
        bb.compute_ciou(boxes, other, "rel_xyxy", image_shape=(4, 4, 3))
    assert str(ours.value) == str(theirs.value)


def test_iou_reference_values():
    a = np.array([[0.0, 0, 10, 10], [-1, -1, -1, -1]])
    b = np.array([[5.0, 5, 15, 15], [0, 0, 10, 10]])
    iou = np_(bb.compute_iou(a, b, "xyxy"))
    np.testing.assert_allclose(iou[0], [25 / 175, 1.0], rtol=1e-5)
    masked = np_(bb.compute_iou(a, b, "xyxy", use_masking=True))
    np.testing.assert_allclose(masked[1], [-1, -1])
    np.testing.assert_allclose(np_(bb.compute_iou(a[None], b, "xyxy", use_masking=True))[0],
                               masked)  # mixed ranks mask too
    ciou = np_(bb.compute_ciou(a[:1], b[1:], "xyxy"))
    np.testing.assert_allclose(ciou, [1.0], atol=1e-5)  # identical boxes
    far = np_(bb.compute_ciou(np.array([[0.0, 0, 1, 1]]), np.array([[9.0, 9, 10, 10]]), "xyxy"))
    np.testing.assert_allclose(far, [-(81 + 81) / (100 + 100)], rtol=1e-4)


# -- traced and inside tf.data; the image preprocessing layers use these ------------------
def test_symbolic_inputs_and_a_functional_model(rng):
    x = cornu.KerasTensor((None, 5, 4))
    y = bb.convert_format(x, "xyxy", "rel_center_xywh", 64, 80)
    assert isinstance(y, cornu.KerasTensor) and y.shape == (None, 5, 4)
    assert bb.compute_iou(x, cornu.KerasTensor((None, 3, 4)), "xyxy").shape == (None, 5, 3)
    inputs = cornu.Input((5, 4))
    model = cornu.Model(inputs, bb.convert_format(inputs, "xyxy", "center_yxhw"))
    boxes = xyxy_boxes(rng)
    np.testing.assert_allclose(model.predict(boxes, verbose=0),
                               np_(bb.convert_format(boxes, "xyxy", "center_yxhw")), rtol=1e-6)


def test_in_tf_data_on_tensorflow(backend_name, rng):
    if backend_name != "tensorflow":
        pytest.skip("tf.data runs cornu ops as TensorFlow ops on the TF backend only")
    import tensorflow as tf

    boxes = xyxy_boxes(rng, (4, 3))
    ds = tf.data.Dataset.from_tensor_slices({"boxes": boxes, "labels": np.ones((4, 3))}).batch(3)
    ds = ds.map(lambda d: bb.clip_to_image_size(
        bb.convert_format(d, "xyxy", "xyxy"), height=30, width=40))
    got = np.concatenate([b["boxes"].numpy() for b in ds])
    np.testing.assert_allclose(got, np.clip(boxes, 0, [40, 30, 40, 30]))


def test_the_layers_move_boxes_with_these_functions():
    layers_bbox = pytest.importorskip("cornu.layers.preprocessing.image.bounding_boxes")
    assert layers_bbox.FORMATS is SUPPORTED_FORMATS
    boxes = ops.convert_to_tensor(np.array([[[1.0, 2.0, 5.0, 6.0]]], "float64"))
    out = layers_bbox.convert_format(boxes, "xyxy", "rel_center_xywh", 10, 20)
    assert ops.standardize_dtype(out.dtype) == "float64"  # the layers keep the boxes' dtype
    np.testing.assert_allclose(np_(out), [[[0.15, 0.4, 0.2, 0.4]]])
    with pytest.raises(ValueError, match="unknown bounding box format"):
        layers_bbox.convert_format(boxes, "xyxy", "XYXY", 10, 20)
