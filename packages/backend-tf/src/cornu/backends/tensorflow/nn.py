"""``cornu.ops.nn`` on TensorFlow: activations, convolutions, pooling, losses.

Kernels use the Keras layout ``(*spatial, in_channels / groups, out_channels)``;
inputs are ``channels_last`` unless ``data_format="channels_first"`` (computed
in channels_last on CPU, where TensorFlow lacks most NCHW kernels).
"""
import math as _pymath

import tensorflow as tf

from cornu import config
from cornu.backends.tensorflow._utils import (
    dtype_of,
    dynamic_shape,
    epsilon,
    floatx,
    has_gpu,
    index_tensor,
    promote,
    standardize_tuple,
    static_shape,
    to_float,
    to_tensor,
    to_tf_dtype,
)
from cornu.ops.toolkit import nn_args as _args

_tensor = to_tensor


# -- activations ----------------------------------------------------------------
def _int_or_float(x):
    x = _tensor(x)
    return tf.cast(x, to_tf_dtype(floatx())) if x.dtype == tf.bool else x


def relu(x):
    return tf.nn.relu(_int_or_float(x))


def relu6(x):
    x = _int_or_float(x)
    if x.dtype.is_floating:
        return tf.nn.relu6(x)
    return tf.clip_by_value(x, tf.cast(0, x.dtype), tf.cast(6, x.dtype))


def sigmoid(x):
    return tf.sigmoid(to_float(x))


def sparse_sigmoid(x):
    x = to_float(x)
    return tf.clip_by_value(0.5 * (x + 1.0), 0.0, 1.0)


def tanh(x):
    return tf.tanh(to_float(x))


def tanh_shrink(x):
    x = to_float(x)
    return x - tf.tanh(x)


def softplus(x):
    return tf.nn.softplus(to_float(x))


def softsign(x):
    return tf.nn.softsign(to_float(x))


def soft_shrink(x, threshold=0.5):
    x = to_float(x)
    t = tf.cast(threshold, x.dtype)
    return tf.where(x > t, x - t, tf.where(x < -t, x + t, tf.zeros_like(x)))


def sparse_plus(x):
    x = to_float(x)
    return tf.where(x <= -1, tf.zeros_like(x), tf.where(x < 1, 0.25 * tf.square(x + 1), x))


def silu(x):
    return tf.nn.silu(to_float(x))


swish = silu


def squareplus(x, b=4):
    x = to_float(x)
    return 0.5 * (x + tf.sqrt(tf.square(x) + tf.cast(b, x.dtype)))


def log_sigmoid(x):
    return tf.math.log_sigmoid(to_float(x))


def leaky_relu(x, negative_slope=0.2):
    return tf.nn.leaky_relu(to_float(x), alpha=negative_slope)


def hard_sigmoid(x):
    x = to_float(x)
    return tf.nn.relu6(x + 3.0) / 6.0


def hard_silu(x):
    x = to_float(x)
    return x * (tf.nn.relu6(x + 3.0) / 6.0)


hard_swish = hard_silu


def elu(x, alpha=1.0):
    x = to_float(x)
    if alpha == 1.0:
        return tf.nn.elu(x)
    return tf.where(x > 0, x, tf.cast(alpha, x.dtype) * tf.math.expm1(x))


def selu(x):
    return tf.nn.selu(to_float(x))


def gelu(x, approximate=True):
    return tf.nn.gelu(to_float(x), approximate=approximate)


def celu(x, alpha=1.0):
    x = to_float(x)
    a = tf.cast(alpha, x.dtype)
    return tf.maximum(x, 0.0) + tf.minimum(0.0, a * tf.math.expm1(x / a))


def glu(x, axis=-1):
    x = to_float(x)
    if x.shape[axis] is not None and x.shape[axis] % 2:
        raise ValueError(f"glu: axis {axis} must have an even size, received shape {x.shape}")
    a, b = tf.split(x, 2, axis=axis)
    return a * tf.sigmoid(b)


