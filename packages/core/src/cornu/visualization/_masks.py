"""``draw_segmentation_masks`` and ``plot_segmentation_mask_gallery`` (Keras's semantics)."""
import numpy as np

from cornu import config, ops
from cornu.visualization._gallery import plot_image_gallery

__all__ = ["draw_segmentation_masks", "plot_segmentation_mask_gallery"]


def _generate_color_palette(num_classes):
    palette = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * palette) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(images, segmentation_masks, num_classes=None,
                            color_mapping=None, alpha=0.8, blend=True, ignore_index=-1,
                            data_format=None):
    """Overlays segmentation masks on a batch of images.

    Args:
        images: ``(batch, height, width, channels)`` images (channels first for
            ``data_format="channels_first"``).
        segmentation_masks: integer class ids, ``(batch, height, width, 1)`` (channels
            first: ``(batch, 1, height, width)``) or ``(batch, height, width)``.
        num_classes: the number of classes: ids ``0 .. num_classes - 1`` are coloured
            (ids outside that range are not).  None: the largest id in the masks (as in
            Keras, whose colours then stop one short of it).
        color_mapping: class id -> RGB colour for ids ``0 .. num_classes - 1``.  None: a
            fixed palette.
        alpha: the opacity of the colours when blending (0.8).
        blend: blend the colours with the images (``image * (1 - alpha) + colour *
            alpha``, as uint8); False paints them over the images (float32).
        ignore_index: the id whose pixels keep the image when blending (-1).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the
            configured image data format).

    Returns:
        A numpy array of the images with the masks drawn, channels last (as Keras):
        uint8 when blending, float32 otherwise.

    Raises:
        ValueError: for images that are not a batch (rank 4).
        TypeError: for masks of a non-integer dtype.
    """
    data_format = config.standardize_data_format(data_format)
    images_shape = ops.shape(images)
    if len(images_shape) != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images_shape}"
        )
    segmentation_masks = ops.convert_to_tensor(segmentation_masks)
    if len(ops.shape(segmentation_masks)) == 3:  # (batch, height, width)
        segmentation_masks = ops.expand_dims(
            segmentation_masks, 1 if data_format == "channels_first" else -1)
    if data_format == "channels_first":
        images = ops.transpose(images, (0, 2, 3, 1))
        segmentation_masks = ops.transpose(segmentation_masks, (0, 2, 3, 1))
    images = ops.convert_to_tensor(images, dtype="float32")
    dtype = ops.standardize_dtype(segmentation_masks.dtype)
    if not (dtype.startswith("int") or dtype.startswith("uint")):
        raise TypeError(
            "`segmentation_masks` must be in integer dtype. "
            f"Received: segmentation_masks.dtype={dtype}"
        )
    masks = np.asarray(ops.convert_to_numpy(segmentation_masks))[..., 0]  # (b, h, w)
    if num_classes is None:
        num_classes = int(masks.max())
    if color_mapping is None:
        colors = _generate_color_palette(num_classes)
    else:
        colors = [color_mapping[i] for i in range(num_classes)]

    # Paint every pixel of class i with colour i.
    painted = np.array(ops.convert_to_numpy(images), copy=True)
    for i, color in enumerate(colors):
        painted[masks == i, ...] = np.array(color, dtype=painted.dtype)[None, :]
    outputs = ops.cast(ops.convert_to_tensor(painted), "float32")
    if blend:
        valid = ops.convert_to_tensor((masks != ignore_index)[..., None])
        outputs = images * (1 - alpha) + outputs * alpha
        outputs = ops.where(valid, outputs, images)
        outputs = ops.cast(outputs, dtype="uint8")
    return np.asarray(ops.convert_to_numpy(outputs))


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None,
                                   y_pred=None, color_mapping=None, blend=True, alpha=0.8,
                                   ignore_index=-1, data_format=None, **kwargs):
    """Plots each image next to its ground-truth and/or predicted masks, one row each.

    Args:
        images: ``(batch, height, width, channels)`` images (channels first for
            ``data_format="channels_first"``).
        num_classes: the number of classes (see ``draw_segmentation_masks``).
        value_range: the value range of the images (``(0, 255)``).
        y_true: the ground-truth masks, as for ``draw_segmentation_masks``.
        y_pred: the predicted masks, likewise.
        color_mapping: class id -> RGB colour (default: a fixed palette).
        blend: blend the masks with the images (True).
        alpha: the opacity of the masks (0.8).
        ignore_index: the class id not drawn (-1).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the
            configured image data format).
        **kwargs: passed on to ``plot_image_gallery`` (``scale``, ``path``, ``show``...).

    Raises:
        ValueError: for images that are not a batch (rank 4).
        ImportError: if matplotlib is not installed.
    """
    data_format = config.standardize_data_format(data_format)
    image_shape = ops.shape(images)
    if len(image_shape) != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={image_shape}"
        )
    if data_format == "channels_first":
        images = ops.transpose(images, (0, 2, 3, 1))
    batch_size = image_shape[0]
    rows = batch_size
    cols = 1 + (y_true is not None) + (y_pred is not None)
    images_np = np.asarray(ops.convert_to_numpy(images))

    def draw(masks):
        masks = ops.convert_to_tensor(masks)
        if data_format == "channels_first":
            if len(ops.shape(masks)) == 3:
                masks = ops.expand_dims(masks, 1)
            masks = ops.transpose(masks, (0, 2, 3, 1))
        return draw_segmentation_masks(
            images_np, ops.cast(masks, "int32"), num_classes=num_classes,
            color_mapping=color_mapping, alpha=alpha, blend=blend,
            ignore_index=ignore_index, data_format="channels_last")

    true_drawn = draw(y_true) if y_true is not None else None
    pred_drawn = draw(y_pred) if y_pred is not None else None
    gallery = []
    for i in range(batch_size):
        gallery.append(images_np[i])
        if true_drawn is not None:
            gallery.append(true_drawn[i])
        if pred_drawn is not None:
            gallery.append(pred_drawn[i])
    return plot_image_gallery(np.stack(gallery, axis=0), value_range=value_range,
                              rows=rows, cols=cols, data_format="channels_last", **kwargs)
