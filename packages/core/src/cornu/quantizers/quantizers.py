"""Quantizers and the quantization functions of ``keras.quantizers``, on ``cornu.ops``.

Int8 and int4 (absolute-maximum scaling, grouped asymmetric scaling with a zero point,
nibble packing), float8 (scale and amax-history updates, quantize-dequantize) and fake
quantization with a straight-through gradient.
"""
import math

import numpy as np

from cornu import backend, config, ops
from cornu.symbolic import KerasTensor, Operation, any_symbolic


class Quantizer:
    """The base class of quantizers: ``quantizer(x)`` gives the quantized ``x``.

    Args:
        output_dtype: the dtype of the quantized values.
    """

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        """The quantized ``x`` (the base class returns it unchanged)."""
        return x

    @classmethod
    def from_config(cls, config):
        """A quantizer from the dict ``get_config`` returned."""
        return cls(**config)

    def get_config(self):
        """The quantizer's constructor arguments, as a dict (subclasses implement it)."""
        raise NotImplementedError(f"{self} does not implement get_config()")


def _dtype(x):
    return ops.standardize_dtype(x.dtype)


def _numpy_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8",
                     epsilon=config.epsilon(), to_numpy=False):
    """Quantize ``inputs`` by scaling its absolute maximum along ``axis`` to the range.

    ``scale = value_range[1] / (max(|inputs|, axis) + epsilon)``, and the quantized
    tensor is ``clip(round(inputs * scale), *value_range)`` cast to ``dtype``.

    Args:
        inputs: the tensor to quantize.
        axis: the axis (or axes) the maximum is taken over.
        value_range: ``(min, max)`` of the quantized values.
        dtype: the dtype of the quantized tensor.
        epsilon: added to the maximum, so that an all-zero slice has a finite scale.
        to_numpy: compute on the host with NumPy (saves device memory).

    Returns:
        ``(quantized, scale)``; ``scale`` has the dtype of ``inputs`` and keeps the
        reduced axes (size 1).
    """
    if to_numpy:
        source_dtype = _dtype(inputs)
        values = ops.convert_to_numpy(inputs)
        peak = np.max(np.abs(values), axis=_numpy_axis(axis), keepdims=True)
        scale = np.divide(value_range[1], np.add(peak, epsilon))
        quantized = np.clip(np.round(np.multiply(values, scale)), value_range[0],
                            value_range[1]).astype(dtype)
        return ops.convert_to_tensor(quantized), ops.convert_to_tensor(scale, dtype=source_dtype)
    inputs = ops.convert_to_tensor(inputs)
    peak = ops.max(ops.abs(inputs), axis=axis, keepdims=True)
    scale = ops.cast(ops.divide(value_range[1], ops.add(peak, epsilon)), _dtype(inputs))
    quantized = ops.clip(ops.round(ops.multiply(inputs, scale)), value_range[0], value_range[1])
    return ops.cast(quantized, dtype), scale


def abs_max_quantize_grouped_with_zero_point(inputs, block_size, value_range=(-8, 7),
                                             dtype="int8", epsilon=config.epsilon(),
                                             to_numpy=False):
    """Asymmetric quantization of a 2D ``(input_dim, output_dim)`` tensor, by groups of
    ``block_size`` rows along axis 0, each with its own scale and zero point per column.

    Args:
        inputs: the 2D tensor to quantize.
        block_size: the number of rows of a group (the last group is zero-padded).
        value_range: ``(qmin, qmax)`` of the quantized values.
        dtype: the dtype of the quantized tensor.
        epsilon: added to each group's ``max - min``.
        to_numpy: compute on the host with NumPy (saves device memory).

    Returns:
        ``(quantized, scale, zero_point)``: ``quantized`` has the shape of ``inputs``;
        ``scale`` (dtype of ``inputs``) and ``zero_point`` (int8) have the shape
        ``(ceil(input_dim / block_size), output_dim)``.
    """
    if len(inputs.shape) != 2:
        raise ValueError(
            "abs_max_quantize_grouped_with_zero_point: `inputs` must be a 2D tensor "
            f"(input_dim, output_dim), received shape {tuple(inputs.shape)}")
    if to_numpy:
        return _grouped_numpy(inputs, block_size, value_range, dtype, epsilon)
    return _grouped_tensor(inputs, block_size, value_range, dtype, epsilon)


