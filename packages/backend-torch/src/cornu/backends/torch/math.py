"""``cornu.ops.math`` on PyTorch."""
import torch

from cornu.backends.torch._utils import to_float, to_tensor

_tensor = to_tensor


def logsumexp(x, axis=None, keepdims=False):
    x = to_float(x)
    if axis is None:
        axis = tuple(range(x.ndim))
    elif isinstance(axis, int):
        axis = (axis,)
    if not axis:
        return x
    return torch.logsumexp(x, dim=tuple(axis), keepdim=keepdims)


def top_k(x, k, sorted=True):
    x = _tensor(x)
    values, indices = torch.topk(x, int(k), dim=-1, largest=True, sorted=sorted)
    return values, indices.to(torch.int32)


def in_top_k(targets, predictions, k):
    targets = _tensor(targets).long()
    predictions = to_float(predictions)
    target_values = torch.gather(predictions, -1, targets.unsqueeze(-1))
    # Ties count in favour of the target, as in TF.
    better = torch.sum(predictions > target_values, dim=-1)
    return better < k


def _segment(data, segment_ids, num_segments, reduce, include_self_value):
    data = _tensor(data)
    segment_ids = _tensor(segment_ids).long()
    if num_segments is None:
        num_segments = int(segment_ids.max()) + 1 if segment_ids.numel() else 0
    shape = (num_segments,) + tuple(data.shape[1:])
    valid = (segment_ids >= 0) & (segment_ids < num_segments)
    ids = torch.where(valid, segment_ids, torch.zeros_like(segment_ids))
    if reduce == "sum":
        vals = torch.where(valid.reshape(-1, *([1] * (data.ndim - 1))), data, torch.zeros_like(data))
        out = torch.zeros(shape, dtype=data.dtype, device=data.device)
        return out.index_add_(0, ids, vals)
    index = ids.reshape(-1, *([1] * (data.ndim - 1))).expand_as(data)
    if reduce == "prod":
        init = torch.ones(shape, dtype=data.dtype, device=data.device)
        fill = torch.ones_like(data)
    elif reduce == "amax":
        init = torch.full(shape, include_self_value, dtype=data.dtype, device=data.device)
        fill = torch.full_like(data, include_self_value)
    else:
        init = torch.full(shape, include_self_value, dtype=data.dtype, device=data.device)
        fill = torch.full_like(data, include_self_value)
    vals = torch.where(valid.reshape(-1, *([1] * (data.ndim - 1))), data, fill)
    return init.scatter_reduce(0, index, vals, reduce=reduce, include_self=True)


def _lowest(dtype):
    return -float("inf") if dtype.is_floating_point else torch.iinfo(dtype).min


def _highest(dtype):
    return float("inf") if dtype.is_floating_point else torch.iinfo(dtype).max


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    return _segment(data, segment_ids, num_segments, "sum", None)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    return _segment(data, segment_ids, num_segments, "prod", None)


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    data = _tensor(data)
    return _segment(data, segment_ids, num_segments, "amax", _lowest(data.dtype))


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    data = _tensor(data)
    return _segment(data, segment_ids, num_segments, "amin", _highest(data.dtype))


def erf(x):
    return torch.erf(to_float(x))


def erfc(x):
    return torch.erfc(to_float(x))


def erfinv(x):
    return torch.erfinv(to_float(x))


def rsqrt(x):
    return torch.rsqrt(to_float(x))


def logdet(x):
    return torch.logdet(to_float(x))


def extract_sequences(x, sequence_length, sequence_stride):
    x = _tensor(x)
    return x.unfold(-1, int(sequence_length), int(sequence_stride))


def _complex(x):
    if isinstance(x, (tuple, list)) and len(x) == 2:
        real, imag = to_float(x[0]), to_float(x[1])
        return torch.complex(real, imag)
    x = _tensor(x)
    return x if x.is_complex() else torch.complex(to_float(x), torch.zeros_like(to_float(x)))


def _split(z):
    return torch.real(z).contiguous(), torch.imag(z).contiguous()


def fft(x):
    return _split(torch.fft.fft(_complex(x)))


def ifft(x):
    return _split(torch.fft.ifft(_complex(x)))


def fft2(x):
    return _split(torch.fft.fft2(_complex(x)))


def ifft2(x):
    return _split(torch.fft.ifft2(_complex(x)))


def rfft(x, fft_length=None):
    return _split(torch.fft.rfft(to_float(x), n=fft_length))


def irfft(x, fft_length=None):
    return torch.fft.irfft(_complex(x), n=fft_length)


def cdist(x, y):
    return torch.cdist(to_float(x), to_float(y))


def view_as_complex(x):
    x = to_float(x)
    return torch.complex(x[..., 0], x[..., 1])


def view_as_real(x):
    x = _tensor(x)
    return torch.stack([torch.real(x), torch.imag(x)], dim=-1)


from cornu.ops.toolkit import istft, stft  # noqa: E402,F401  (written on cornu.ops)
