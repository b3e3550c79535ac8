"""``STFTSpectrogram``: the short-time Fourier transform of 1-D signals as a layer.

The transform runs on the backend as a strided 1-D convolution with DFT kernels (the
real and imaginary parts of the windowed Fourier basis, weights ``real_kernel`` and
``imag_kernel`` as in Keras 3), so it is differentiable, runs on the device and the
kernels can be fine-tuned (``trainable=True``).  The kernels' initializer and the
windows are cornu-core's (``cornu.initializers.STFT``, Keras's ``keras.initializers.STFT``).
"""
import math
import warnings

import numpy as np

from cornu import CornuWarning, config, ops
from cornu.initializers.initializers import STFT as STFTInitializer
from cornu.initializers.initializers import get_window
from cornu.layer import InputSpec, Layer


class STFTSpectrogram(Layer):
    """Computes the STFT of 1-D signals with convolution kernels.

    Input: ``(batch, time, channels)`` (``channels_last``) or ``(batch, channels, time)``.

    Args:
        mode: ``"log"`` (default), ``"magnitude"``, ``"psd"``, ``"real"``, ``"imag"``,
            ``"angle"`` or ``"stft"`` (real and imaginary parts concatenated).
        frame_length: samples per frame (default 256).
        frame_step: the hop between frames (default ``frame_length // 2``).
        fft_length: the FFT size (default: the next power of two >= frame_length).
        window: ``"hann"`` (default), ``"hamming"``, another window name, an array of
            ``frame_length`` values, or None.
        periodic: use the periodic version of a named window.
        scaling: ``"density"`` (default), ``"spectrum"`` or None.
        padding: ``"valid"`` (default) or ``"same"``.
        expand_dims: keep the channels on their own axis (an image-like output).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the
            configured image data format).
        **kwargs: base ``Layer`` arguments (``trainable`` makes the kernels trainable).
    """

    _MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                "STFTSpectrogram: `frame_step` should be a positive integer not greater "
                f"than `frame_length`. Received frame_step={frame_step}, "
                f"frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "STFTSpectrogram: `fft_length` should be not less than `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}"
            )
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received "
                          f"fft_length={fft_length}", stacklevel=2, category=CornuWarning)
        if mode not in self._MODES:
            raise ValueError(
                "STFTSpectrogram: output mode is invalid, it must be one of "
                f"{', '.join(self._MODES)}. Received: mode={mode}"
            )
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "STFTSpectrogram: scaling is invalid, it must be None, 'density' or "
                f"'spectrum'. Received scaling={scaling}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(
                "STFTSpectrogram: padding is invalid, it should be 'valid' or 'same'. "
                f"Received: padding={padding}"
            )
        if isinstance(window, str):
            get_window(window, 1)  # an unknown name fails now, not at build time
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel", shape=shape,
                initializer=STFTInitializer("real", window, self.scaling, self.periodic))
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel", shape=shape,
                initializer=STFTInitializer("imag", window, self.scaling, self.periodic))

    def _conv(self, inputs, kernel):
        """(batch, channels, freq, time) of one kernel applied to every channel."""
        if self.data_format == "channels_last":
            _, time, channels = inputs.shape
            x = ops.reshape(ops.transpose(inputs, (0, 2, 1)), (-1, time, 1))
        else:
            _, channels, time = inputs.shape
            x = ops.reshape(inputs, (-1, 1, time))
        out = ops.conv(x, ops.cast(kernel, x.dtype), strides=self._frame_step,
                       padding=self.padding, data_format=self.data_format)
        if self.data_format == "channels_last":
            _, frames, freq = out.shape
            out = ops.transpose(out, (0, 2, 1))
        else:
            _, freq, frames = out.shape
        return ops.reshape(out, (-1, channels, freq, frames))

    def _adjust(self, outputs):
        _, channels, freq, frames = outputs.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return ops.transpose(outputs, (0, 3, 2, 1))
            return ops.transpose(ops.reshape(outputs, (-1, channels * freq, frames)), (0, 2, 1))
        if self.expand_dims:
            return ops.transpose(outputs, (0, 1, 3, 2))
        return ops.reshape(outputs, (-1, channels * freq, frames))

    def call(self, inputs):
        from cornu.backend import get_backend

        inputs = ops.convert_to_tensor(inputs)
        dtype = get_backend().core.dtype(inputs)
        if dtype not in ("float16", "float32", "float64", "bfloat16"):
            raise TypeError(
                f"STFTSpectrogram '{self.name}': invalid input type. Expected float16, "
                f"float32 or float64. Received: input type={dtype}"
            )
        real = imag = None
        if self.mode != "imag":
            real = self._conv(inputs, self.real_kernel)
        if self.mode != "real":
            imag = self._conv(inputs, self.imag_kernel)
        if self.mode == "real":
            return self._adjust(real)
        if self.mode == "imag":
            return self._adjust(imag)
        if self.mode == "angle":
            return self._adjust(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._adjust(ops.concatenate([real, imag], axis=2))
        power = ops.add(ops.square(real), ops.square(imag))
        if self.mode == "psd":
            # One-sided PSD: every bin except DC and Nyquist counts twice.
            inner = ops.pad(power[:, :, 1:-1, :], ((0, 0), (0, 0), (1, 1), (0, 0)))
            return self._adjust(ops.add(power, inner))
        magnitude = self._adjust(ops.sqrt(ops.maximum(power, config.epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return ops.log(ops.maximum(magnitude, config.epsilon()))

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            batch, time, channels = input_shape
        else:
            batch, channels, time = input_shape
        freq = self._fft_length // 2 + 1
        if self.mode == "stft":
            freq *= 2
        if time is None:
            frames = None
        elif self.padding == "valid":
            frames = (time - self.frame_length) // self._frame_step + 1
        else:
            frames = -(-time // self._frame_step)
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, freq, channels)
            return (batch, channels, frames, freq)
        if self.data_format == "channels_last":
            return (batch, frames, None if channels is None else freq * channels)
        return (batch, None if channels is None else freq * channels, frames)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": self.window.tolist() if isinstance(self.window, np.ndarray) else self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        })
        return cfg