def _grouped_numpy(inputs, block_size, value_range, dtype, epsilon):
    source_dtype = _dtype(inputs)
    values = ops.convert_to_numpy(inputs)
    rows, cols = values.shape
    groups = math.ceil(rows / block_size)
    qmin, qmax = value_range
    padded = np.zeros((groups * block_size, cols), dtype=values.dtype)
    padded[:rows] = values
    blocks = padded.reshape(groups, block_size, cols)
    low = np.min(blocks, axis=1, keepdims=True)
    high = np.max(blocks, axis=1, keepdims=True)
    scale = np.divide(np.subtract(high, low) + epsilon, qmax - qmin)
    zero = np.clip(np.round(np.divide(-low, scale)) + qmin, qmin, qmax)
    quantized = np.clip(np.round(np.divide(blocks, scale)) + zero, qmin, qmax).astype(dtype)
    quantized = quantized.reshape(groups * block_size, cols)[:rows]
    return (ops.convert_to_tensor(quantized),
            ops.convert_to_tensor(np.squeeze(scale, axis=1), dtype=source_dtype),
            ops.convert_to_tensor(np.squeeze(zero, axis=1).astype("int8")))


def _grouped_tensor(inputs, block_size, value_range, dtype, epsilon):
    source_dtype = _dtype(inputs)
    inputs = ops.convert_to_tensor(inputs)
    rows, cols = (int(d) for d in inputs.shape)
    qmin, qmax = value_range
    bits = int(math.log2(qmax - qmin + 1))  # (-8, 7) -> 4 bits
    groups = math.ceil(rows / block_size)
    # The parameters are computed on the [output_dim, input_dim] layout, then turned back.
    scale, zero, _ = compute_quantization_parameters(
        ops.transpose(inputs), bits=bits, symmetric=False, per_channel=True,
        group_size=block_size, compute_dtype=source_dtype, epsilon=epsilon, signed=True)
    scale, zero = ops.transpose(scale), ops.transpose(zero)
    padded = inputs
    if groups * block_size > rows:
        fill = ops.zeros((groups * block_size - rows, cols), dtype=inputs.dtype)
        padded = ops.concatenate([inputs, fill], axis=0)
    blocks = ops.reshape(padded, (groups, block_size, cols))
    quantized = ops.add(ops.round(ops.divide(blocks, ops.expand_dims(scale, 1))),
                        ops.expand_dims(zero, 1))
    quantized = ops.cast(ops.clip(quantized, qmin, qmax), dtype)
    quantized = ops.reshape(quantized, (groups * block_size, cols))[:rows, :]
    return quantized, scale, zero


