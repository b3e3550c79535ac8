"""``cornu.visualization`` against ``keras.visualization`` (Keras 3.15.1).

The drawings are compared with Keras's pixel for pixel (both draw with OpenCV, which the
box tests need: ``pytest.importorskip("cv2")``); the galleries are matplotlib figures
(Agg backend) compared axis by axis: the same number of axes, the same image data, the
same titles.  The Keras comparisons run Keras on cornu's backend in this process and
skip where it is not installed (tests/core also runs with cornu-core alone, without
matplotlib or OpenCV: then the tests that need them skip too).
"""
import inspect
import subprocess
import sys

import numpy as np
import pytest

import cornu
from cornu import ops


@pytest.fixture(scope="module")
def keras():
    """Keras 3, imported after cornu's backend (one framework per process)."""
    ops.convert_to_tensor(np.zeros(1, "float32"))
    return pytest.importorskip("keras")


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as pyplot

    pyplot.close("all")
    yield pyplot
    pyplot.close("all")


@pytest.fixture(scope="module")
def cv2():
    return pytest.importorskip("cv2")


@pytest.fixture
def viz():
    import cornu.visualization

    return cornu.visualization


def np_(x):
    if hasattr(x, "detach"):  # a torch tensor (Keras's conversion warns on numpy 2)
        return x.detach().cpu().numpy()
    return np.asarray(ops.convert_to_numpy(x))


def images_u8(rng, shape=(3, 40, 50, 3)):
    return rng.integers(0, 256, shape).astype("uint8")


BOXES = {
    "boxes": np.array([[[2, 3, 20, 30], [10, 5, 45, 35], [0, 0, 4, 4]],
                       [[5, 30, 25, 38], [1, 1, 48, 38], [3, 3, 9, 9]],
                       [[20, 12, 30, 22], [4, 20, 44, 26], [7, 7, 8, 8]]], "float32"),
    "labels": np.array([[0, 1, -1], [1, 2, 0], [2, 0, 1]]),
    "confidences": np.array([[0.5, 0.9, 0.1], [0.25, 0.125, 1.0], [0.3, 0.6, 0.7]]),
}
MAPPING = {0: "cat", 1: "dog"}


def figure_data(fig):
    """(number of axes, the image array of each, the titles) of a gallery figure."""
    images = [np.asarray(ax.get_images()[0].get_array()) for ax in fig.axes if ax.get_images()]
    return len(fig.axes), images, [ax.get_title() for ax in fig.axes]


def assert_same_figure(ours, theirs):
    n, images, titles = figure_data(ours)
    kn, kimages, ktitles = figure_data(theirs)
    assert n == kn
    assert len(images) == len(kimages) > 0
    for a, b in zip(images, kimages):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert titles == ktitles
    assert len(ours.legends) == len(theirs.legends)


# -- the surface ------------------------------------------------------------------------
def test_the_keras_names_and_signatures_exist(keras, viz):
    public = [n for n in dir(keras.visualization) if not n.startswith("_")]
    assert public == sorted(viz.__all__)
    assert set(public) <= set(dir(viz))
    for name in public:
        ours = inspect.signature(getattr(viz, name)).parameters
        theirs = inspect.signature(getattr(keras.visualization, name)).parameters
        assert list(ours) == list(theirs), name
        assert {k: p.default for k, p in ours.items()} == {
            k: p.default for k, p in theirs.items()}, name


