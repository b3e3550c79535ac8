"""``MelSpectrogram``: mel-scaled (log) power spectrograms of audio signals.

Runs on the backend: the signal is reflect-padded by ``fft_length // 2`` on both sides
(``center=True``), cut into frames of ``fft_length`` samples every
``sequence_stride``, multiplied by the window (``sequence_length`` samples, centred in
the frame), transformed with ``ops.rfft``, raised to ``mag_exp``, projected on the
HTK mel filter bank (computed once with numpy) and optionally converted to decibels,
exactly the pipeline of Keras 3's layer.
"""
import numpy as np

from cornu import ops
from cornu.layer import Layer
from cornu.layers.preprocessing import _common
from cornu.layers.preprocessing.stft_spectrogram import get_window

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(frequencies):
    return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + frequencies / _MEL_BREAK_FREQUENCY_HERTZ)


def mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sampling_rate=8000,
                      lower_edge_hertz=125.0, upper_edge_hertz=3800.0, dtype="float32"):
    """The ``(num_spectrogram_bins, num_mel_bins)`` HTK mel filter bank (numpy).

    Triangles with a peak of 1.0 between consecutive mel band edges, spaced evenly on
    ``mel(f) = 1127 ln(1 + f / 700)`` from ``lower_edge_hertz`` to ``upper_edge_hertz``;
    the DC bin gets no weight.
    """
    f32 = np.float32
    nyquist = f32(sampling_rate) / f32(2.0)
    linear = np.linspace(f32(0.0), nyquist, num_spectrogram_bins, dtype="float32")[1:]
    bins_mel = _hertz_to_mel(linear).astype("float32")[:, None]
    edges = np.linspace(_hertz_to_mel(f32(lower_edge_hertz)), _hertz_to_mel(f32(upper_edge_hertz)),
                        num_mel_bins + 2, dtype="float32")
    lower, center, upper = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(f32(0.0), np.minimum(lower_slopes, upper_slopes))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(dtype)


class MelSpectrogram(Layer):
    """Converts raw audio ``(batch, samples)`` (or ``(samples,)``) to mel spectrograms
    ``(batch, num_mel_bins, frames)``.

    Args:
        fft_length: the FFT size and frame length (default 2048).
        sequence_stride: the hop between frames (default 512).
        sequence_length: the window length (default ``fft_length``).
        window: ``"hann"`` (default), ``"hamming"`` or None (periodic windows, as
            ``keras.ops.stft``).
        sampling_rate: samples per second (default 16000).
        num_mel_bins: mel bands (default 128).
        min_freq, max_freq: the mel range in Hz (default 20 and ``sampling_rate / 2``).
        power_to_db: convert the power to decibels (default True).
        top_db: the dynamic range kept below the maximum, in dB (default 80).
        mag_exp: the exponent of the magnitude (2: power, 1: magnitude).
        min_power: the floor of the power before the log (default 1e-10).
        ref_power: the reference power of 0 dB (default 1.0).
        **kwargs: base ``Layer`` arguments.
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "MelSpectrogram: `fft_length` must be greater than or equal to "
                f"`sequence_length`. Received: sequence_length={self.sequence_length}, "
                f"fft_length={self.fft_length}."
            )
        if window is not None and window not in ("hann", "hamming"):
            raise ValueError(
                "MelSpectrogram: `window` must be 'hann', 'hamming' or None. Received: "
                f"window={window!r}"
            )
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)
        self._constants = None

    def _cached(self, dtype):
        if self._constants is None or self._constants[0] != dtype:
            bins = self.fft_length // 2 + 1
            window = np.ones(self.fft_length)
            if self.window is not None:
                w = get_window(self.window, self.sequence_length, periodic=True)
                left = (self.fft_length - self.sequence_length) // 2
                window = np.zeros(self.fft_length)
                window[left:left + self.sequence_length] = w
            matrix = mel_weight_matrix(self.num_mel_bins, bins, self.sampling_rate,
                                       self.min_freq, self.max_freq)
            self._constants = (dtype, _common.constant(window, dtype),
                               _common.constant(matrix, dtype))
        return self._constants[1:]

    def linear_to_mel_weight_matrix(self, num_mel_bins=20, num_spectrogram_bins=129,
                                    sampling_rate=8000, lower_edge_hertz=125.0,
                                    upper_edge_hertz=3800.0, dtype="float32"):
        """The mel filter bank as a backend tensor (see ``mel_weight_matrix``)."""
        return ops.convert_to_tensor(mel_weight_matrix(
            num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz,
            upper_edge_hertz, dtype))

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        x = ops.convert_to_tensor(inputs, dtype=dtype)
        window, matrix = self._cached(dtype)
        pad = self.fft_length // 2
        widths = [(0, 0)] * (len(x.shape) - 1) + [(pad, pad)]
        x = ops.pad(x, widths, mode="reflect")
        frames = ops.extract_sequences(x, self.fft_length, self.sequence_stride)
        real, imag = ops.rfft(ops.multiply(frames, window))
        spec = ops.sqrt(ops.add(ops.square(real), ops.square(imag)))
        spec = ops.power(spec, self.mag_exp)
        mel = ops.tensordot(spec, matrix, axes=1)
        if self.power_to_db:
            mel = self._dbscale(mel)
        mel = ops.swapaxes(mel, -1, -2)
        return ops.cast(mel, self.compute_dtype)

    def _dbscale(self, power):
        log_spec = ops.multiply(10.0, ops.log10(ops.maximum(power, self.min_power)))
        ref = max(abs(float(self.ref_power)), self.min_power)
        log_spec = ops.subtract(log_spec, 10.0 * float(np.log10(ref)))
        # As in Keras: the floor is ``top_db`` below the maximum of the whole batch.
        return ops.maximum(log_spec, ops.subtract(ops.max(log_spec), self.top_db))

    def compute_output_shape(self, input_shape):
        def frames(n):  # centred frames: the signal is padded by fft_length // 2 per side
            pad = self.fft_length // 2
            return None if n is None else 1 + (n + 2 * pad - self.fft_length) // self.sequence_stride

        if len(input_shape) == 1:
            return (self.num_mel_bins, frames(input_shape[0]))
        return (input_shape[0], self.num_mel_bins, frames(input_shape[1]))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        })
        return cfg