def compute_quantization_parameters(x, *, bits, symmetric=False, per_channel=False,
                                    group_size=-1, compute_dtype="float32", epsilon=0.0,
                                    signed=False):
    """Scale and zero point that map the rows of a ``[out_features, in_features]`` weight
    to ``bits``-bit integers: per tensor, per channel (row), or per group of
    ``group_size`` columns.

    Args:
        x: the weight, of rank 2 at least.
        bits: the bit width (e.g. 4).
        symmetric: a range symmetric around zero.
        per_channel: one scale per row.
        group_size: columns per group (-1: no groups).
        compute_dtype: the dtype of ``maxq``.
        epsilon: added to ``max - min`` before the scale is computed.
        signed: zero points for the range ``[-2**(bits-1), 2**(bits-1) - 1]`` (int8)
            rather than ``[0, 2**bits - 1]`` (uint8).

    Returns:
        ``(scale, zero, maxq)``: ``scale`` and ``zero`` of shape ``[out_features,
        n_groups]`` (``n_groups`` is 1 without groups), ``maxq = 2**bits - 1``.
    """
    if x is None:
        raise ValueError("compute_quantization_parameters: the input tensor `x` cannot be None.")
    if len(x.shape) < 2:
        raise ValueError(
            "compute_quantization_parameters: the weight tensor must have a rank of at "
            f"least 2, received rank {len(x.shape)} (shape {tuple(x.shape)}).")
    if math.prod(int(d) for d in x.shape) == 0:
        raise ValueError("compute_quantization_parameters: the input tensor `x` cannot be empty.")
    out_features, in_features = int(x.shape[0]), int(x.shape[1])
    groups = (in_features + group_size - 1) // group_size if per_channel and group_size > 0 else 1
    if groups > 1:
        if in_features % group_size:
            x = ops.pad(x, [[0, 0], [0, group_size - in_features % group_size]],
                        constant_values=0.0)
        grouped = ops.reshape(x, [out_features, groups, group_size])
        low, high = ops.min(grouped, axis=2), ops.max(grouped, axis=2)
    else:
        rows = ops.reshape(x, [out_features, -1] if per_channel else [1, -1])
        low, high = ops.min(rows, axis=1), ops.max(rows, axis=1)
    if symmetric:
        peak = ops.maximum(ops.abs(low), high)
        low = ops.where(ops.less(low, 0), ops.negative(peak), low)
        high = peak
    flat = ops.equal(low, high)  # an empty range would divide by zero
    low = ops.where(flat, ops.subtract(low, 1), low)
    high = ops.where(flat, ops.add(high, 1), high)
    maxq = ops.cast(ops.subtract(ops.power(2, bits), 1), compute_dtype)
    spread = ops.subtract(high, low)
    if epsilon > 0:
        spread = ops.add(spread, epsilon)
    scale = ops.divide(spread, maxq)
    scale = ops.where(ops.less_equal(scale, 0), 1e-8, scale)
    if symmetric:
        middle = ops.divide(ops.add(maxq, 1), 2)
        zero = ops.full_like(scale, ops.add(middle, -(2 ** (bits - 1))) if signed else middle)
    else:
        zero = ops.round(ops.divide(ops.negative(low), scale))
        if signed:
            zero = ops.add(zero, -(2 ** (bits - 1)))
    if signed:
        zero = ops.clip(zero, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if groups == 1:
        if per_channel:
            scale, zero = ops.reshape(scale, [-1, 1]), ops.reshape(zero, [-1, 1])
        else:
            scale = ops.tile(ops.reshape(scale, (1, 1)), (out_features, 1))
            zero = ops.tile(ops.reshape(zero, (1, 1)), (out_features, 1))
    return scale, ops.cast(zero, "int8" if signed else "uint8"), maxq


class AbsMaxQuantizer(Quantizer):
    """Absolute-maximum quantization (``abs_max_quantize``) as a quantizer object.

    Args:
        axis: deprecated, pass ``axis`` to the call instead; stored as a tuple.
        value_range: ``(min, max)`` of the quantized values.
        epsilon: added to the maximum before the scale is computed.
        output_dtype: the dtype of the quantized values.
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=config.epsilon(),
                 output_dtype="int8"):
        Quantizer.__init__(self, output_dtype=output_dtype)
        self.axis = None if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = value_range
        self.epsilon = epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(
                "AbsMaxQuantizer: output_dtype='int8' requires `value_range` within the "
                f"interval [-128, 127]. Received: value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy=False):
        """``(quantized, scale)`` of ``x`` along ``axis`` (default: the constructor's
        axis, else -1)."""
        if axis is None:
            axis = self.axis if self.axis is not None else -1
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon,
                                to_numpy)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon,
                  "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config


# -- fake quantization -------------------------------------------------------------------
def _nudged_range(low, high, num_bits, narrow_range):
    """``(nudged_min, nudged_max, scale, inv_scale)``: the range moved so that zero is
    exactly representable, computed in float32 at least."""
    dtype = backend.result_type(low.dtype, "float32")
    low, high = ops.cast(low, dtype), ops.cast(high, dtype)
    quant_max = (1 << num_bits) - 1
    quant_min = 1 if narrow_range else 0
    spread = ops.subtract(high, low)
    scale = ops.divide(spread, quant_max - quant_min)
    inv_scale = ops.divide(quant_max - quant_min, spread)
    zero_point = ops.round(ops.clip(ops.subtract(quant_min, ops.divide(low, scale)),
                                    quant_min, quant_max))
    nudged_min = ops.multiply(ops.subtract(quant_min, zero_point), scale)
    nudged_max = ops.multiply(ops.subtract(quant_max, zero_point), scale)
    return nudged_min, nudged_max, scale, inv_scale


class FakeQuantWithMinMaxVars(Operation):
    """``fake_quant_with_min_max_vars`` as a graph operation (its symbolic calls)."""

    def __init__(self, num_bits=8, narrow_range=False, axis=None):
        super().__init__()
        self.num_bits = num_bits
        self.narrow_range = narrow_range
        self.axis = axis

    def call(self, inputs, min_vals, max_vals):
        return fake_quant_with_min_max_vars(inputs, min_vals, max_vals, num_bits=self.num_bits,
                                            narrow_range=self.narrow_range, axis=self.axis)

    def compute_output_spec(self, inputs, min_vals, max_vals):
        return KerasTensor(inputs.shape, dtype=inputs.dtype)


def fake_quant_with_min_max_vars(inputs, min_vals, max_vals, num_bits=8, narrow_range=False,
                                 axis=None):
    """Quantize ``inputs`` to ``num_bits`` levels within ``[min_vals, max_vals]`` and back.

    The range is nudged so that zero is a level; the levels are ``[0, 2**num_bits - 1]``
    (``[1, 2**num_bits - 1]`` with ``narrow_range``).  The gradient is straight-through
    inside the nudged range (zero outside); the gradient of ``min_vals`` (``max_vals``) is
    the sum of the upstream gradient where ``inputs`` is at or below the nudged minimum
    (at or above the nudged maximum), so the range can be trained.

    Args:
        inputs: a float tensor.
        min_vals: the minimum, a scalar (per tensor) or one value per channel.
        max_vals: the maximum, of the shape of ``min_vals``.
        num_bits: the bit width.
        narrow_range: leave out the lowest level.
        axis: the channel axis of per-channel ranges; None for one range.

    Returns:
        The fake-quantized tensor, of the dtype and shape of ``inputs``.
    """
    if any_symbolic((inputs, min_vals, max_vals)):
        return FakeQuantWithMinMaxVars(num_bits, narrow_range, axis).symbolic_call(
            inputs, min_vals, max_vals)
    inputs = ops.convert_to_tensor(inputs)
    min_vals = ops.convert_to_tensor(min_vals)
    max_vals = ops.convert_to_tensor(max_vals)
    num_bits = int(num_bits)
    rank = len(inputs.shape)
    if axis is not None:
        if not -rank <= axis < rank:
            raise ValueError(
                f"fake_quant_with_min_max_vars: `axis` must be in [-{rank}, {rank}) for "
                f"inputs of rank {rank}, received axis={axis}")
        axis = axis % rank
    reduce_axes = None if axis is None else [i for i in range(rank) if i != axis]

    def per_channel(value):
        # A 1D per-channel range lines up with `axis` of the inputs.
        if axis is not None and len(value.shape) == 1:
            return ops.reshape(value, [-1 if i == axis else 1 for i in range(rank)])
        return value

    @ops.custom_gradient
    def fake_quant(x, low, high):
        dtype = _dtype(x)
        nudged_min, nudged_max, scale, inv_scale = _nudged_range(
            per_channel(low), per_channel(high), num_bits, narrow_range)
        quant_zero = ops.floor(ops.add(ops.multiply(ops.negative(nudged_min), inv_scale), 0.5))
        shifted = ops.subtract(ops.clip(ops.cast(x, nudged_min.dtype), nudged_min, nudged_max),
                               nudged_min)
        levels = ops.floor(ops.add(ops.subtract(ops.multiply(shifted, inv_scale), quant_zero),
                                   0.5))
        result = ops.cast(ops.multiply(levels, scale), dtype)
        inside = ops.logical_and(ops.greater_equal(x, nudged_min),
                                 ops.less_equal(x, nudged_max))

        def reduce_to(grad, like):
            grad = ops.sum(grad) if reduce_axes is None else ops.sum(grad, axis=reduce_axes)
            return ops.cast(ops.reshape(grad, ops.shape(like)), like.dtype)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            zeros = ops.zeros_like(upstream)
            d_x = ops.where(inside, upstream, zeros)
            d_min = ops.where(ops.less_equal(x, nudged_min), upstream, zeros)
            d_max = ops.where(ops.greater_equal(x, nudged_max), upstream, zeros)
            return d_x, reduce_to(d_min, low), reduce_to(d_max, high)

        return result, grad

    return fake_quant(inputs, min_vals, max_vals)


# -- float8 ------------------------------------------------------------------------------
def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The next float8 scale from the history maximum ``amax`` (Transformer Engine's rule).

    ``scale`` is the reciprocal of the scaling factor; where ``amax`` is not positive or
    not finite the old scale is kept.

    Args:
        amax: the maximum absolute value seen (from the amax history).
        scale: the current scale.
        dtype_max: the largest finite value of the float8 dtype.
        margin: a power-of-two safety margin.

    Returns:
        The new scale.
    """
    previous = ops.reciprocal(scale)
    factor = ops.divide(ops.divide(dtype_max, amax), 2 ** margin)
    factor = ops.where(ops.greater(amax, 0.0), factor, previous)
    factor = ops.where(ops.isfinite(amax), factor, previous)
    return ops.reciprocal(factor)


def compute_float8_amax_history(x, amax_history):
    """The amax history rolled by one, with ``max(|x|)`` as its first entry.

    Args:
        x: the tensor whose absolute maximum is recorded.
        amax_history: the 1D history, newest first after the update.

    Returns:
        The updated history, of the dtype of ``amax_history``.
    """
    newest = ops.cast(ops.max(ops.abs(x)), amax_history.dtype)
    return ops.scatter_update(ops.roll(amax_history, shift=-1), [[0]], ops.reshape(newest, [1]))


#: Float8 formats cornu rounds to on its own: name -> (mantissa bits, smallest normal
#: exponent, largest finite value).  They are OCP/ml_dtypes's formats.
_FLOAT8 = {
    "float8_e4m3fn": (3, -6, 448.0),
    "float8_e5m2": (2, -14, 57344.0),
    "float8_e4m3fnuz": (3, -7, 240.0),
    "float8_e5m2fnuz": (2, -15, 57344.0),
    "float8_e4m3b11fnuz": (3, -10, 30.0),
}


def _float_max(dtype):
    if dtype in _FLOAT8:
        return _FLOAT8[dtype][2]
    if dtype == "bfloat16":
        return float.fromhex("0x1.fep127")
    try:
        return float(np.finfo(dtype).max)
    except (TypeError, ValueError):
        raise ValueError(
            "quantize_and_dequantize: `quantized_dtype` must be a float dtype "
            f"({', '.join(sorted(_FLOAT8))}, float16, bfloat16, float32, float64), "
            f"received quantized_dtype={dtype!r}") from None


def _round_to_float8(x, dtype):
    """``x`` (already within the format's range) rounded to the nearest value of the
    float8 format ``dtype`` (ties to even), without a float8 tensor type: each value is
    rounded to its binade's step (the subnormal step below the smallest normal)."""
    mantissa, min_exponent, _ = _FLOAT8[dtype]
    work = backend.result_type(_dtype(x), "float32")
    values = ops.cast(x, work)
    magnitude = ops.abs(values)
    exponent = ops.floor(ops.log2(ops.where(ops.greater(magnitude, 0), magnitude, 1.0)))
    # log2 may land one off next to a power of two: settle the binade exactly.
    exponent = ops.where(ops.greater(ops.power(2.0, exponent), magnitude),
                         ops.subtract(exponent, 1), exponent)
    exponent = ops.where(ops.less_equal(ops.power(2.0, ops.add(exponent, 1)), magnitude),
                         ops.add(exponent, 1), exponent)
    exponent = ops.maximum(exponent, float(min_exponent))
    step = ops.cast(ops.power(2.0, ops.subtract(exponent, mantissa)), work)
    rounded = ops.multiply(ops.round(ops.divide(values, step)), step)
    # Straight through, as a cast is: the gradient of the rounding is the identity.
    # (rounded - values is exact, so values + it is exactly rounded.)
    return ops.add(values, ops.stop_gradient(ops.subtract(rounded, values)))


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """``inputs / scale`` clipped to and rounded in ``quantized_dtype``, times ``scale``.

    Args:
        inputs: the tensor.
        scale: the scale (a tensor or a number).
        quantized_dtype: a float8 dtype (``"float8_e4m3fn"``, ``"float8_e5m2"``) or
            another float dtype.
        compute_dtype: the dtype of the computation and of the result.

    Returns:
        The quantized-dequantized tensor, of dtype ``compute_dtype``.
    """
    quantized_dtype = ops.standardize_dtype(quantized_dtype) \
        if quantized_dtype not in _FLOAT8 else quantized_dtype
    limit = ops.cast(_float_max(quantized_dtype), compute_dtype)
    scale = ops.cast(scale, compute_dtype)
    x = ops.clip(ops.divide(inputs, scale), ops.negative(limit), limit)
    if quantized_dtype in _FLOAT8:
        x = _round_to_float8(x, quantized_dtype)
    else:
        x = ops.cast(x, quantized_dtype)
    return ops.multiply(ops.cast(x, compute_dtype), scale)


# -- int4 packing ------------------------------------------------------------------------
def _check_int4_dtype(fn, dtype):
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"{fn}: `dtype` must be 'int8' or 'uint8', received dtype={dtype!r}")


