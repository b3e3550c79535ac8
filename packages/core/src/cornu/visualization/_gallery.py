"""``plot_image_gallery``: a grid of images with matplotlib (Keras's semantics)."""
import math

import numpy as np

from cornu import config, ops

__all__ = ["plot_image_gallery"]


def _import_pyplot(function):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            f"cornu.visualization.{function}() needs matplotlib, which is not installed: "
            "pip install matplotlib"
        ) from None
    return plt


def transform_value_range(images, original_range, target_range, dtype="float32"):
    """``images`` mapped linearly from ``original_range`` to ``target_range`` (as
    Keras's image preprocessing layers do); unchanged when the ranges are equal."""
    if original_range[0] == target_range[0] and original_range[1] == target_range[1]:
        return images
    images = ops.cast(images, dtype)
    original_min, original_max = (ops.cast(v, dtype) for v in original_range)
    target_min, target_max = (ops.cast(v, dtype) for v in target_range)
    images = (images - original_min) / (original_max - original_min)
    return images * (target_max - target_min) + target_min


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None,
                       cols=None, value_range=(0, 255), scale=2, path=None, show=None,
                       transparent=True, dpi=60, legend_handles=None, data_format=None):
    """Displays a gallery of images, optionally titled with their labels and predictions.

    Args:
        images: ``(batch, height, width, channels)`` images (channels first for
            ``data_format="channels_first"``).
        y_true: ``(batch,)`` class ids, written as "Label: <name>" above the images.
        y_pred: ``(batch,)`` predicted class ids, written as "Pred: <name>".
        label_map: class id -> name; required with ``y_true`` or ``y_pred`` (an id not
            in it is "Unknown").
        rows: the rows of the grid (default ``ceil(sqrt(batch))``).
        cols: the columns of the grid (default ``batch // rows``).  Only the first
            ``rows * cols`` images are shown.
        value_range: the value range of the images (``(0, 255)``); they are mapped to
            ``[0, 255]`` and shown as uint8.
        scale: the size of each image, in inches (2).
        path: save the figure there (and close it) instead of showing it.
        show: ``plt.show()`` the figure (default: when ``path`` is None).  With
            ``show=False`` and no ``path`` the figure stays open (``plt.gcf()``).
        transparent: save with a transparent background (True).
        dpi: the resolution of the saved figure (60).
        legend_handles: matplotlib handles for a legend at the bottom.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the
            configured image data format).

    Raises:
        ValueError: for both ``path`` and ``show``, labels without ``label_map``, or
            images that are not a batch (rank 4).
        ImportError: if matplotlib is not installed.
    """
    plt = _import_pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError(
            "plot_gallery() expects either `path` to be set, or `show` to be true."
        )
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(
            "If `y_true` or `y_pred` are provided, a `label_map` must also be provided."
        )
    show = show if show is not None else (path is None)
    data_format = config.standardize_data_format(data_format)

    images_shape = ops.shape(images)
    batch_size = images_shape[0] if len(images_shape) == 4 else 1
    rows = rows or int(math.ceil(math.sqrt(batch_size)))
    cols = cols or int(math.ceil(batch_size // rows))
    num_images = rows * cols
    if len(images_shape) != 4:
        raise ValueError(
            "`plot_images_gallery()` requires you to batch your `np.array` samples "
            "together."
        )
    images = images[:min(num_images, batch_size), ...]
    if data_format == "channels_first":
        images = ops.transpose(images, (0, 2, 3, 1))

    fig, axes = plt.subplots(nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale),
                             frameon=False, layout="tight", squeeze=True, sharex="row",
                             sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    if isinstance(axes, np.ndarray) and len(axes.shape) == 1:
        axes = np.expand_dims(axes, 0 if rows == 1 else -1)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")

    images = transform_value_range(images, original_range=value_range,
                                   target_range=(0, 255))
    images = np.asarray(ops.convert_to_numpy(images))
    if y_true is not None:
        y_true = np.asarray(ops.convert_to_numpy(y_true))
    if y_pred is not None:
        y_pred = np.asarray(ops.convert_to_numpy(y_pred))

    for row in range(rows):
        for col in range(cols):
            index = row * cols + col
            axis = axes[row, col] if isinstance(axes, np.ndarray) else axes
            if index >= len(images):  # a grid larger than the batch: blank cells
                axis.axis("off")
                continue
            axis.imshow(images[index].astype("uint8"))
            axis.margins(x=0, y=0)
            axis.axis("off")
            title_parts = []
            if y_true is not None and index < len(y_true):
                title_parts.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
            if y_pred is not None and index < len(y_pred):
                title_parts.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
            if title_parts:
                axis.set_title("  ".join(title_parts), fontsize=8)

    if path is not None:
        plt.savefig(fname=path, pad_inches=0, bbox_inches="tight", transparent=transparent,
                    dpi=dpi)
        plt.close()
    elif show:
        plt.show()
        plt.close()