def test_a_lazy_core_submodule_that_imports_neither_matplotlib_nor_opencv():
    assert "visualization" in dir(cornu)
    code = ("import sys, cornu; v = cornu.visualization; v.draw_bounding_boxes; "
            "print('matplotlib' in sys.modules, 'cv2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == ["False", "False"]


# -- draw_bounding_boxes ----------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xyxy", "rel_xywh", "center_yxhw"])
def test_draw_bounding_boxes_matches_keras_pixel_for_pixel(keras, cv2, viz, rng, fmt):
    images = images_u8(rng)
    boxes = dict(BOXES, boxes=np_(cornu.utils.bounding_boxes.convert_format(
        BOXES["boxes"], "xyxy", fmt, height=40, width=50)))
    for kwargs in [{}, {"class_mapping": MAPPING, "color": (255, 0, 0)},
                   {"class_mapping": MAPPING, "line_thickness": 1, "text_thickness": None,
                    "font_scale": 0.5}]:
        ours = viz.draw_bounding_boxes(images, dict(boxes), fmt, **kwargs)
        theirs = keras.visualization.draw_bounding_boxes(images, dict(boxes), fmt, **kwargs)
        assert ours.dtype == theirs.dtype == np.uint8 and ours.shape == images.shape
        np.testing.assert_array_equal(ours, theirs)
        assert (ours != images).any()
    no_conf = {k: v for k, v in boxes.items() if k != "confidences"}
    np.testing.assert_array_equal(
        viz.draw_bounding_boxes(images, no_conf, fmt, class_mapping=MAPPING),
        keras.visualization.draw_bounding_boxes(images, no_conf, fmt, class_mapping=MAPPING))


def test_draw_bounding_boxes_float_images_and_tensors_match_keras(keras, cv2, viz, rng):
    unit = rng.uniform(0, 1, (3, 40, 50, 3)).astype("float32")
    wide = rng.uniform(-20, 300, (3, 40, 50, 3)).astype("float32")
    for images in (unit, wide, ops.convert_to_tensor(unit)):
        ours = viz.draw_bounding_boxes(images, dict(BOXES), "xyxy", class_mapping=MAPPING)
        theirs = keras.visualization.draw_bounding_boxes(
            np_(images), dict(BOXES), "xyxy", class_mapping=MAPPING)
        np.testing.assert_array_equal(ours, theirs)


def test_draw_bounding_boxes_geometry(cv2, viz):
    images = np.zeros((1, 20, 30, 3), "uint8")
    boxes = {"boxes": np.array([[[3.7, 2.2, 12.9, 9.5]]]), "labels": np.array([[4]])}
    out = viz.draw_bounding_boxes(images, boxes, "xyxy", color=(10, 20, 30), line_thickness=1)
    drawn = (out[0] != 0).any(axis=-1)
    expected = np.zeros((20, 30), bool)  # the outline of [3, 12] x [2, 9] (truncated)
    expected[2, 3:13] = expected[9, 3:13] = True
    expected[2:10, 3] = expected[2:10, 12] = True
    np.testing.assert_array_equal(drawn, expected)
    np.testing.assert_array_equal(out[0][drawn], [[10, 20, 30]] * int(expected.sum()))
    assert not images.any()  # the input is not drawn on
    # label -1 boxes are padding: nothing is drawn
    boxes["labels"] = np.array([[-1]])
    assert not viz.draw_bounding_boxes(images, boxes, "xyxy").any()


def test_draw_bounding_boxes_channels_first(cv2, viz, rng):
    images = images_u8(rng)
    last = viz.draw_bounding_boxes(images, dict(BOXES), "xyxy", class_mapping=MAPPING)
    first = viz.draw_bounding_boxes(images.transpose(0, 3, 1, 2), dict(BOXES), "xyxy",
                                    class_mapping=MAPPING, data_format="channels_first")
    np.testing.assert_array_equal(first, last.transpose(0, 3, 1, 2))


def test_draw_bounding_boxes_errors_match_keras(keras, cv2, viz, rng):
    images = images_u8(rng)
    cases = [(images[0], dict(BOXES), ValueError), (images, BOXES["boxes"], TypeError),
             (images, {"boxes": BOXES["boxes"]}, ValueError)]
    for imgs, boxes, error in cases:
        with pytest.raises(error) as theirs:
            keras.visualization.draw_bounding_boxes(imgs, boxes, "xyxy")
        with pytest.raises(error) as ours:
            viz.draw_bounding_boxes(imgs, boxes, "xyxy")
        assert str(ours.value).split(":")[0] == str(theirs.value).split(":")[0]


def test_draw_bounding_boxes_without_opencv_names_the_package(viz, monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(ImportError, match="pip install opencv-python-headless"):
        viz.draw_bounding_boxes(np.zeros((1, 4, 4, 3)), dict(BOXES), "xyxy")


# -- draw_segmentation_masks ------------------------------------------------------------
def masks_of(rng, shape=(3, 40, 50, 1), high=4):
    return rng.integers(-1, high, shape)


def test_draw_segmentation_masks_matches_keras(keras, viz, rng, backend_name):
    images = images_u8(rng)
    masks = masks_of(rng)
    colors = {0: (255, 0, 0), 1: (0, 255, 0), 2: (0, 0, 255), 3: (9, 9, 9)}
    for kwargs in [{"num_classes": 4}, {"num_classes": 4, "blend": False},
                   {"num_classes": 4, "alpha": 0.3, "ignore_index": 2},
                   {"num_classes": 4, "color_mapping": colors, "alpha": 0.55},
                   {"num_classes": 4, "color_mapping": colors, "blend": False}]:
        ours = viz.draw_segmentation_masks(images, masks, **kwargs)
        theirs = np_(keras.visualization.draw_segmentation_masks(images, masks, **kwargs))
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    floats = rng.uniform(0, 255, images.shape).astype("float32")
    np.testing.assert_array_equal(
        viz.draw_segmentation_masks(ops.convert_to_tensor(floats), masks, num_classes=4),
        np_(keras.visualization.draw_segmentation_masks(floats, masks, num_classes=4)))
    # channels first: images (b, c, h, w) and masks (b, 1, h, w); the result is channels last
    kwargs = {"num_classes": 4, "data_format": "channels_first"}
    np.testing.assert_array_equal(
        viz.draw_segmentation_masks(images.transpose(0, 3, 1, 2), masks.transpose(0, 3, 1, 2),
                                    **kwargs),
        np_(keras.visualization.draw_segmentation_masks(
            images.transpose(0, 3, 1, 2), masks.transpose(0, 3, 1, 2), **kwargs)))
    if backend_name == "tensorflow":  # Keras's torch one_hot refuses ids >= num_classes
        for kwargs in [{}, {"num_classes": 2, "color_mapping": colors}]:
            np.testing.assert_array_equal(
                viz.draw_segmentation_masks(images, masks, **kwargs),
                np_(keras.visualization.draw_segmentation_masks(images, masks, **kwargs)))


def test_draw_segmentation_masks_errors_match_keras(keras, viz, rng):
    images = images_u8(rng)
    for imgs, masks, error in [(images[0], masks_of(rng), ValueError),
                               (images, masks_of(rng).astype("float32"), TypeError)]:
        with pytest.raises(error) as theirs:
            keras.visualization.draw_segmentation_masks(imgs, masks, num_classes=4)
        with pytest.raises(error) as ours:
            viz.draw_segmentation_masks(imgs, masks, num_classes=4)
        assert str(ours.value) == str(theirs.value)


def test_draw_segmentation_masks_reference_values(viz):
    images = np.full((1, 2, 3, 3), 100, "uint8")
    masks = np.array([[[0, 1, 2], [-1, 1, 5]]])  # (b, h, w): a channel axis is added
    out = viz.draw_segmentation_masks(images, masks, num_classes=3, alpha=0.5)
    palette = [[0, 0, 0], [(2**25 - 1) % 255, (2**15 - 1) % 255, (2**21 - 1) % 255]]
    palette.append([(2 * c) % 255 for c in (2**25 - 1, 2**15 - 1, 2**21 - 1)])
    assert out.dtype == np.uint8 and out.shape == (1, 2, 3, 3)
    np.testing.assert_array_equal(out[0, 0, 0], [50, 50, 50])
    np.testing.assert_array_equal(out[0, 0, 1], (100 * 0.5 + np.array(palette[1]) * 0.5).astype(int))
    np.testing.assert_array_equal(out[0, 0, 2], (100 * 0.5 + np.array(palette[2]) * 0.5).astype(int))
    np.testing.assert_array_equal(out[0, 1, 0], [100, 100, 100])  # ignore_index keeps the image
    np.testing.assert_array_equal(out[0, 1, 2], [100, 100, 100])  # id >= num_classes: none
    painted = viz.draw_segmentation_masks(images, masks[..., None], num_classes=3, blend=False)
    assert painted.dtype == np.float32
    np.testing.assert_array_equal(painted[0, 0, 1], palette[1])


# -- the galleries ----------------------------------------------------------------------
def test_plot_image_gallery_matches_keras(keras, viz, plt, rng):
    images = images_u8(rng, (5, 12, 16, 3))
    labels = np.array([0, 1, 2, 1, 0])
    label_map = {0: "cat", 1: "dog"}
    for kwargs in [{}, {"rows": 2, "cols": 2}, {"rows": 1, "cols": 3},
                   {"y_true": labels, "y_pred": labels[::-1], "label_map": label_map},
                   {"legend_handles": [__import__("matplotlib.patches").patches.Patch(
                       color="red", label="x")]}]:
        viz.plot_image_gallery(images, show=False, **kwargs)
        ours = plt.gcf()
        keras.visualization.plot_image_gallery(images, show=False, **kwargs)
        theirs = plt.gcf()
        assert ours is not theirs
        assert_same_figure(ours, theirs)
        plt.close("all")
    floats = rng.uniform(0, 1, (4, 8, 8, 3)).astype("float32")
    viz.plot_image_gallery(ops.convert_to_tensor(floats), value_range=(0, 1), show=False)
    ours = plt.gcf()
    keras.visualization.plot_image_gallery(floats, value_range=(0, 1), show=False)
    assert_same_figure(ours, plt.gcf())


def test_plot_image_gallery_layouts(viz, plt, rng, tmp_path):
    images = images_u8(rng, (4, 6, 7, 3))
    viz.plot_image_gallery(images, show=False)
    n, shown, _ = figure_data(plt.gcf())
    assert n == 4 and len(shown) == 4  # a 2 x 2 grid
    for a, b in zip(shown, images):
        np.testing.assert_array_equal(a, b)
    plt.close("all")
    viz.plot_image_gallery(images[:1], show=False)  # one image: one axis
    assert figure_data(plt.gcf())[0] == 1
    plt.close("all")
    viz.plot_image_gallery(images, rows=2, cols=3, show=False)  # more cells than images
    n, shown, _ = figure_data(plt.gcf())
    assert n == 6 and len(shown) == 4
    plt.close("all")
    viz.plot_image_gallery(images.transpose(0, 3, 1, 2), data_format="channels_first",
                           show=False)
    for a, b in zip(figure_data(plt.gcf())[1], images):
        np.testing.assert_array_equal(a, b)
    plt.close("all")
    path = tmp_path / "gallery.png"
    viz.plot_image_gallery(images, path=str(path))
    assert path.stat().st_size > 0 and not plt.get_fignums()  # saved and closed
    viz.plot_image_gallery(images, show=True)  # Agg: nothing to show; closed
    assert not plt.get_fignums()


def test_plot_image_gallery_errors_match_keras(keras, viz, plt, rng):
    images = images_u8(rng, (4, 6, 7, 3))
    cases = [((images,), {"path": "x.png", "show": True}),
             ((images,), {"y_true": np.zeros(4)}),
             ((images[0],), {"show": False})]
    for args, kwargs in cases:
        with pytest.raises(ValueError) as theirs:
            keras.visualization.plot_image_gallery(*args, **kwargs)
        plt.close("all")
        with pytest.raises(ValueError) as ours:
            viz.plot_image_gallery(*args, **kwargs)
        plt.close("all")
        assert str(ours.value) == str(theirs.value)


def test_plot_bounding_box_gallery_matches_keras(keras, cv2, viz, plt, rng):
    images = images_u8(rng)
    for kwargs in [{"y_true": dict(BOXES)}, {"y_pred": dict(BOXES), "class_mapping": MAPPING},
                   {"y_true": dict(BOXES), "y_pred": dict(BOXES), "legend": True,
                    "ground_truth_mapping": MAPPING, "rows": 1, "cols": 3,
                    "line_thickness": 1, "font_scale": 0.4}]:
        viz.plot_bounding_box_gallery(images, "xyxy", show=False, **kwargs)
        ours = plt.gcf()
        keras.visualization.plot_bounding_box_gallery(images, "xyxy", show=False, **kwargs)
        assert_same_figure(ours, plt.gcf())
        plt.close("all")
    viz.plot_bounding_box_gallery(images.transpose(0, 3, 1, 2), "xyxy", y_true=dict(BOXES),
                                  data_format="channels_first", show=False)
    ours = plt.gcf()
    keras.visualization.plot_bounding_box_gallery(images, "xyxy", y_true=dict(BOXES), show=False)
    assert_same_figure(ours, plt.gcf())
    handles = [__import__("matplotlib.patches").patches.Patch(color="red", label="x")]
    for module in (keras.visualization, viz):
        with pytest.raises(ValueError, match="legend"):
            module.plot_bounding_box_gallery(images, "xyxy", legend=True,
                                             legend_handles=handles, show=False)


def test_plot_segmentation_mask_gallery_matches_keras(keras, viz, plt, rng):
    images = images_u8(rng, (2, 10, 12, 3))
    masks = masks_of(rng, (2, 10, 12, 1))
    for kwargs in [{"y_true": masks}, {"y_true": masks, "y_pred": masks[::-1]},
                   {"y_pred": masks, "blend": False, "alpha": 0.4, "ignore_index": 1}]:
        viz.plot_segmentation_mask_gallery(images, 4, show=False, **kwargs)
        ours = plt.gcf()
        keras.visualization.plot_segmentation_mask_gallery(images, 4, show=False, **kwargs)
        theirs = plt.gcf()
        assert_same_figure(ours, theirs)
        assert len(ours.axes) == 2 * (1 + len([k for k in kwargs if k.startswith("y_")]))
        plt.close("all")
    with pytest.raises(ValueError, match="batched"):
        viz.plot_segmentation_mask_gallery(images[0], 4, y_true=masks[0], show=False)
