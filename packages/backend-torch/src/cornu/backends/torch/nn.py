"""``cornu.ops.nn`` on PyTorch: activations, convolutions, pooling, losses.

Kernels use the Keras layout ``(*spatial, in_channels / groups, out_channels)``;
inputs are ``channels_last`` unless ``data_format="channels_first"``.
``padding="same"`` follows TensorFlow: the extra pixel of an odd total padding
goes after (bottom/right).
"""
import math as _pymath

import torch
import torch.nn.functional as F

from cornu import config
from cornu.backends.torch._utils import (
    dtype_of,
    epsilon,
    floatx,
    promote,
    standardize_tuple,
    to_float,
    to_tensor,
    to_torch_dtype,
)
from cornu.ops.toolkit import nn_args as _args
from cornu.variables import Variable

_tensor = to_tensor


# -- activations ----------------------------------------------------------------
_relu = torch.relu


def _int_or_float(x):
    x = _tensor(x)
    return x.to(to_torch_dtype(floatx())) if x.dtype == torch.bool else x


def relu(x):
    if type(x) is torch.Tensor and x.dtype is not torch.bool:
        return _relu(x)  # torch.relu itself: F.relu adds a Python layer
    return F.relu(_int_or_float(x))


def relu6(x):
    x = _int_or_float(x)
    if x.is_floating_point():
        return F.relu6(x)
    return torch.clamp(x, 0, 6)


def sigmoid(x):
    return torch.sigmoid(to_float(x))


def sparse_sigmoid(x):
    x = to_float(x)
    return torch.clamp(0.5 * (x + 1.0), 0.0, 1.0)


def tanh(x):
    return torch.tanh(to_float(x))


def tanh_shrink(x):
    x = to_float(x)
    return x - torch.tanh(x)


def softplus(x):
    return F.softplus(to_float(x))


def softsign(x):
    return F.softsign(to_float(x))


def soft_shrink(x, threshold=0.5):
    return F.softshrink(to_float(x), lambd=threshold)


def sparse_plus(x):
    x = to_float(x)
    return torch.where(
        x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * (x + 1) ** 2, x)
    )


def silu(x):
    return F.silu(to_float(x))


swish = silu


def squareplus(x, b=4):
    x = to_float(x)
    return 0.5 * (x + torch.sqrt(x * x + b))


def log_sigmoid(x):
    return F.logsigmoid(to_float(x))


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(to_float(x), negative_slope=negative_slope)


def hard_sigmoid(x):
    return F.relu6(to_float(x) + 3.0) / 6.0


def hard_silu(x):
    x = to_float(x)
    return x * (F.relu6(x + 3.0) / 6.0)


hard_swish = hard_silu


def elu(x, alpha=1.0):
    return F.elu(to_float(x), alpha=alpha)


def selu(x):
    return F.selu(to_float(x))


def gelu(x, approximate=True):
    return F.gelu(to_float(x), approximate="tanh" if approximate else "none")


def celu(x, alpha=1.0):
    return F.celu(to_float(x), alpha=alpha)


def glu(x, axis=-1):
    x = to_float(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: axis {axis} must have an even size, received shape {tuple(x.shape)}"
        )
    return F.glu(x, dim=axis)


def hard_tanh(x):
    return F.hardtanh(to_float(x))


def hard_shrink(x, threshold=0.5):
    return F.hardshrink(to_float(x), lambd=threshold)


def threshold(x, threshold, default_value):
    x = to_float(x)
    return torch.where(x > threshold, x, torch.as_tensor(default_value, dtype=x.dtype, device=x.device))


def _flatten_axes(x, axis):
    """Move ``axis`` (a tuple) to the end and flatten it: returns (y, restore)."""
    ndim = x.ndim
    axes = sorted(a % ndim for a in axis)
    keep = [d for d in range(ndim) if d not in axes]
    perm = keep + axes
    y = x.permute(*perm)
    kept_shape = y.shape[: len(keep)]
    y = y.reshape(*kept_shape, -1)
    inv = [perm.index(d) for d in range(ndim)]
    full_shape = tuple(x.shape[d] for d in perm)

    def restore(z):
        return z.reshape(full_shape).permute(*inv)

    return y, restore