def hard_tanh(x):
    return tf.clip_by_value(to_float(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    x = to_float(x)
    return tf.where(tf.abs(x) > threshold, x, tf.zeros_like(x))


def threshold(x, threshold, default_value):
    x = to_float(x)
    return tf.where(x > threshold, x, tf.cast(default_value, x.dtype))


def softmax(x, axis=-1):
    x = to_float(x)
    if axis is None or isinstance(axis, (tuple, list)):
        axes = list(range(x.shape.rank)) if axis is None else list(axis)
        if len(axes) == 1:
            return tf.nn.softmax(x, axis=axes[0])
        e = tf.exp(x - tf.stop_gradient(tf.reduce_max(x, axis=axes, keepdims=True)))
        return e / tf.reduce_sum(e, axis=axes, keepdims=True)
    out = tf.nn.softmax(x, axis=axis)
    # Remember the logits, so a crossentropy on these probabilities can use the fused,
    # more accurate log-softmax (as Keras's TensorFlow backend does).
    try:
        out._cornu_logits = (x, axis % x.shape.rank)
    except AttributeError:  # eager tensors take no attributes: nothing to remember
        pass
    return out


def _softmax_logits(output, axis):
    """The logits ``output`` was computed from by ``softmax`` over ``axis``, or None."""
    logits = getattr(output, "_cornu_logits", None)
    if logits is not None and logits[1] == axis % output.shape.rank:
        return logits[0]
    return None


def log_softmax(x, axis=-1):
    x = to_float(x)
    if axis is None or isinstance(axis, (tuple, list)):
        axes = list(range(x.shape.rank)) if axis is None else list(axis)
        if len(axes) == 1:
            return tf.nn.log_softmax(x, axis=axes[0])
        m = tf.stop_gradient(tf.reduce_max(x, axis=axes, keepdims=True))
        return x - m - tf.math.log(tf.reduce_sum(tf.exp(x - m), axis=axes, keepdims=True))
    return tf.nn.log_softmax(x, axis=axis)


def sparsemax(x, axis=-1):
    x = to_float(x)
    r = x.shape.rank
    axis = axis % r
    perm = [d for d in range(r) if d != axis] + [axis]
    inv = [perm.index(d) for d in range(r)]
    z = tf.transpose(x, perm)
    zs = tf.sort(z, axis=-1, direction="DESCENDING")
    n = tf.shape(z)[-1]
    k = tf.cast(tf.range(1, n + 1), z.dtype)
    cs = tf.cumsum(zs, axis=-1)
    support = tf.cast((1 + k * zs) > cs, tf.int32)
    k_z = tf.reduce_sum(support, axis=-1, keepdims=True)
    tau = (tf.gather(cs, k_z - 1, batch_dims=r - 1) - 1) / tf.cast(k_z, z.dtype)
    return tf.transpose(tf.maximum(z - tau, 0.0), inv)


# -- helpers for spatial ops ---------------------------------------------------------
def _data_format(data_format):
    return config.standardize_data_format(data_format)


def _to_channels_last(x):
    r = x.shape.rank
    return tf.transpose(x, [0] + list(range(2, r)) + [1])


def _to_channels_first(x):
    r = x.shape.rank
    return tf.transpose(x, [0, r - 1] + list(range(1, r - 1)))


def _spatial_rank(x, name):
    return _args.spatial_rank(name, static_shape(x))


def _same_pads(sizes, kernel, strides, dilation):
    """TF 'same' padding: a [before, after] pair per spatial dim (ints or tensors)."""
    pads = []
    for n, k, s, d in zip(sizes, kernel, strides, dilation):
        k_eff = (k - 1) * d + 1
        out = (n + s - 1) // s
        if isinstance(n, int):
            total = max((out - 1) * s + k_eff - n, 0)
        else:
            total = tf.maximum((out - 1) * s + k_eff - n, 0)
        pads.append([total // 2, total - total // 2])
    return pads


def _strided_slice_spatial(x, strides):
    """x[:, ::s1, ::s2, ..., :] (channels_last)."""
    idx = (slice(None),) + tuple(slice(None, None, s) for s in strides) + (slice(None),)
    return x[idx]


# -- convolution ------------------------------------------------------------------------
def _conv_cl(x, kernel, strides, padding, dilation):
    """Channels-last convolution (no groups), TF padding semantics."""
    n = x.shape.rank - 2
    if any(s > 1 for s in strides) and any(d > 1 for d in dilation):
        # TF does not support strides and dilations together: pad explicitly,
        # run a stride-1 dilated conv and subsample.
        if padding == "same":
            pads = _same_pads(dynamic_shape(x)[1:-1], kernel.shape[:n], strides, dilation)
            x = tf.pad(x, [[0, 0]] + pads + [[0, 0]])
        out = tf.nn.convolution(x, kernel, 1, "VALID", dilations=dilation)
        return _strided_slice_spatial(out, strides)
    return tf.nn.convolution(x, kernel, strides, padding.upper(), dilations=dilation)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x = _tensor(inputs)
    kernel = _tensor(kernel)
    x, kernel = promote(x, kernel)
    n, data_format, padding, strides, dilation = _args.conv_args(
        "conv", static_shape(x), strides, padding, data_format, dilation_rate)
    if data_format == "channels_first":
        x = _to_channels_last(x)
    groups = _args.conv_groups(x.shape[-1], tuple(kernel.shape))
    kernel_in = kernel.shape[-2]
    if groups > 1 and kernel_in == 1 and n in (1, 2) and not has_gpu():
        # One input channel per group (ConvNeXt's Conv2D(groups=channels)) is a depthwise
        # convolution: output channel g*m + j reads channel g, so the kernel reshapes to
        # depthwise (..., channels, m) as it is.  One op, instead of one conv per group.
        mult = kernel.shape[-1] // groups
        k = tf.reshape(kernel, list(kernel.shape[:n]) + [groups, mult])
        out = depthwise_conv(x, k, strides, padding, "channels_last", dilation)
    elif groups > 1 and not has_gpu():
        # Grouped convolutions have no CPU kernel: run one conv per group.
        xs = tf.split(x, groups, axis=-1)
        ks = tf.split(kernel, groups, axis=-1)
        out = tf.concat(
            [_conv_cl(a, b, strides, padding, dilation) for a, b in zip(xs, ks)], axis=-1
        )
    else:
        out = _conv_cl(x, kernel, strides, padding, dilation)
    if data_format == "channels_first":
        out = _to_channels_first(out)
    return out


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x = _tensor(inputs)
    kernel = _tensor(kernel)
    x, kernel = promote(x, kernel)
    n, data_format, padding, strides, dilation = _args.conv_args(
        "depthwise_conv", static_shape(x), strides, padding, data_format, dilation_rate)
    if data_format == "channels_first":
        x = _to_channels_last(x)
    if n == 3:
        in_channels, mult = kernel.shape[-2], kernel.shape[-1]
        k = tf.reshape(kernel, list(kernel.shape[:3]) + [1, in_channels * mult])
        out = conv(x, k, strides, padding, "channels_last", dilation)
    else:
        if n == 1:
            x = tf.expand_dims(x, 1)
            kernel = tf.expand_dims(kernel, 0)
            strides, dilation = (1,) + strides, (1,) + dilation
        if any(s > 1 for s in strides) and any(d > 1 for d in dilation):
            if padding == "same":
                pads = _same_pads(dynamic_shape(x)[1:-1], kernel.shape[:2], strides, dilation)
                x = tf.pad(x, [[0, 0]] + pads + [[0, 0]])
            out = tf.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "VALID", dilations=dilation)
            out = _strided_slice_spatial(out, strides)
        else:
            out = tf.nn.depthwise_conv2d(
                x, kernel, [1, *strides, 1], padding.upper(), dilations=dilation
            )
        if n == 1:
            out = tf.squeeze(out, 1)
    if data_format == "channels_first":
        out = _to_channels_first(out)
    return out


def separable_conv(
    inputs,
    depthwise_kernel,
    pointwise_kernel,
    strides=1,
    padding="valid",
    data_format=None,
    dilation_rate=1,
):
    out = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(out, pointwise_kernel, 1, "valid", data_format, 1)


def _dilate_kernel(kernel, dilation):
    """Insert zeros between kernel taps (spatial dims first)."""
    for i, d in enumerate(dilation):
        if d == 1:
            continue
        k = kernel.shape[i]
        # interleave d-1 zero slices after every tap but the last
        kernel = tf.expand_dims(kernel, i + 1)
        zeros_shape = list(kernel.shape)
        zeros_shape[i + 1] = d - 1
        kernel = tf.concat([kernel, tf.zeros(zeros_shape, kernel.dtype)], axis=i + 1)
        new_shape = list(kernel.shape)
        new_shape[i:i + 2] = [k * d]
        kernel = tf.reshape(kernel, new_shape)
        kernel = tf.gather(kernel, tf.range((k - 1) * d + 1), axis=i)
    return kernel


def conv_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    """Transposed convolution; ``kernel`` is ``(*spatial, out_channels, in_channels)``."""
    x = _tensor(inputs)
    kernel = _tensor(kernel)
    x, kernel = promote(x, kernel)
    n, data_format, padding, strides, dilation = _args.conv_args(
        "conv_transpose", static_shape(x), strides, padding, data_format, dilation_rate)
    if output_padding is not None:
        output_padding = standardize_tuple(output_padding, n, "output_padding")
    if data_format == "channels_first":
        x = _to_channels_last(x)
    ksize = [int(k) for k in kernel.shape[:n]]
    kernel = _dilate_kernel(kernel, dilation)
    k_eff = [(k - 1) * d + 1 for k, d in zip(ksize, dilation)]
    xs = dynamic_shape(x)
    natural = [(xs[1 + i] - 1) * strides[i] + k_eff[i] for i in range(n)]
    out_shape = tf.stack(
        [tf.cast(d, tf.int32) for d in [xs[0]] + natural + [kernel.shape[-2]]]
    )
    out = tf.nn.conv_transpose(x, kernel, out_shape, [1, *strides, 1], "VALID")
    # Crop (or zero-extend) each side of the natural output to the Keras window.
    slices, pads = [slice(None)], [[0, 0]]
    for i in range(n):
        left, right = _args.conv_transpose_pads(
            ksize[i], strides[i], dilation[i], padding,
            None if output_padding is None else output_padding[i],
        )
        cl, cr = k_eff[i] - 1 - left, k_eff[i] - 1 - right
        slices.append(slice(max(cl, 0), None if cr <= 0 else -cr))
        pads.append([max(-cl, 0), max(-cr, 0)])
    slices.append(slice(None))
    pads.append([0, 0])
    out = out[tuple(slices)]
    if any(p != [0, 0] for p in pads):
        out = tf.pad(out, pads)
    if data_format == "channels_first":
        out = _to_channels_first(out)
    return out


# -- pooling -----------------------------------------------------------------------------
def _pool(x, pool_size, strides, padding, data_format, name, fn):
    n, pool_size, strides, padding, data_format = _args.pool_args(
        name, static_shape(x), pool_size, strides, padding, data_format)
    if data_format == "channels_first":
        x = _to_channels_last(x)
    out = fn(x, pool_size, strides, padding.upper())
    if data_format == "channels_first":
        out = _to_channels_first(out)
    return out


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x = _tensor(inputs)
    dtype = x.dtype
    if not dtype.is_floating:
        x = tf.cast(x, tf.float64 if dtype.size > 2 else tf.float32)
    out = _pool(x, pool_size, strides, padding, data_format, "max_pool", tf.nn.max_pool)
    return out if out.dtype == dtype else tf.cast(out, dtype)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x = to_float(inputs)
    return _pool(x, pool_size, strides, padding, data_format, "average_pool", tf.nn.avg_pool)


def _adaptive_bounds(in_size, out_size):
    starts = [(i * in_size) // out_size for i in range(out_size)]
    ends = [-(-((i + 1) * in_size) // out_size) for i in range(out_size)]
    return starts, ends


def _adaptive(x, output_size, data_format, reduce_fn, name):
    n = _spatial_rank(x, name)
    data_format = _data_format(data_format)
    output_size = standardize_tuple(output_size, n, "output_size")
    if data_format == "channels_first":
        x = _to_channels_last(x)
    for i in range(n):
        axis = 1 + i
        in_size = x.shape[axis]
        starts, ends = _adaptive_bounds(in_size, output_size[i])
        parts = []
        for s, e in zip(starts, ends):
            sl = [slice(None)] * x.shape.rank
            sl[axis] = slice(s, e)
            parts.append(reduce_fn(x[tuple(sl)], axis=axis, keepdims=True))
        x = tf.concat(parts, axis=axis)
    if data_format == "channels_first":
        x = _to_channels_first(x)
    return x


def adaptive_average_pool(inputs, output_size, data_format=None):
    return _adaptive(to_float(inputs), output_size, data_format, tf.reduce_mean, "adaptive_average_pool")


def adaptive_max_pool(inputs, output_size, data_format=None):
    return _adaptive(_tensor(inputs), output_size, data_format, tf.reduce_max, "adaptive_max_pool")


# -- one-hot ---------------------------------------------------------------------------
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported")
    x = index_tensor(x)
    return tf.one_hot(x, num_classes, axis=axis, dtype=to_tf_dtype(dtype or floatx()))


def multi_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    x = _tensor(x)
    reduction_axis = 1 if x.shape.rank > 1 else 0
    out = tf.reduce_max(one_hot(x, num_classes, axis=-1, dtype="int32"), axis=reduction_axis)
    if axis != -1 and axis != out.shape.rank - 1:
        r = out.shape.rank
        perm = list(range(r - 1))
        perm.insert(axis % r, r - 1)
        out = tf.transpose(out, perm)
    return tf.cast(out, to_tf_dtype(dtype or floatx()))


# -- losses -------------------------------------------------------------------------------
def _check_same_shape(target, output, name):
    _args.check_same_shape(name, static_shape(target), static_shape(output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = to_float(output)
    target = _tensor(target, dtype_of(output))
    if target.shape.rank < 1:
        raise ValueError(
            "categorical_crossentropy: `target` and `output` must be at least rank 1, "
            f"received target.shape={target.shape}"
        )
    _check_same_shape(target, output, "categorical_crossentropy")
    logits = None if from_logits else _softmax_logits(output, axis)
    if logits is not None:
        output, from_logits = logits, True
    if from_logits:
        log_prob = tf.nn.log_softmax(output, axis=axis)
    else:
        output = output / tf.reduce_sum(output, axis=axis, keepdims=True)
        output = tf.clip_by_value(output, epsilon(), 1.0 - epsilon())
        log_prob = tf.math.log(output)
    return -tf.reduce_sum(target * log_prob, axis=axis)


def _check_sparse_labels(target, num_classes, name):
    """``target``, checked to hold labels in ``[0, num_classes)``.

    Eagerly a bad label raises a ValueError naming ``name``, the number of
    classes and the label; inside a ``tf.function`` a ``tf.debugging.Assert``
    with the same message guards the returned tensor (an ``InvalidArgumentError``
    when the step runs).  The cost is one min and one max reduction.
    """
    if tf.executing_eagerly():
        if tf.size(target) == 0:
            return target
        low, high = int(tf.reduce_min(target)), int(tf.reduce_max(target))
        n = int(num_classes)
        if low < 0 or high >= n:
            head, tail = _args.label_error(name, n)
            raise ValueError(f"{head} {low if low < 0 else high}{tail}")
        return target
    low = tf.reduce_min(target)
    high = tf.reduce_max(target)
    valid = tf.logical_and(low >= 0, high < tf.cast(num_classes, target.dtype))
    bad = tf.where(low < 0, low, high)
    if isinstance(num_classes, int):
        data = [*_args.label_error(name, num_classes)]
        data.insert(1, bad)
    else:  # a dynamic class axis: its size is printed as data too
        head, tail = _args.label_error(name, "n")
        data = [head, bad, tail, "n =", num_classes]
    check = tf.debugging.Assert(valid, data, summarize=1)
    with tf.control_dependencies([check]):
        return tf.identity(target)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = to_float(output)
    target = _tensor(target)
    r = output.shape.rank
    if r < 1:
        raise ValueError(
            "sparse_categorical_crossentropy: `output` must be at least rank 1, "
            f"received output.shape={output.shape}"
        )
    axis = axis % r
    if target.shape.rank == r and target.shape[axis] == 1:
        target = tf.squeeze(target, axis=axis)
    if target.shape.rank != r - 1:
        raise ValueError(
            "sparse_categorical_crossentropy: `target` must have rank `output.ndim - 1`, "
            f"received target.shape={target.shape}, output.shape={output.shape}"
        )
    num_classes = output.shape[axis] or tf.shape(output)[axis]
    target = _check_sparse_labels(index_tensor(target), num_classes,
                                  "sparse_categorical_crossentropy")
    logits = None if from_logits else _softmax_logits(output, axis)
    if logits is not None:
        output, from_logits = logits, True
    if axis != r - 1:
        perm = [d for d in range(r) if d != axis] + [axis]
        output = tf.transpose(output, perm)
    if from_logits:
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)
    output = output / tf.reduce_sum(output, axis=-1, keepdims=True)
    output = tf.clip_by_value(output, epsilon(), 1.0 - epsilon())
    log_prob = tf.math.log(output)
    picked = tf.gather(log_prob, tf.expand_dims(target, -1), batch_dims=r - 1)
    return -tf.squeeze(picked, -1)


def binary_crossentropy(target, output, from_logits=False):
    output = to_float(output)
    target = _tensor(target, dtype_of(output))
    _check_same_shape(target, output, "binary_crossentropy")
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    output = tf.clip_by_value(output, epsilon(), 1.0 - epsilon())
    return -(target * tf.math.log(output) + (1.0 - target) * tf.math.log(1.0 - output))


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist temporal classification loss, one value per sample.

    Args:
        target: ``(batch, max_target_length)`` integer labels, padded after
            ``target_length``; they must not contain ``mask_index``.
        output: ``(batch, max_output_length, num_classes)`` logits (not softmaxed).
        target_length: ``(batch,)`` the number of labels of each sample.
        output_length: ``(batch,)`` the number of valid time steps of each sample.
        mask_index: the blank class (default 0).
    Returns:
        ``(batch,)`` negative log-likelihoods, in ``output``'s dtype promoted to at
        least float32.  ``tf.nn.ctc_loss`` computes in float32 (float64 inputs too),
        and gives a large finite value (hundreds) where no alignment is possible,
        where the torch backend gives ``inf`` (as Keras 3 on each framework).
    """
    output = to_float(output)
    target = _tensor(target)
    if output.shape.rank != 3 or target.shape.rank != 2:
        raise ValueError(
            "ctc_loss: expected `target` of shape (batch, max_target_length) and `output` of "
            "shape (batch, max_output_length, num_classes), received "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    result_dtype = tf.float32 if output.dtype in (tf.float16, tf.bfloat16) else output.dtype
    loss = tf.nn.ctc_loss(
        labels=tf.cast(target, tf.int32),
        logits=tf.cast(output, tf.float32),
        label_length=tf.cast(_tensor(target_length), tf.int32),
        logit_length=tf.cast(_tensor(output_length), tf.int32),
        logits_time_major=False,
        blank_index=int(mask_index),
    )
    return tf.cast(loss, result_dtype)


# -- normalization ------------------------------------------------------------------------
def moments(x, axes, keepdims=False, synchronized=False):
    x = _tensor(x)
    orig = x.dtype
    if orig in (tf.float16, tf.bfloat16):
        x = tf.cast(x, tf.float32)
    elif not x.dtype.is_floating:
        x = tf.cast(x, to_tf_dtype(floatx()))
    axes = [axes] if isinstance(axes, int) else list(axes)
    mean = tf.reduce_mean(x, axis=axes, keepdims=True)
    variance = tf.reduce_mean(
        tf.square(x - tf.stop_gradient(mean)), axis=axes, keepdims=True
    )
    if not keepdims:
        mean = tf.squeeze(mean, axes)
        variance = tf.squeeze(variance, axes)
    if orig in (tf.float16, tf.bfloat16):
        mean = tf.cast(tf.clip_by_value(mean, orig.min, orig.max), orig)
        variance = tf.cast(tf.clip_by_value(variance, 0.0, orig.max), orig)
    return mean, variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    x = to_float(x)
    r = x.shape.rank
    axis = axis % r
    shape = [1] * r
    shape[axis] = -1

    def prep(v):
        v = _tensor(v, dtype_of(x))
        return tf.reshape(v, shape) if v.shape.rank == 1 else v

    inv = tf.math.rsqrt(prep(variance) + tf.cast(epsilon, x.dtype))
    if scale is not None:
        inv = inv * prep(scale)
    res = -prep(mean) * inv
    if offset is not None:
        res = res + prep(offset)
    return x * inv + res


# -- misc -------------------------------------------------------------------------------
def psnr(x1, x2, max_val):
    x1, x2 = promote(x1, x2)
    mse = tf.reduce_mean(tf.square(x1 - x2))
    return 20.0 * tf.math.log(tf.cast(max_val, mse.dtype)) / _pymath.log(10.0) - 10.0 * tf.math.log(mse) / _pymath.log(10.0)


def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    """Attention over ``(batch, seq, heads, head_dim)`` tensors (Keras layout).
    TensorFlow has no flash-attention kernel: ``flash_attention=True`` raises (as Keras);
    None (automatic) and False compute it the same way."""
    if flash_attention:
        raise ValueError("Flash attention is not supported in tensorflow backend.")
    q, k, v = promote(query, key, value)
    head_dim = q.shape[-1]
    scale = 1.0 / _pymath.sqrt(head_dim) if scale is None else scale
    q, k, v = (tf.transpose(t, [0, 2, 1, 3]) for t in (q, k, v))
    if k.shape[1] != q.shape[1]:
        rep = q.shape[1] // k.shape[1]
        k = tf.repeat(k, rep, axis=1)
        v = tf.repeat(v, rep, axis=1)
    logits = tf.matmul(q, k, transpose_b=True) * tf.cast(scale, q.dtype)
    if bias is not None:
        logits = logits + _tensor(bias, dtype_of(logits))
    if attn_logits_soft_cap is not None:
        logits = tf.tanh(logits / attn_logits_soft_cap) * attn_logits_soft_cap
    neg = tf.cast(logits.dtype.min, logits.dtype)
    if mask is not None:
        logits = tf.where(tf.cast(_tensor(mask), tf.bool), logits, neg)
    if is_causal:
        s = tf.shape(logits)
        causal = tf.range(s[-2])[:, None] >= tf.range(s[-1])[None, :]
        logits = tf.where(causal, logits, neg)
    probs = tf.cast(tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1), v.dtype)
    return tf.transpose(tf.matmul(probs, v), [0, 2, 1, 3])


def depth_to_space(x, block_size, data_format="channels_last"):
    x = _tensor(x)
    if _data_format(data_format) == "channels_first":
        return _to_channels_first(tf.nn.depth_to_space(_to_channels_last(x), block_size))
    return tf.nn.depth_to_space(x, block_size)


def space_to_depth(x, block_size, data_format="channels_last"):
    x = _tensor(x)
    if _data_format(data_format) == "channels_first":
        return _to_channels_first(tf.nn.space_to_depth(_to_channels_last(x), block_size))
    return tf.nn.space_to_depth(x, block_size)


# -- normalization helpers of keras.ops.nn -----------------------------------------------
def _norm_compute(x):
    """(x in >= float32, original float dtype)."""
    x = _tensor(x)
    orig = x.dtype
    if not orig.is_floating or orig in (tf.float16, tf.bfloat16):
        x = tf.cast(x, tf.float32)
    return x, orig if orig.is_floating else x.dtype


def _broadcast_param(v, x, axes):
    v = _tensor(v, dtype_of(x))
    r = x.shape.rank
    if v.shape.rank != r and axes != [r - 1]:
        dims = dynamic_shape(x)
        shape = [1] * r
        for a in axes:
            shape[a] = dims[a]
        v = tf.reshape(v, shape)
    return v


def normalize(x, axis=-1, order=2, epsilon=None):
    _args.check_normalize_order(order)
    x = to_float(x)
    if x.shape.rank == 0:
        x = tf.expand_dims(x, 0)
    eps = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        inv = tf.math.rsqrt(tf.reduce_sum(tf.square(x), axis=axis, keepdims=True))
        return x * tf.minimum(inv, tf.cast(1.0 / eps, x.dtype))
    if order == 1:
        norm = tf.reduce_sum(tf.abs(x), axis=axis, keepdims=True)
    else:
        norm = tf.pow(tf.reduce_sum(tf.pow(tf.abs(x), order), axis=axis, keepdims=True), 1.0 / order)
    return x / tf.maximum(norm, tf.cast(eps, x.dtype))


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    x, orig = _norm_compute(x)
    eps = config.epsilon() if epsilon is None else epsilon
    axes = _args.axes_list(axis, x.shape.rank)
    out = x * tf.math.rsqrt(tf.reduce_mean(tf.square(x), axis=axes, keepdims=True) + eps)
    if scale is not None:
        out = out * _broadcast_param(scale, x, axes)
    return tf.cast(out, orig)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    rms_scaling = kwargs.pop("rms_scaling", False)
    x, orig = _norm_compute(x)
    eps = config.epsilon() if epsilon is None else epsilon
    axes = _args.axes_list(axis, x.shape.rank)
    mean, var = tf.nn.moments(x, axes=axes, keepdims=True)
    inv = tf.math.rsqrt(var + eps)
    if gamma is not None:
        inv = inv * _broadcast_param(gamma, x, axes)
    if rms_scaling:
        return tf.cast(x * inv, orig)
    res = -mean * inv
    if beta is not None:
        res = res + _broadcast_param(beta, x, axes)
    return tf.cast(x * inv + res, orig)


def polar(abs_, angle):
    abs_, angle = promote(to_float(abs_), to_float(angle))
    return tf.complex(abs_ * tf.cos(angle), abs_ * tf.sin(angle))


# -- cornu extensions (beyond keras.ops) --------------------------------------------------
def dense(inputs, kernel, bias=None):
    """``inputs @ kernel + bias`` (``tf.nn.bias_add`` for the bias).

    A cornu addition to the Keras op set, used by ``Dense``.
    """
    from cornu.backends.tensorflow.numpy import add, matmul

    y = matmul(inputs, kernel)
    return y if bias is None else add(y, bias)


# -- sliding patches and CTC decoding ---------------------------------------------------
from cornu.ops.toolkit import fold, unfold  # noqa: E402,F401  (gathers / segment sums)


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decode CTC outputs ``(batch, max_length, num_classes)`` (logits).

    Returns ``(decoded, scores)``: greedy, ``(1, batch, max_length)`` and minus the
    summed best inputs ``(batch, 1)``; beam search (``tf.nn.ctc_beam_search_decoder``),
    ``(top_paths, batch, max_length)`` and the labelings' log probabilities
    ``(batch, top_paths)``.  Blanks pad with -1.
    """
    from cornu.ops.toolkit import check_ctc_strategy, ctc_greedy_decode

    check_ctc_strategy(strategy)
    inputs = to_float(inputs)
    if inputs.dtype not in (tf.float32, tf.float64):
        inputs = tf.cast(inputs, tf.float32)
    if mask_index is None:
        mask_index = inputs.shape[-1] - 1
    if strategy == "greedy":
        return ctc_greedy_decode(inputs, sequence_lengths, merge_repeated, mask_index)
    num_classes = inputs.shape[-1]
    mask_index = mask_index % num_classes
    # TensorFlow's blank is the last class: move ``mask_index`` there, map labels back.
    order = [c for c in range(num_classes) if c != mask_index] + [mask_index]
    logits = tf.transpose(tf.gather(inputs, order, axis=-1), (1, 0, 2))
    lengths = tf.cast(to_tensor(sequence_lengths), tf.int32)
    decoded, log_probs = tf.nn.ctc_beam_search_decoder(
        logits, lengths, beam_width=beam_width, top_paths=top_paths)
    max_length = tf.shape(inputs)[1]
    batch = tf.shape(inputs)[0]
    paths = []
    for sparse in decoded:
        labels = tf.cast(sparse.values, tf.int32)
        labels = tf.where(labels >= mask_index, labels + 1, labels)
        dense = tf.sparse.to_dense(
            tf.SparseTensor(sparse.indices, labels, sparse.dense_shape), default_value=-1)
        dense = tf.pad(dense, [[0, 0], [0, max_length - tf.shape(dense)[1]]], constant_values=-1)
        paths.append(tf.reshape(dense, [batch, max_length]))
    return tf.stack(paths), tf.cast(log_probs, inputs.dtype)
