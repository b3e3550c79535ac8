"""``cornu.ops.math`` on TensorFlow."""
import tensorflow as tf

from cornu.backends.tensorflow._utils import index_tensor, to_float, to_tensor

_tensor = to_tensor


def logsumexp(x, axis=None, keepdims=False):
    x = to_float(x)
    if isinstance(axis, int):
        axis = [axis]
    elif axis is not None:
        axis = list(axis)
    return tf.reduce_logsumexp(x, axis=axis, keepdims=keepdims)


def top_k(x, k, sorted=True):
    x = _tensor(x)
    values, indices = tf.math.top_k(x, k=int(k), sorted=sorted)
    return values, indices


def in_top_k(targets, predictions, k):
    targets = index_tensor(targets)
    predictions = to_float(predictions)
    target_values = tf.gather(predictions, tf.expand_dims(targets, -1), batch_dims=1)
    better = tf.reduce_sum(tf.cast(predictions > target_values, tf.int32), axis=-1)
    return better < k


def _num_segments(segment_ids, num_segments):
    if num_segments is None:
        return tf.reduce_max(segment_ids) + 1
    return num_segments


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    data, segment_ids = _tensor(data), index_tensor(segment_ids)
    return tf.math.unsorted_segment_sum(data, segment_ids, _num_segments(segment_ids, num_segments))


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    data, segment_ids = _tensor(data), index_tensor(segment_ids)
    return tf.math.unsorted_segment_prod(data, segment_ids, _num_segments(segment_ids, num_segments))


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    data, segment_ids = _tensor(data), index_tensor(segment_ids)
    return tf.math.unsorted_segment_max(data, segment_ids, _num_segments(segment_ids, num_segments))


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    data, segment_ids = _tensor(data), index_tensor(segment_ids)
    return tf.math.unsorted_segment_min(data, segment_ids, _num_segments(segment_ids, num_segments))


def erf(x):
    return tf.math.erf(to_float(x))


def erfc(x):
    return tf.math.erfc(to_float(x))


def erfinv(x):
    return tf.math.erfinv(to_float(x))


def rsqrt(x):
    return tf.math.rsqrt(to_float(x))


def logdet(x):
    x = to_float(x)
    sign, logabs = tf.linalg.slogdet(x)
    return tf.where(sign > 0, logabs, tf.where(sign < 0, tf.constant(float("nan"), logabs.dtype), tf.constant(-float("inf"), logabs.dtype)))


def extract_sequences(x, sequence_length, sequence_stride):
    x = _tensor(x)
    return tf.signal.frame(x, int(sequence_length), int(sequence_stride), axis=-1)


def _complex(x):
    if isinstance(x, (tuple, list)) and len(x) == 2:
        return tf.complex(to_float(x[0]), to_float(x[1]))
    x = _tensor(x)
    return x if x.dtype.is_complex else tf.complex(to_float(x), tf.zeros_like(to_float(x)))


def _split(z):
    return tf.math.real(z), tf.math.imag(z)


def fft(x):
    return _split(tf.signal.fft(_complex(x)))


def ifft(x):
    return _split(tf.signal.ifft(_complex(x)))


def fft2(x):
    return _split(tf.signal.fft2d(_complex(x)))


def ifft2(x):
    return _split(tf.signal.ifft2d(_complex(x)))


def rfft(x, fft_length=None):
    x = to_float(x)
    return _split(tf.signal.rfft(x, None if fft_length is None else [fft_length]))


def irfft(x, fft_length=None):
    return tf.signal.irfft(_complex(x), None if fft_length is None else [fft_length])


def cdist(x, y):
    x, y = to_float(x), to_float(y)
    d = tf.expand_dims(x, -2) - tf.expand_dims(y, -3)
    return tf.sqrt(tf.reduce_sum(tf.square(d), axis=-1))


def view_as_complex(x):
    x = to_float(x)
    return tf.complex(x[..., 0], x[..., 1])


def view_as_real(x):
    x = _tensor(x)
    return tf.stack([tf.math.real(x), tf.math.imag(x)], axis=-1)


from cornu.ops.toolkit import istft, stft  # noqa: E402,F401  (written on cornu.ops)