def softmax(x, axis=-1):
    x = to_float(x)
    if axis is None or isinstance(axis, (tuple, list)):
        axis = tuple(range(x.ndim)) if axis is None else tuple(axis)
        if len(axis) == 1:
            return torch.softmax(x, dim=axis[0])
        y, restore = _flatten_axes(x, axis)
        return restore(torch.softmax(y, dim=-1))
    out = torch.softmax(x, dim=axis)
    # Remember the logits, so a crossentropy on these probabilities can use the fused,
    # more accurate log-softmax (as Keras's TensorFlow backend does).
    out._cornu_logits = (x, axis % x.ndim)
    return out


def _softmax_logits(output, axis):
    """The logits ``output`` was computed from by ``softmax`` over ``axis``, or None."""
    logits = getattr(output, "_cornu_logits", None)
    if logits is not None and logits[1] == axis % output.ndim:
        return logits[0]
    return None


def log_softmax(x, axis=-1):
    x = to_float(x)
    if axis is None or isinstance(axis, (tuple, list)):
        axis = tuple(range(x.ndim)) if axis is None else tuple(axis)
        if len(axis) == 1:
            return torch.log_softmax(x, dim=axis[0])
        y, restore = _flatten_axes(x, axis)
        return restore(torch.log_softmax(y, dim=-1))
    return torch.log_softmax(x, dim=axis)


def sparsemax(x, axis=-1):
    x = to_float(x)
    z = torch.moveaxis(x, axis, -1)
    zs, _ = torch.sort(z, dim=-1, descending=True)
    k = torch.arange(1, z.shape[-1] + 1, dtype=z.dtype, device=z.device)
    cumsum = torch.cumsum(zs, dim=-1)
    support = (1 + k * zs) > cumsum
    k_z = torch.sum(support, dim=-1, keepdim=True).to(z.dtype)
    tau = (torch.gather(cumsum, -1, k_z.long() - 1) - 1) / k_z
    out = torch.clamp(z - tau, min=0)
    return torch.moveaxis(out, -1, axis)


# -- helpers for spatial ops ---------------------------------------------------------
def _data_format(data_format):
    return config.standardize_data_format(data_format)


def _to_channels_first(x):
    return x.permute(0, x.ndim - 1, *range(1, x.ndim - 1))


def _to_channels_last(x):
    return x.permute(0, *range(2, x.ndim), 1)


