"""STFTSpectrogram and MelSpectrogram against numpy FFTs and Keras 3."""
import numpy as np
import pytest

import cornu
from cornu.layers.preprocessing.mel_spectrogram import mel_weight_matrix

from .conftest import to_numpy

L = cornu.layers


def _numpy_stft(x, frame_length, step, fft_length, window, scaling="density"):
    """(batch, frames, bins) complex STFT of (batch, time) with 'valid' framing."""
    frames = np.stack([x[:, i:i + frame_length]
                       for i in range(0, x.shape[1] - frame_length + 1, step)], axis=1)
    scale = np.sqrt(np.sum(window ** 2)) if scaling == "density" else np.sum(np.abs(window))
    return np.fft.rfft(frames * window, n=fft_length) / scale


def _hann(n, periodic):
    m = n + 1 if periodic else n
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(m) / (m - 1)))[:n]


@pytest.mark.parametrize("mode", ["real", "imag", "magnitude", "log", "psd", "angle", "stft"])
def test_stft_modes_match_numpy(rng, mode):
    x = rng.normal(size=(2, 200, 1)).astype("float32")
    layer = L.STFTSpectrogram(mode=mode, frame_length=32, frame_step=16, fft_length=64)
    out = to_numpy(layer(x))
    z = _numpy_stft(x[..., 0].astype("float64"), 32, 16, 64, _hann(32, False))
    expected = {
        "real": z.real, "imag": z.imag, "magnitude": np.abs(z), "log": np.log(np.abs(z)),
        "angle": np.angle(z), "stft": np.concatenate([z.real, z.imag], axis=-1),
    }.get(mode)
    if mode == "psd":
        power = np.abs(z) ** 2
        expected = power.copy()
        expected[..., 1:-1] *= 2
    assert out.shape == layer.compute_output_shape(x.shape)
    if mode == "angle":  # compare on the circle; tiny components have arbitrary phase
        keep = np.abs(z) > 1e-3
        np.testing.assert_allclose(np.cos(out)[keep], np.cos(expected)[keep], atol=1e-3)
        return
    np.testing.assert_allclose(out, expected, rtol=2e-3, atol=2e-4)


def test_stft_layouts_and_keras(rng, keras):
    x = rng.normal(size=(2, 160, 3)).astype("float32")
    for kwargs in ({"padding": "same", "window": "hamming", "periodic": True},
                   {"expand_dims": True, "scaling": "spectrum"},
                   {"data_format": "channels_first", "mode": "magnitude"}):
        inp = np.transpose(x, (0, 2, 1)) if kwargs.get("data_format") == "channels_first" else x
        ours = L.STFTSpectrogram(frame_length=40, frame_step=20, **kwargs)
        theirs = keras.layers.STFTSpectrogram(frame_length=40, frame_step=20, **kwargs)
        got = to_numpy(ours(inp))
        np.testing.assert_allclose(got, keras.ops.convert_to_numpy(theirs(inp)), rtol=1e-4, atol=1e-4,
                                   err_msg=str(kwargs))
        assert got.shape == ours.compute_output_shape(inp.shape)
        assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    custom = np.linspace(0.1, 1.0, 40)
    ours = L.STFTSpectrogram(frame_length=40, window=custom, mode="real")
    z = _numpy_stft(x[:1, :, 0].astype("float64"), 40, 20, 64, custom)
    np.testing.assert_allclose(to_numpy(ours(x[:1, :, :1])), z.real, rtol=1e-3, atol=1e-4)


def test_stft_errors():
    with pytest.raises(ValueError, match="frame_step"):
        L.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="mode"):
        L.STFTSpectrogram(mode="loud")
    with pytest.raises(TypeError, match="input type"):
        L.STFTSpectrogram(frame_length=4)(np.ones((1, 16, 1), "int32"))


def test_mel_spectrogram_matches_numpy(rng):
    x = rng.normal(size=(2, 1000)).astype("float32")
    layer = L.MelSpectrogram(fft_length=128, sequence_stride=64, num_mel_bins=10,
                             sampling_rate=8000, power_to_db=False)
    out = to_numpy(layer(x))
    padded = np.pad(x.astype("float64"), ((0, 0), (64, 64)), mode="reflect")
    frames = np.stack([padded[:, i:i + 128] for i in range(0, padded.shape[1] - 127, 64)], 1)
    power = np.abs(np.fft.rfft(frames * _hann(128, True))) ** 2
    expected = np.swapaxes(power @ mel_weight_matrix(10, 65, 8000, 20.0, 4000.0), 1, 2)
    assert out.shape == layer.compute_output_shape(x.shape) == (2, 10, 16)
    np.testing.assert_allclose(out, expected, rtol=1e-3, atol=1e-3)
    # The filter bank: HTK triangles peaking at 1 between mel-spaced edges, no DC weight.
    bank = mel_weight_matrix(10, 65, 8000, 20.0, 4000.0)
    assert bank.shape == (65, 10) and not bank[0].any() and bank.max() <= 1.0 + 1e-6


def test_mel_spectrogram_matches_keras(rng, keras):
    x = rng.normal(size=(2, 2000)).astype("float32")
    for kwargs in ({}, {"sequence_length": 200, "window": "hamming", "mag_exp": 1.0},
                   {"top_db": 20.0, "ref_power": 2.0, "window": None}):
        ours = L.MelSpectrogram(fft_length=256, sequence_stride=100, num_mel_bins=16,
                                **kwargs)
        theirs = keras.layers.MelSpectrogram(fft_length=256, sequence_stride=100,
                                             num_mel_bins=16, **kwargs)
        np.testing.assert_allclose(to_numpy(ours(x)), np.asarray(theirs(x)), rtol=1e-3,
                                   atol=2e-3, err_msg=str(kwargs))
    single = to_numpy(L.MelSpectrogram(fft_length=256, sequence_stride=100, num_mel_bins=16)(
        x[0]))
    assert single.shape == (16, 21)
    cfg = L.MelSpectrogram(num_mel_bins=8).get_config()
    assert L.MelSpectrogram.from_config(cfg).get_config() == cfg
