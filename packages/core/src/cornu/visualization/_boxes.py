"""``draw_bounding_boxes`` and ``plot_bounding_box_gallery`` (Keras's semantics).

The boxes and labels are drawn with OpenCV (``cv2.rectangle`` and ``cv2.putText``, as
Keras does), imported on first use: ``pip install opencv-python-headless`` (or
``opencv-python``).  The gallery is drawn with matplotlib.
"""
import numpy as np

from cornu import config, ops
from cornu.utils.bounding_boxes import convert_format
from cornu.visualization._gallery import plot_image_gallery

__all__ = ["draw_bounding_boxes", "plot_bounding_box_gallery"]


def _import_cv2():
    try:
        import cv2
    except ImportError:
        raise ImportError(
            "cornu.visualization.draw_bounding_boxes() draws with OpenCV (the `cv2` "
            "module), which is not installed: pip install opencv-python-headless "
            "(or opencv-python)"
        ) from None
    return cv2


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None,
                        color=(128, 128, 128), line_thickness=2, text_thickness=1,
                        font_scale=1.0, data_format=None):
    """Draws bounding boxes (and their class names) on a batch of images.

    Args:
        images: ``(batch, height, width, channels)`` images (``(batch, channels,
            height, width)`` for ``"channels_first"``), a tensor or array.  Float
            images whose maximum is at most 1 are taken as ``[0, 1]`` values.
        bounding_boxes: a dict with ``"boxes"`` ``(batch, num_boxes, 4)``, ``"labels"``
            ``(batch, num_boxes)`` (boxes labelled ``-1`` are not drawn) and optionally
            ``"confidences"`` ``(batch, num_boxes)`` (written after the class name).
        bounding_box_format: the format of the boxes (see
            ``cornu.utils.bounding_boxes.convert_format``).
        class_mapping: class id -> name; the boxes of the classes in it get their name
            written above them.  None: no text.
        color: the RGB colour of boxes and text.
        line_thickness: the thickness of the box lines (2).
        text_thickness: the thickness of the text (1; a false value takes
            ``line_thickness``).
        font_scale: the scale of the font (1.0).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the
            configured image data format).

    Returns:
        A uint8 numpy array of the annotated images, shaped as ``images``.

    Raises:
        ValueError: for images that are not a batch (rank 4), or a dict without
            ``"boxes"`` and ``"labels"``.
        TypeError: if ``bounding_boxes`` is not a dict.
        ImportError: if OpenCV is not installed.
    """
    cv2 = _import_cv2()
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = config.standardize_data_format(data_format)
    images_shape = ops.shape(images)
    if len(images_shape) != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images_shape}"
        )
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            "`bounding_boxes` should be a dict. "
            f"Received: bounding_boxes={bounding_boxes} of type {type(bounding_boxes)}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` should be a dict containing 'boxes' and "
            f"'labels' keys. Received: bounding_boxes={bounding_boxes}"
        )
    h_axis, w_axis = (-3, -2) if data_format == "channels_last" else (-2, -1)
    height, width = images_shape[h_axis], images_shape[w_axis]
    bounding_boxes = convert_format(dict(bounding_boxes), bounding_box_format, "xyxy",
                                    height, width)

    images = np.asarray(ops.convert_to_numpy(images))
    if images.dtype.kind == "f" and images.size > 0:
        if images.max() <= 1.0:
            images = np.clip(images, 0, 1) * 255
        else:
            images = np.clip(images, 0, 255)
    images = images.astype("uint8")
    if data_format == "channels_first":  # OpenCV draws on (height, width, channels)
        images = images.transpose(0, 2, 3, 1)
    images = np.ascontiguousarray(images)
    boxes = np.asarray(ops.convert_to_numpy(bounding_boxes["boxes"]))
    labels = np.asarray(ops.convert_to_numpy(bounding_boxes["labels"]))
    confidences = None
    if "confidences" in bounding_boxes:
        confidences = np.asarray(ops.convert_to_numpy(bounding_boxes["confidences"]))

    result = []
    for i in range(images.shape[0]):
        image = images[i]
        for box_i in range(boxes[i].shape[0]):
            x1, y1, x2, y2 = (int(v) for v in boxes[i][box_i].astype("int32"))
            c = int(labels[i][box_i].astype("int32"))
            if c == -1:
                continue
            cv2.rectangle(image, (x1, y1), (x2, y2), color, line_thickness)
            if c in class_mapping:
                label = class_mapping[c]
                if confidences is not None:
                    label = f"{label} | {confidences[i][box_i]:.2f}"
                font_x1, font_y1 = _find_text_location(x1, y1, font_scale, text_thickness)
                cv2.putText(img=image, text=label, org=(font_x1, font_y1),
                            fontFace=cv2.FONT_HERSHEY_SIMPLEX, fontScale=font_scale,
                            color=color, thickness=text_thickness)
        result.append(image)
    out = np.stack(result, axis=0)
    if data_format == "channels_first":
        out = out.transpose(0, 3, 1, 2)
    return out


