"""Initializers: callables ``init(shape, dtype=None)`` returning a backend tensor."""
import math
import random

from cornu import config, ops
from cornu import random as cr


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError  # abstract

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return ops.zeros(shape, dtype=dtype or config.floatx())


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return ops.ones(shape, dtype=dtype or config.floatx())


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return ops.full(shape, self.value, dtype=dtype or config.floatx())

    def get_config(self):
        return {"value": self.value}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2D shape, received {shape}")
        return ops.multiply(self.gain, ops.eye(shape[0], shape[1], dtype=dtype or config.floatx()))

    def get_config(self):
        return {"gain": self.gain}


class _Seeded(Initializer):
    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None, received {seed!r}")
        self.seed = seed
        # seed=None: a base seed drawn now from Python's `random`, as Keras draws it, so a
        # program that seeds `random` (SciKeras's random_state) rebuilds the same weights;
        # each call takes the next seed, so a reused instance still gives fresh values.
        self._base_seed = random.randint(1, 10**9) if seed is None else None
        self._calls = 0

    def _call_seed(self):
        if self.seed is not None:
            return self.seed
        self._calls += 1
        return self._base_seed + self._calls - 1

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None):
        return cr.normal(shape, mean=self.mean, stddev=self.stddev,
                         dtype=dtype or config.floatx(), seed=self._call_seed())

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None):
        return cr.truncated_normal(shape, mean=self.mean, stddev=self.stddev,
                                   dtype=dtype or config.floatx(), seed=self._call_seed())


class RandomUniform(_Seeded):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape, dtype=None):
        return cr.uniform(shape, minval=self.minval, maxval=self.maxval,
                          dtype=dtype or config.floatx(), seed=self._call_seed())

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) the Keras way: receptive field times channels for conv kernels.

    ``input_axes``/``output_axes`` name the axes that count as inputs and outputs
    (for einsum kernels); both must be given to take effect.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Seeded):
    """Samples with variance ``scale / n``, n from ``mode`` (fan_in, fan_out, fan_avg)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        self.input_axes = input_axes
        self.output_axes = output_axes
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive, received {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, received {mode!r}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(
                "VarianceScaling: distribution must be uniform, truncated_normal or "
                f"untruncated_normal, received {distribution!r}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def __call__(self, shape, dtype=None):
        dtype = dtype or config.floatx()
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / 0.87962566103423978
            return cr.truncated_normal(shape, mean=0.0, stddev=stddev, dtype=dtype, seed=self._call_seed())
        if self.distribution == "untruncated_normal":
            return cr.normal(shape, mean=0.0, stddev=math.sqrt(scale), dtype=dtype, seed=self._call_seed())
        limit = math.sqrt(3.0 * scale)
        return cr.uniform(shape, minval=-limit, maxval=limit, dtype=dtype, seed=self._call_seed())

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


def _fixed_variance(name, scale, mode, distribution, doc):
    class _Init(VarianceScaling):
        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed,
                             input_axes=input_axes, output_axes=output_axes)

        def get_config(self):
            return {"seed": self.seed, "input_axes": self.input_axes,
                    "output_axes": self.output_axes}

    _Init.__name__ = _Init.__qualname__ = name
    _Init.__doc__ = doc
    return _Init


GlorotUniform = _fixed_variance("GlorotUniform", 1.0, "fan_avg", "uniform",
                                "Uniform in [-l, l], l = sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _fixed_variance("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                               "Truncated normal, stddev = sqrt(2 / (fan_in + fan_out)).")
HeNormal = _fixed_variance("HeNormal", 2.0, "fan_in", "truncated_normal",
                           "Truncated normal, stddev = sqrt(2 / fan_in).")
HeUniform = _fixed_variance("HeUniform", 2.0, "fan_in", "uniform",
                            "Uniform in [-l, l], l = sqrt(6 / fan_in).")
LecunNormal = _fixed_variance("LecunNormal", 1.0, "fan_in", "truncated_normal",
                              "Truncated normal, stddev = sqrt(1 / fan_in).")
LecunUniform = _fixed_variance("LecunUniform", 1.0, "fan_in", "uniform",
                               "Uniform in [-l, l], l = sqrt(3 / fan_in).")
for _cls in (GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform):
    _cls.__module__ = __name__


class Orthogonal(_Seeded):
    """A (scaled) random orthogonal matrix, from the QR decomposition of a normal sample."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        import numpy as np

        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs at least 2D shape, received {shape}")
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        sample = ops.convert_to_numpy(cr.normal(flat, dtype="float32", seed=self._call_seed()))
        q, r = np.linalg.qr(sample)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        value = (self.gain * q).reshape(shape).astype(dtype or config.floatx())
        return ops.convert_to_tensor(value)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


#: The windows computed without scipy, with scipy's other names for them.
_NUMPY_WINDOWS = {
    "hann": ("hann", "han"), "hamming": ("hamming", "hamm", "ham"),
    "blackman": ("blackman", "black", "blk"), "bartlett": ("bartlett", "bart", "brt"),
    "boxcar": ("boxcar", "box", "ones", "rect", "rectangular"),
}
_NUMPY_WINDOW_NAMES = {alias: name for name, aliases in _NUMPY_WINDOWS.items()
                       for alias in aliases}