def _same_pads(sizes, kernel, strides, dilation):
    """TF 'same' padding: a (before, after) pair per spatial dim."""
    pads = []
    for n, k, s, d in zip(sizes, kernel, strides, dilation):
        k_eff = (k - 1) * d + 1
        out = -(-n // s)
        total = max((out - 1) * s + k_eff - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _flat_pad(pads):
    """(before, after) pairs per spatial dim -> F.pad's reversed flat list."""
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    return flat


def _shape(x):
    return tuple(x.shape)


def _spatial_rank(x, name):
    return _args.spatial_rank(name, _shape(x))


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAXPOOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVGPOOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


# -- convolution ------------------------------------------------------------------------
def _conv_cf(x, weight, strides, padding, dilation, groups):
    """Channels-first convolution with TF padding semantics; weight in torch layout."""
    n = x.ndim - 2
    k = tuple(weight.shape[2:])
    if padding == "same":
        pads = _same_pads(x.shape[2:], k, strides, dilation)
        if all(a == b for a, b in pads):
            pad_arg = tuple(a for a, _ in pads)
        else:
            x = F.pad(x, _flat_pad(pads))
            pad_arg = 0
    else:
        pad_arg = 0
    return _CONV[n](x, weight, None, strides, pad_arg, dilation, groups)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x = _tensor(inputs)
    kernel = _tensor(kernel)
    x, kernel = promote(x, kernel)
    n, data_format, padding, strides, dilation = _args.conv_args(
        "conv", _shape(x), strides, padding, data_format, dilation_rate)
    if data_format == "channels_last":
        x = _to_channels_first(x)
    groups = _args.conv_groups(x.shape[1], tuple(kernel.shape))
    weight = kernel.permute(n + 1, n, *range(n))
    out = _conv_cf(x, weight, strides, padding, dilation, groups)
    if data_format == "channels_last":
        out = _to_channels_last(out)
    return out


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x = _tensor(inputs)
    kernel = _tensor(kernel)
    x, kernel = promote(x, kernel)
    n, data_format, padding, strides, dilation = _args.conv_args(
        "depthwise_conv", _shape(x), strides, padding, data_format, dilation_rate)
    if data_format == "channels_last":
        x = _to_channels_first(x)
    in_channels = x.shape[1]
    mult = kernel.shape[-1]
    # (*k, in, mult) -> (in * mult, 1, *k): output channel c * mult + m, as in TF.
    weight = kernel.reshape(*kernel.shape[:n], in_channels * mult)
    weight = weight.permute(n, *range(n)).unsqueeze(1)
    out = _conv_cf(x, weight, strides, padding, dilation, in_channels)
    if data_format == "channels_last":
        out = _to_channels_last(out)
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
        "conv_transpose", _shape(x), strides, padding, data_format, dilation_rate)
    if output_padding is not None:
        output_padding = standardize_tuple(output_padding, n, "output_padding")
    if data_format == "channels_last":
        x = _to_channels_first(x)
    # (*k, out, in) -> torch (in, out, *k)
    weight = kernel.permute(n + 1, n, *range(n))
    out = _CONV_T[n](x, weight, None, strides, 0, 0, 1, dilation)
    # `out` is the full ("natural") result of length (i - 1) * s + k_eff; crop
    # or zero-extend each side to the Keras/TF window.
    crops = []
    for i in range(n):
        k = kernel.shape[i]
        k_eff = (k - 1) * dilation[i] + 1
        left, right = _args.conv_transpose_pads(
            k, strides[i], dilation[i], padding,
            None if output_padding is None else output_padding[i],
        )
        crops.append((k_eff - 1 - left, k_eff - 1 - right))
    if any(c != (0, 0) for c in crops):
        out = F.pad(out, _flat_pad([(-a, -b) for a, b in crops]))
    if data_format == "channels_last":
        out = _to_channels_last(out)
    return out


# -- pooling -----------------------------------------------------------------------------
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x = _tensor(inputs)
    n, pool_size, strides, padding, data_format = _args.pool_args(
        "max_pool", _shape(x), pool_size, strides, padding, data_format)
    if data_format == "channels_last":
        x = _to_channels_first(x)
    pad_arg = 0
    if padding == "same":
        pads = _same_pads(x.shape[2:], pool_size, strides, (1,) * n)
        if all(a == b for a, b in pads):
            pad_arg = tuple(a for a, _ in pads)
        else:
            fill = -float("inf") if x.is_floating_point() else torch.iinfo(x.dtype).min
            x = F.pad(x, _flat_pad(pads), value=fill)
    if x.is_floating_point():
        out = _MAXPOOL[n](x, pool_size, strides, pad_arg)
    else:
        out = _MAXPOOL[n](x.double(), pool_size, strides, pad_arg).to(x.dtype)
    if data_format == "channels_last":
        out = _to_channels_last(out)
    return out


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x = to_float(inputs)
    n, pool_size, strides, padding, data_format = _args.pool_args(
        "average_pool", _shape(x), pool_size, strides, padding, data_format)
    if data_format == "channels_last":
        x = _to_channels_first(x)
    if padding == "valid":
        out = _AVGPOOL[n](x, pool_size, strides, 0)
    else:
        pads = _same_pads(x.shape[2:], pool_size, strides, (1,) * n)
        if all(a == b for a, b in pads):
            out = _AVGPOOL[n](
                x, pool_size, strides, tuple(a for a, _ in pads), count_include_pad=False
            )
        else:
            # Asymmetric padding: pool a zero-padded input and divide by the
            # number of real (unpadded) elements in each window.
            flat = _flat_pad(pads)
            window = _pymath.prod(pool_size)
            sums = _AVGPOOL[n](F.pad(x, flat), pool_size, strides, 0) * window
            ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
            counts = _AVGPOOL[n](F.pad(ones, flat), pool_size, strides, 0) * window
            out = sums / counts
    if data_format == "channels_last":
        out = _to_channels_last(out)
    return out


def _adaptive(x, output_size, data_format, fns, name):
    x = _tensor(x)
    n = _spatial_rank(x, name)
    data_format = _data_format(data_format)
    output_size = standardize_tuple(output_size, n, "output_size")
    if data_format == "channels_last":
        x = _to_channels_first(x)
    out = fns[n](x, output_size)
    if isinstance(out, tuple):
        out = out[0]
    if data_format == "channels_last":
        out = _to_channels_last(out)
    return out


def adaptive_average_pool(inputs, output_size, data_format=None):
    fns = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
    return _adaptive(to_float(inputs), output_size, data_format, fns, "adaptive_average_pool")


def adaptive_max_pool(inputs, output_size, data_format=None):
    fns = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
    return _adaptive(inputs, output_size, data_format, fns, "adaptive_max_pool")


# -- one-hot ---------------------------------------------------------------------------
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported on the torch backend")
    x = _tensor(x)
    dtype = to_torch_dtype(dtype or floatx())
    classes = torch.arange(num_classes, device=x.device)
    out = (x.long().unsqueeze(-1) == classes).to(dtype)
    if axis != -1 and axis != out.ndim - 1:
        out = torch.moveaxis(out, -1, axis)
    return out


def multi_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    x = _tensor(x)
    reduction_axis = 1 if x.ndim > 1 else 0
    out = one_hot(x, num_classes, axis=-1, dtype="int32", sparse=sparse)
    out = torch.amax(out, dim=reduction_axis)
    if axis != -1 and axis != out.ndim - 1:
        out = torch.moveaxis(out, -1, axis)
    return out.to(to_torch_dtype(dtype or floatx()))


# -- losses -------------------------------------------------------------------------------
def _check_same_shape(target, output, name):
    _args.check_same_shape(name, _shape(target), _shape(output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = to_float(output)
    target = _tensor(target, dtype_of(output))
    if target.ndim < 1:
        raise ValueError(
            "categorical_crossentropy: `target` and `output` must be at least rank 1, "
            f"received target.shape={tuple(target.shape)}"
        )
    _check_same_shape(target, output, "categorical_crossentropy")
    logits = None if from_logits else _softmax_logits(output, axis)
    if logits is not None:
        output, from_logits = logits, True
    if from_logits:
        log_prob = torch.log_softmax(output, dim=axis)
    else:
        output = output / torch.sum(output, dim=axis, keepdim=True)
        output = torch.clamp(output, epsilon(), 1.0 - epsilon())
        log_prob = torch.log(output)
    return -torch.sum(target * log_prob, dim=axis)


#: ``ignore_index`` no int64 label can take (torch ignores -100 by default).
_NO_IGNORED_LABEL = -(2 ** 63)


def _check_sparse_labels(target, num_classes, name):
    """Raise a ValueError naming ``name`` if a label is outside ``[0, num_classes)``.

    On the CPU this costs one min/max reduction and a read of its two values. On an
    accelerator a host read would synchronize every step, so the check is queued on
    the device instead (``torch._assert_async``: the error surfaces at the next sync,
    still carrying the message). Skipped while ``torch.compile`` traces, where a
    data-dependent branch would break the graph.
    """
    if target.numel() == 0 or torch.compiler.is_compiling():
        return
    if target.device.type != "cpu":
        head, tail = _args.label_error(name, num_classes)
        valid = torch.logical_and(target >= 0, target < num_classes).all()
        torch._assert_async(valid, f"{head} a value{tail}")
        return
    low, high = torch.stack(torch.aminmax(target)).tolist()
    if low < 0 or high >= num_classes:
        bad = low if low < 0 else high
        if isinstance(bad, float) and bad.is_integer():
            bad = int(bad)
        head, tail = _args.label_error(name, num_classes)
        raise ValueError(f"{head} {bad}{tail}")


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = to_float(output)
    target = _tensor(target)
    if output.ndim < 1:
        raise ValueError(
            "sparse_categorical_crossentropy: `output` must be at least rank 1, "
            f"received output.shape={tuple(output.shape)}"
        )
    axis = axis % output.ndim
    if target.ndim == output.ndim and target.shape[axis] == 1:
        target = torch.squeeze(target, dim=axis)
    if target.ndim != output.ndim - 1:
        raise ValueError(
            "sparse_categorical_crossentropy: `target` must have rank `output.ndim - 1`, "
            f"received target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    num_classes, name = output.shape[axis], "sparse_categorical_crossentropy"
    logits = None if from_logits else _softmax_logits(output, axis)
    if logits is not None:
        output, from_logits = logits, True
    if from_logits and output.ndim == 2 and axis == 1 and target.device.type == "cpu":
        # The hot path: on the CPU torch's kernel rejects every label outside
        # [0, num_classes) itself (no label is ignored), so the clear error costs
        # nothing until a label is wrong.
        try:
            return F.cross_entropy(output, target.long(), reduction="none",
                                   ignore_index=_NO_IGNORED_LABEL)
        except IndexError:
            _check_sparse_labels(target, num_classes, name)
            raise
    _check_sparse_labels(target, num_classes, name)
    if from_logits and output.ndim == 2 and axis == 1:
        return F.cross_entropy(output, target.long(), reduction="none")
    if from_logits:
        log_prob = torch.log_softmax(output, dim=axis)
    else:
        output = output / torch.sum(output, dim=axis, keepdim=True)
        output = torch.clamp(output, epsilon(), 1.0 - epsilon())
        log_prob = torch.log(output)
    index = target.long().unsqueeze(axis)
    return -torch.gather(log_prob, axis, index).squeeze(axis)


def binary_crossentropy(target, output, from_logits=False):
    output = to_float(output)
    target = _tensor(target, dtype_of(output))
    _check_same_shape(target, output, "binary_crossentropy")
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    output = torch.clamp(output, epsilon(), 1.0 - epsilon())
    return -(target * torch.log(output) + (1.0 - target) * torch.log(1.0 - output))


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
        least float32; ``inf`` where no alignment is possible (the TensorFlow
        backend gives a large finite value there, as Keras 3 on each framework).
    """
    output = to_float(output)
    target = _tensor(target)
    if output.ndim != 3 or target.ndim != 2:
        raise ValueError(
            "ctc_loss: expected `target` of shape (batch, max_target_length) and `output` of "
            "shape (batch, max_output_length, num_classes), received "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    if output.dtype in (torch.float16, torch.bfloat16):
        output = output.float()
    log_probs = torch.log_softmax(output, dim=-1).transpose(0, 1)  # time-major
    return F.ctc_loss(
        log_probs, target.long(), _tensor(output_length).long(), _tensor(target_length).long(),
        blank=int(mask_index), reduction="none",
    )


# -- normalization ------------------------------------------------------------------------
def moments(x, axes, keepdims=False, synchronized=False):
    x = _tensor(x)
    orig = x.dtype
    if orig in (torch.float16, torch.bfloat16):
        x = x.float()
    elif not x.is_floating_point():
        x = x.to(to_torch_dtype(floatx()))
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    variance, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=keepdims)
    if orig in (torch.float16, torch.bfloat16):
        mean = mean.clamp(torch.finfo(orig).min, torch.finfo(orig).max).to(orig)
        variance = variance.clamp(max=torch.finfo(orig).max).to(orig)
    return mean, variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    x = to_float(x)
    axis = axis % x.ndim
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def prep(v):
        v = _tensor(v, dtype_of(x))
        return v.reshape(shape) if v.ndim == 1 else v

    inv = torch.rsqrt(prep(variance) + epsilon)
    if scale is not None:
        inv = inv * prep(scale)
    res = -prep(mean) * inv
    if offset is not None:
        res = res + prep(offset)
    return x * inv + res


# -- misc -------------------------------------------------------------------------------
def psnr(x1, x2, max_val):
    x1, x2 = promote(x1, x2)
    mse = torch.mean(torch.square(x1 - x2))
    return 20.0 * torch.log10(torch.as_tensor(max_val, dtype=mse.dtype)) - 10.0 * torch.log10(mse)


def _sdpa_kernels(flash_attention, q, k, v, attn_mask, is_causal):
    """The SDPA kernels ``flash_attention`` allows: None, any (torch chooses); False, all
    but flash attention; True, flash attention only, raising (as Keras) when the inputs
    or the device cannot use it (it needs CUDA, float16/bfloat16 and no mask)."""
    import contextlib

    if flash_attention is None:
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    if not flash_attention:
        others = [b for b in (SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH,
                              getattr(SDPBackend, "CUDNN_ATTENTION", None)) if b is not None]
        return sdpa_kernel(others)
    try:
        from torch.backends.cuda import SDPAParams, can_use_flash_attention
    except ImportError as err:  # pragma: no cover - torch < 2.2
        raise ImportError(
            "flash_attention=True needs a PyTorch with torch.backends.cuda.SDPAParams "
            "(2.2 or newer)") from err
    try:
        params = SDPAParams(q, k, v, attn_mask, 0.0, is_causal, False)
    except TypeError:  # older signature, without enable_gqa
        params = SDPAParams(q, k, v, attn_mask, 0.0, is_causal)
    if not can_use_flash_attention(params, True):  # True: torch warns why not
        raise RuntimeError(
            "Flash attention is not supported with the provided inputs (it needs a CUDA "
            f"device, float16 or bfloat16 and no mask; got {q.dtype} on {q.device}"
            f"{', a mask' if attn_mask is not None else ''}). Check the warnings for "
            "details, or pass flash_attention=None to let the backend choose.")
    return sdpa_kernel([SDPBackend.FLASH_ATTENTION])


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
    """Attention over ``(batch, seq, heads, head_dim)`` tensors (Keras layout)."""
    q, k, v = promote(query, key, value)
    head_dim = q.shape[-1]
    scale = 1.0 / _pymath.sqrt(head_dim) if scale is None else scale
    # (B, T, N, H) -> (B, N, T, H)
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))
    if k.shape[1] != q.shape[1]:  # grouped-query attention
        rep = q.shape[1] // k.shape[1]
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
    fusable = bias is None and attn_logits_soft_cap is None and isinstance(scale, (int, float))
    if flash_attention and not fusable:
        raise ValueError(
            "dot_product_attention(flash_attention=True): flash attention takes no bias, "
            "no attn_logits_soft_cap and a Python float scale")
    if fusable:
        # torch's fused kernel (flash / memory-efficient / math).  A boolean mask becomes
        # an additive one with the dtype's minimum, as below: a fully masked row averages
        # the values instead of giving NaN.
        attn_mask = None
        if mask is not None:
            keep = _tensor(mask).bool()
            if is_causal:
                keep = keep & torch.ones((q.shape[-2], k.shape[-2]), dtype=torch.bool,
                                         device=q.device).tril()
            attn_mask = torch.zeros(keep.shape, dtype=q.dtype, device=q.device).masked_fill(
                ~keep, torch.finfo(q.dtype).min)
        causal = bool(is_causal) and mask is None
        with _sdpa_kernels(flash_attention, q, k, v, attn_mask, causal):
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=attn_mask, is_causal=causal, scale=float(scale))
        return out.transpose(1, 2)
    logits = torch.matmul(q, k.transpose(-1, -2)) * scale
    if bias is not None:
        logits = logits + _tensor(bias, dtype_of(logits))
    if attn_logits_soft_cap is not None:
        logits = torch.tanh(logits / attn_logits_soft_cap) * attn_logits_soft_cap
    neg = torch.finfo(logits.dtype).min
    if mask is not None:
        logits = torch.where(_tensor(mask).bool(), logits, torch.as_tensor(neg, dtype=logits.dtype))
    if is_causal:
        tq, tk = logits.shape[-2], logits.shape[-1]
        causal = torch.ones((tq, tk), dtype=torch.bool, device=logits.device).tril()
        logits = torch.where(causal, logits, torch.as_tensor(neg, dtype=logits.dtype))
    probs = torch.softmax(logits.float(), dim=-1).to(v.dtype)
    return torch.matmul(probs, v).transpose(1, 2)


def depth_to_space(x, block_size, data_format="channels_last"):
    """TF ("DCR") ordering: output pixel (by, bx) of channel c comes from input
    channel ``(by * block_size + bx) * C_out + c``."""
    x = _tensor(x)
    b = int(block_size)
    if _data_format(data_format) == "channels_last":
        n, h, w, c = x.shape
        y = x.reshape(n, h, w, b, b, c // (b * b)).permute(0, 1, 3, 2, 4, 5)
        return y.reshape(n, h * b, w * b, c // (b * b))
    n, c, h, w = x.shape
    y = x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
    return y.reshape(n, c // (b * b), h * b, w * b)


def space_to_depth(x, block_size, data_format="channels_last"):
    x = _tensor(x)
    b = int(block_size)
    if _data_format(data_format) == "channels_last":
        n, h, w, c = x.shape
        y = x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5)
        return y.reshape(n, h // b, w // b, c * b * b)
    n, c, h, w = x.shape
    y = x.reshape(n, c, h // b, b, w // b, b).permute(0, 3, 5, 1, 2, 4)
    return y.reshape(n, c * b * b, h // b, w // b)


# -- normalization helpers of keras.ops.nn -----------------------------------------------
def _norm_compute(x):
    """(x in >= float32, original dtype)."""
    x = _tensor(x)
    orig = x.dtype
    if not x.is_floating_point() or orig in (torch.float16, torch.bfloat16):
        x = x.to(torch.float32 if orig != torch.float64 else orig)
    return x, orig if orig.is_floating_point else x.dtype


def _broadcast_param(v, x, axes):
    v = _tensor(v, dtype_of(x))
    if v.ndim != x.ndim and axes != [x.ndim - 1]:
        shape = [1] * x.ndim
        for a in axes:
            shape[a] = x.shape[a]
        v = v.reshape(shape)
    return v


def normalize(x, axis=-1, order=2, epsilon=None):
    _args.check_normalize_order(order)
    x = to_float(x)
    if x.ndim == 0:
        x = x.unsqueeze(0)
    eps = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        inv = torch.rsqrt(torch.sum(x * x, dim=axis, keepdim=True))
        return x * torch.clamp(inv, max=1.0 / eps)
    norm = torch.linalg.vector_norm(x, order, dim=axis, keepdim=True)
    return x / torch.clamp(norm, min=eps)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    x, orig = _norm_compute(x)
    eps = config.epsilon() if epsilon is None else epsilon
    axes = _args.axes_list(axis, x.ndim)
    if axes == list(range(x.ndim - len(axes), x.ndim)):
        shape = tuple(x.shape[a] for a in axes)
        w = None if scale is None else _tensor(scale, dtype_of(x)).reshape(shape)
        out = F.rms_norm(x, shape, w, eps)
    else:
        out = x * torch.rsqrt(torch.mean(x * x, dim=axes, keepdim=True) + eps)
        if scale is not None:
            out = out * _broadcast_param(scale, x, axes)
    return out.to(orig)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    rms_scaling = kwargs.pop("rms_scaling", False)
    x, orig = _norm_compute(x)
    eps = config.epsilon() if epsilon is None else epsilon
    axes = _args.axes_list(axis, x.ndim)
    if rms_scaling:
        var = torch.var(x, dim=axes, correction=0, keepdim=True)
        out = x * torch.rsqrt(var + eps)
        if gamma is not None:
            out = out * _broadcast_param(gamma, x, axes)
    elif axes == list(range(x.ndim - len(axes), x.ndim)):
        shape = tuple(x.shape[a] for a in axes)
        g = None if gamma is None else _tensor(gamma, dtype_of(x)).reshape(shape)
        b = None if beta is None else _tensor(beta, dtype_of(x)).reshape(shape)
        out = F.layer_norm(x, shape, g, b, eps)
    else:
        var, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
        inv = torch.rsqrt(var + eps)
        if gamma is not None:
            inv = inv * _broadcast_param(gamma, x, axes)
        res = -mean * inv
        if beta is not None:
            res = res + _broadcast_param(beta, x, axes)
        out = x * inv + res
    return out.to(orig)


def polar(abs_, angle):
    abs_, angle = promote(to_float(abs_), to_float(angle))
    return torch.polar(abs_, angle)


# -- cornu extensions (beyond keras.ops) --------------------------------------------------
def dense(inputs, kernel, bias=None):
    """``inputs @ kernel + bias`` as one fused call (``torch.addmm`` for 2D inputs).

    A cornu addition to the Keras op set, used by ``Dense``: one kernel instead of
    two forward and backward.
    """
    from cornu.backends.torch.numpy import add, matmul

    x = inputs.value if isinstance(inputs, Variable) else inputs
    k = kernel.value if isinstance(kernel, Variable) else kernel
    b = bias.value if isinstance(bias, Variable) else bias
    if (isinstance(x, torch.Tensor) and isinstance(k, torch.Tensor) and x.dtype == k.dtype
            and k.is_floating_point() and (b is None or b.dtype == k.dtype)):
        return F.linear(x, k.t(), b)
    y = matmul(x, k)
    return y if b is None else add(y, b)


# -- sliding patches and CTC decoding ---------------------------------------------------
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding patches of an ``(N, C, H, W)`` tensor: ``(N, C * kh * kw, L)``."""
    return F.unfold(to_tensor(x), kernel_size, dilation=dilation, padding=padding, stride=stride)


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding patches ``(N, C * kh * kw, L)`` back into ``(N, C, H, W)``."""
    return F.fold(to_tensor(x), output_size, kernel_size, dilation=dilation, padding=padding,
                  stride=stride)


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decode CTC outputs ``(batch, max_length, num_classes)`` (logits).

    Returns ``(decoded, scores)``: greedy, ``(1, batch, max_length)`` and minus the
    summed best inputs ``(batch, 1)``; beam search, ``(top_paths, batch, max_length)``
    and the labelings' log probabilities ``(batch, top_paths)``.  Blanks pad with -1.
    The beam search runs on the host.
    """
    from cornu.ops.toolkit import check_ctc_strategy, ctc_beam_search_numpy, ctc_greedy_decode

    check_ctc_strategy(strategy)
    inputs = to_float(inputs)
    if inputs.dtype not in (torch.float32, torch.float64):
        inputs = inputs.float()
    if mask_index is None:
        mask_index = inputs.shape[-1] - 1
    if strategy == "greedy":
        return ctc_greedy_decode(inputs, sequence_lengths, merge_repeated, mask_index)
    log_probs = torch.log_softmax(inputs, dim=-1).detach().cpu().numpy()
    lengths = to_tensor(sequence_lengths).detach().cpu().numpy()
    paths, scores = ctc_beam_search_numpy(log_probs, lengths, beam_width, top_paths, mask_index)
    device = inputs.device
    return (torch.as_tensor(paths, device=device),
            torch.as_tensor(scores, dtype=inputs.dtype, device=device))