def pack_int4(arr, axis=0, dtype="int8"):
    """Pack int4 values (``[-8, 7]``, in an int8 or uint8 tensor) two to a byte along
    ``axis``: the first of each pair in the low nibble, the second in the high one.

    Args:
        arr: the int8 (or uint8) tensor of int4 values.
        axis: the axis to pack along; an odd length is zero-padded.
        dtype: ``"int8"`` or ``"uint8"``, the dtype of ``arr`` and of the packed tensor.

    Returns:
        ``(packed, packed_shape, orig_len)``: the packed tensor, its shape, and the
        length of ``axis`` before padding.
    """
    _check_int4_dtype("pack_int4", dtype)
    if ops.standardize_dtype(arr.dtype) != dtype:
        raise TypeError(f"pack_int4: expected a {dtype} tensor for packing, received "
                        f"{ops.standardize_dtype(arr.dtype)}.")
    # NumPy on the host: packing runs once, while quantizing, and int8 shifts that
    # overflow are exact there on every device.
    values = ops.convert_to_numpy(arr)
    axis = axis % values.ndim
    values = np.moveaxis(values, axis, 0)
    length = values.shape[0]
    if length % 2:
        values = np.concatenate([values, np.zeros((1,) + values.shape[1:], values.dtype)])
    np_dtype = np.dtype(dtype)
    nibble = np.array(0x0F, dtype=np_dtype)
    low = np.bitwise_and(values[0::2].astype(np_dtype), nibble)
    high = np.bitwise_and(values[1::2].astype(np_dtype), nibble)
    packed = np.bitwise_or(low, np.left_shift(high, np.array(4, dtype=np_dtype))).astype(np_dtype)
    packed = np.moveaxis(packed, 0, axis)
    return ops.convert_to_tensor(packed), tuple(packed.shape), length


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """The int4 values ``pack_int4`` packed along ``axis``, with the padding removed.

    Args:
        packed: the int8 or uint8 tensor of packed nibbles.
        orig_len: the length of ``axis`` before packing.
        axis: the axis that was packed.
        dtype: ``"int8"`` (values in ``[-8, 7]``) or ``"uint8"`` (``[0, 15]``).

    Returns:
        The unpacked tensor, of dtype ``dtype``.
    """
    _check_int4_dtype("unpack_int4", dtype)
    if ops.standardize_dtype(packed.dtype) not in ("int8", "uint8"):
        raise TypeError("unpack_int4: expected an int8 or uint8 tensor for unpacking, "
                        f"received {ops.standardize_dtype(packed.dtype)}")
    rank = len(packed.shape)
    axis = axis % rank
    order = [axis] + [i for i in range(rank) if i != axis]
    front = packed if axis == 0 else ops.transpose(packed, order)
    nibble = ops.array(0x0F, dtype=packed.dtype)
    halves = [ops.bitwise_and(front, nibble),
              ops.bitwise_and(ops.right_shift(front, 4), nibble)]
    if dtype == "int8":  # [0, 15] -> [-8, 7]: (v ^ 8) - 8
        eight = ops.cast(8, _dtype(front))
        halves = [ops.subtract(ops.bitwise_xor(h, eight), eight) for h in halves]
    halves = [ops.cast(h, dtype) for h in halves]
    unpacked = ops.reshape(ops.stack(halves, axis=1), (-1,) + tuple(ops.shape(front)[1:]))
    unpacked = unpacked[:orig_len, ...]
    if axis == 0:
        return unpacked
    return ops.transpose(unpacked, [order.index(i) for i in range(rank)])