def get_window(window, length, periodic=False):
    """The samples of a named window: ``scipy.signal.get_window(window, length,
    fftbins=periodic)``.

    With scipy installed every ``scipy.signal.windows`` name works (an unknown name
    raises scipy's ValueError); without it, ``"hann"``, ``"hamming"``, ``"blackman"``,
    ``"bartlett"`` and ``"boxcar"`` are computed with numpy (the same formulas) and
    other names raise a ValueError that says to install scipy.  ``periodic=True``
    gives the DFT-even window (one sample longer, the last one dropped).
    """
    import numpy as np

    try:
        import scipy.signal
    except ImportError:
        scipy = None
    name = window
    if scipy is not None:
        return np.asarray(scipy.signal.get_window(window, length, fftbins=bool(periodic)))
    window = _NUMPY_WINDOW_NAMES.get(window) if isinstance(window, str) else None
    if window is None:
        raise ValueError(
            f"Unknown window {name!r}: without scipy cornu computes "
            f"{', '.join(map(repr, _NUMPY_WINDOWS))}; other scipy.signal windows need "
            "scipy installed (pip install scipy)"
        )
    if length == 1:
        return np.ones(1)
    m = length + 1 if periodic else length
    x = 2 * np.pi * np.arange(m) / (m - 1)
    if window == "hann":
        w = 0.5 - 0.5 * np.cos(x)
    elif window == "hamming":
        w = 0.54 - 0.46 * np.cos(x)
    elif window == "blackman":
        w = 0.42 - 0.5 * np.cos(x) + 0.08 * np.cos(2 * x)
    elif window == "bartlett":
        w = 1 - np.abs(2 * np.arange(m) / (m - 1) - 1)
    else:
        w = np.ones(m)
    return w[:length]


class STFT(Initializer):
    """The kernels of a short-time Fourier transform as a convolution (``STFTSpectrogram``).

    ``kernel[t, 0, f] = cos(-2 pi t f / n)`` (``side="real"``) or ``sin(...)``
    (``side="imag"``), with ``n = 2 * (bins - 1)`` for a shape ``(frame_length, 1,
    bins)``, times the window and divided by the window's norm.  Only half the
    frequency bins are computed: the others are their conjugates.

    Args:
        side: ``"real"`` (default) or ``"imag"``: the part of the DFT computed.
        window: the name of a ``scipy.signal.windows`` window (``"hann"``, default,
            ``"hamming"``...), an array of ``frame_length`` values, or None (no window).
        scaling: ``"density"`` (default: divide by the window's L2 norm),
            ``"spectrum"`` (by its L1 norm) or None.
        periodic: use the periodic (DFT-even) version of a named window (False).

    Example:

    >>> init = STFT("real", "hann", "density", False)
    >>> kernel = init(shape=(128, 1, 513))
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ["real", "imag"]:
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            get_window(window, 1)  # an unknown window name raises now
        if scaling is not None and scaling not in ["density", "spectrum"]:
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' "
                f"or 'spectrum'. Received scaling={scaling}"
            )
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None):
        """A ``(frame_length, input_channels, bins)`` kernel (``bins = fft_length // 2
        + 1``), computed in ``dtype`` (default: ``cornu.config.floatx()``) as Keras
        computes it."""
        dtype = ops.standardize_dtype(dtype or config.floatx())
        frame_length, _, fft_length = shape
        win = None
        scaling = 1
        if self.window is not None:
            win = self.window
            if isinstance(win, str):
                win = get_window(win, frame_length, self.periodic)
            win = ops.convert_to_tensor(win, dtype=dtype)
            if len(win.shape) != 1 or win.shape[-1] != frame_length:
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]."
                    f"Received: window shape={tuple(win.shape)}"
                )
            win = ops.reshape(win, [frame_length, 1, 1])
            if self.scaling == "density":
                scaling = ops.sqrt(ops.sum(ops.square(win)))
            elif self.scaling == "spectrum":
                scaling = ops.sum(ops.abs(win))
        _fft_length = (fft_length - 1) * 2
        freq = ops.divide(
            ops.reshape(ops.arange(fft_length, dtype=dtype), (1, 1, fft_length)),
            _fft_length,
        )
        time = ops.reshape(ops.arange(frame_length, dtype=dtype), (frame_length, 1, 1))
        args = ops.multiply(ops.multiply(-2, time), freq) * ops.arccos(ops.cast(-1, dtype))
        if self.side == "real":
            kernel = ops.cast(ops.cos(args), dtype)
        else:
            kernel = ops.cast(ops.sin(args), dtype)
        if win is not None:
            kernel = ops.divide(ops.multiply(kernel, win), scaling)
        return kernel

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic,
                "scaling": self.scaling}


ALL_INITIALIZERS = (
    Zeros, Ones, Constant, Identity, RandomNormal, TruncatedNormal, RandomUniform,
    VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
    LecunUniform, Orthogonal, STFT,
)
