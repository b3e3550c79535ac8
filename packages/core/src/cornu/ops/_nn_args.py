"""Argument checks and size arithmetic of ``cornu.ops.nn``, shared by the backends.

Plain Python only (no framework import): the backends pass static shapes in
(tuples, ``None`` entries unknown; ``None`` for an unknown rank) and do the
tensor work themselves.
"""
from cornu import config
from cornu.ops._args import shape_text, standardize_tuple


def check_padding(padding):
    """``padding`` lower-cased, after checking it is ``"valid"`` or ``"same"``."""
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', received {padding!r}")
    return padding


def spatial_rank(name, shape):
    """The number of spatial dims (1, 2 or 3) of a batched, channelled input."""
    n = None if shape is None else len(shape) - 2
    if n not in (1, 2, 3):
        raise ValueError(
            f"{name}: inputs must have rank 3, 4 or 5 (1D, 2D or 3D with batch and "
            f"channels), received shape {shape_text(shape)}"
        )
    return n


def conv_args(name, shape, strides, padding, data_format, dilation_rate):
    """A convolution's ``(n, data_format, padding, strides, dilation)``, checked."""
    n = spatial_rank(name, shape)
    data_format = config.standardize_data_format(data_format)
    padding = check_padding(padding)
    strides = standardize_tuple(strides, n, "strides")
    dilation = standardize_tuple(dilation_rate, n, "dilation_rate")
    return n, data_format, padding, strides, dilation


def pool_args(name, shape, pool_size, strides, padding, data_format):
    """A pooling's ``(n, pool_size, strides, padding, data_format)``, checked; the
    strides default to the pool size."""
    n = spatial_rank(name, shape)
    pool_size = standardize_tuple(pool_size, n, "pool_size")
    strides = pool_size if strides is None else standardize_tuple(strides, n, "strides")
    data_format = config.standardize_data_format(data_format)
    padding = check_padding(padding)
    return n, pool_size, strides, padding, data_format


def conv_groups(in_channels, kernel_shape):
    """The number of groups of a ``conv`` whose Keras-layout kernel
    ``(*spatial, in_channels / groups, out_channels)`` meets ``in_channels``."""
    kernel_in = kernel_shape[-2]
    if in_channels is None or in_channels % kernel_in:
        raise ValueError(
            f"conv: the input channels ({in_channels}) must be a multiple of the "
            f"kernel's input channels ({kernel_in}); kernel shape {tuple(kernel_shape)}"
        )
    groups = in_channels // kernel_in
    if kernel_shape[-1] % groups:
        raise ValueError(
            f"conv: with {groups} groups ({in_channels} input channels, kernel input "
            f"channels {kernel_in}) the kernel's output channels ({kernel_shape[-1]}) must "
            f"be a multiple of {groups}; kernel shape {tuple(kernel_shape)}"
        )
    return groups


def conv_transpose_pads(k, s, d, padding, output_padding):
    """(left, right) padding of the stride-dilated input (the JAX/TF definition)."""
    k_eff = (k - 1) * d + 1
    if padding == "valid":
        op = max(k_eff, s) - k_eff if output_padding is None else output_padding
        return k_eff - 1, k_eff - 1 + op
    if output_padding is None:
        pad_len = s + k_eff - 2
    else:
        pad_len = k_eff + k_eff % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, k_eff - 1)
    return left, pad_len - left


def check_same_shape(name, target_shape, output_shape):
    """A loss's ``target`` and ``output`` static shapes agree (unknown dims match any)."""
    if target_shape is None or output_shape is None:
        if target_shape is None and output_shape is None:
            return
    elif len(target_shape) == len(output_shape) and all(
        a is None or b is None or a == b for a, b in zip(target_shape, output_shape)
    ):
        return
    raise ValueError(
        f"{name}: `target` and `output` must have the same shape, received "
        f"target.shape={shape_text(target_shape)}, output.shape={shape_text(output_shape)}"
    )


def label_error(name, num_classes):
    """The error message around a label outside ``[0, num_classes)``: ``(before, after)``."""
    return (
        f"{name}: received a label value of",
        f", outside the valid range [0, {num_classes}) for {num_classes} classes (the size "
        "of the class axis of `output`/`y_pred`). Labels must be class indices: check the "
        "labels and the number of output units, or pass `ignore_class` for a padding label.",
    )


def axes_list(axis, ndim):
    """``axis`` (an int or a sequence) as a sorted list of non-negative axes."""
    axes = [axis] if isinstance(axis, int) else list(axis)
    return sorted(a % ndim for a in axes)


def check_normalize_order(order):
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1, received {order!r}")