def _find_text_location(x, y, font_scale, thickness):
    """Above the box's top-left corner, or inside the box when there is no room."""
    font_height = int(font_scale * 12)
    target_y = y - 8
    if target_y - (2 * font_height) > 0:
        return x, y - 8
    line_offset = thickness
    static_offset = 3
    return x + static_offset, y + (2 * font_height) + line_offset + static_offset


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None,
                              value_range=(0, 255), true_color=(0, 188, 212),
                              pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None,
                              ground_truth_mapping=None, prediction_mapping=None,
                              legend=False, legend_handles=None, rows=None, cols=None,
                              data_format=None, **kwargs):
    """Plots a gallery of images with their ground-truth and/or predicted boxes.

    Args:
        images: ``(batch, height, width, channels)`` images (channels first for
            ``data_format="channels_first"``).
        bounding_box_format: the format of the boxes.
        y_true: the ground-truth boxes, a dict as for ``draw_bounding_boxes``.
        y_pred: the predicted boxes, likewise.
        value_range: the value range of the images (``(0, 255)``).
        true_color: the RGB colour of the ground-truth boxes.
        pred_color: the RGB colour of the predicted boxes.
        line_thickness: the thickness of the box lines (2).
        font_scale: the scale of the label font (1.0).
        text_thickness: the thickness of the text (default: ``line_thickness``).
        class_mapping: class id -> name, for both sets of boxes.
        ground_truth_mapping: class id -> name for ``y_true`` (default
            ``class_mapping``).
        prediction_mapping: class id -> name for ``y_pred`` (default
            ``class_mapping``).
        legend: add a "Ground Truth" / "Prediction" legend.
        legend_handles: matplotlib handles for a legend of your own (not with
            ``legend=True``).
        rows: the rows of the gallery.
        cols: the columns of the gallery.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the
            configured image data format).
        **kwargs: passed on to ``plot_image_gallery`` (``scale``, ``path``, ``show``...).

    Raises:
        ValueError: for images that are not a batch, or both ``legend`` and
            ``legend_handles``.
        ImportError: if matplotlib (or, to draw boxes, OpenCV) is not installed.
    """
    try:
        from matplotlib import patches
    except ImportError:
        raise ImportError(
            "cornu.visualization.plot_bounding_box_gallery() needs matplotlib, which is "
            "not installed: pip install matplotlib"
        ) from None
    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    data_format = config.standardize_data_format(data_format)
    images_shape = ops.shape(images)
    if len(images_shape) != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images_shape}"
        )
    if data_format == "channels_first":
        images = ops.transpose(images, (0, 2, 3, 1))
    plotted_images = ops.convert_to_numpy(images)

    def draw(images, boxes, color, mapping):
        return draw_bounding_boxes(images, boxes, bounding_box_format=bounding_box_format,
                                   class_mapping=mapping, color=color,
                                   line_thickness=line_thickness,
                                   text_thickness=text_thickness, font_scale=font_scale,
                                   data_format="channels_last")

    if y_true is not None:
        plotted_images = draw(plotted_images, y_true, true_color, ground_truth_mapping)
    if y_pred is not None:
        plotted_images = draw(plotted_images, y_pred, pred_color, prediction_mapping)
    if legend:
        if legend_handles:
            raise ValueError(
                "Only pass `legend` OR `legend_handles` to "
                "`cornu.visualization.plot_bounding_box_gallery()`."
            )
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    return plot_image_gallery(plotted_images, value_range=value_range,
                              legend_handles=legend_handles, rows=rows, cols=cols,
                              data_format="channels_last", **kwargs)
