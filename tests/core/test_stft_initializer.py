"""``cornu.initializers.STFT`` (``STFTInitializer``, ``stft``) against Keras 3.15.1's.

The kernels are computed with Keras's operations in the requested dtype, so they equal
Keras's on the same backend; the comparisons skip where Keras is not installed
(tests/core also runs with cornu-core alone) and the DFT reference below always runs.
"""
import json
import sys

import numpy as np
import pytest

import cornu
from cornu import initializers, ops
from cornu.initializers.initializers import get_window


@pytest.fixture(scope="module")
def keras():
    """Keras 3, imported after cornu's backend (one framework per process)."""
    ops.convert_to_tensor(np.zeros(1, "float32"))
    return pytest.importorskip("keras")


def np_(x):
    if hasattr(x, "detach"):  # a torch tensor (Keras's own conversion warns on numpy 2)
        return x.detach().cpu().numpy()
    return np.asarray(ops.convert_to_numpy(x))


SHAPES = [(16, 1, 9), (40, 1, 33), (256, 1, 129), (1024, 1, 513), (7, 2, 5)]
SETTINGS = [("hann", "density", False), ("hamming", "spectrum", True), (None, None, False),
            ("blackman", None, True), ("bartlett", "density", True), ("tukey", "spectrum", False),
            ("custom", "density", False)]


def test_the_keras_names_exist(keras):
    for name in ("STFT", "STFTInitializer", "stft"):
        assert hasattr(keras.initializers, name)
        assert name in dir(initializers)
        assert getattr(initializers, name) is initializers.STFT
    assert initializers.STFT().get_config() == keras.initializers.STFT().get_config()


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("side", ["real", "imag"])
def test_values_match_keras(keras, shape, side):
    for window, scaling, periodic in SETTINGS:
        if window == "custom":
            window = list(np.linspace(0.1, 1.0, shape[0]))
        for dtype in ("float32", "float64"):
            ours = initializers.STFT(side, window, scaling, periodic)(shape, dtype=dtype)
            theirs = keras.initializers.STFT(side, window, scaling, periodic)(shape, dtype=dtype)
            ours, theirs = np_(ours), np_(theirs)
            assert ours.dtype == theirs.dtype == np.dtype(dtype)
            assert ours.shape == theirs.shape
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6 if dtype == "float32"
                                       else 1e-12, err_msg=f"{window} {scaling} {periodic}")


def test_names_and_default_dtype():
    for name in ("STFT", "STFTInitializer", "stft"):
        assert getattr(initializers, name) is initializers.STFT
    assert isinstance(initializers.STFT(), initializers.Initializer)
    assert ops.standardize_dtype(initializers.STFT()((8, 1, 5)).dtype) == cornu.config.floatx()


def test_values_are_the_windowed_dft():
    frame, bins = 32, 17
    n = 2 * (bins - 1)
    real = np_(initializers.STFT("real", None, None)((frame, 1, bins), dtype="float64"))
    imag = np_(initializers.STFT("imag", None, None)((frame, 1, bins), dtype="float64"))
    t = np.arange(frame)[:, None]
    f = np.arange(bins)[None, :]
    dft = np.exp(-2j * np.pi * t * f / n)
    np.testing.assert_allclose(real[:, 0], dft.real, atol=1e-12)
    np.testing.assert_allclose(imag[:, 0], dft.imag, atol=1e-12)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / (frame - 1))
    for scaling, norm in [("density", np.sqrt((hann ** 2).sum())), ("spectrum", hann.sum()),
                          (None, 1.0)]:
        got = np_(initializers.STFT("real", "hann", scaling)((frame, 1, bins), dtype="float64"))
        np.testing.assert_allclose(got[:, 0], dft.real * hann[:, None] / norm, atol=1e-12)
    # a signal's STFT frame is the kernel applied to it
    x = np.random.default_rng(0).normal(size=frame)
    np.testing.assert_allclose(x @ real[:, 0], np.fft.rfft(x, n).real[:bins], atol=1e-9)


def test_config_round_trip_and_serialization(keras):
    init = initializers.STFT("imag", [0.5] * 8, "spectrum", True)
    config = init.get_config()
    assert config == {"side": "imag", "window": [0.5] * 8, "periodic": True,
                      "scaling": "spectrum"}
    clone = initializers.STFT.from_config(config)
    np.testing.assert_array_equal(np_(clone((8, 1, 5))), np_(init((8, 1, 5))))
    record = initializers.serialize(init)
    assert record == keras.initializers.serialize(keras.initializers.STFT.from_config(config))
    assert json.loads(json.dumps(record)) == record
    again = initializers.deserialize(record)
    assert isinstance(again, initializers.STFT) and again.get_config() == config
    for name in ("stft", "STFT"):
        got = initializers.get(name)
        assert isinstance(got, initializers.STFT)
        assert got.get_config() == keras.initializers.get(name).get_config()
    # a Keras record loads in cornu, a cornu record in Keras
    theirs = keras.initializers.serialize(keras.initializers.STFT("real", "hamming", None))
    assert initializers.deserialize(theirs).get_config() == {
        "side": "real", "window": "hamming", "periodic": False, "scaling": None}
    assert keras.initializers.deserialize(record).get_config() == config


def test_errors_match_keras(keras):
    for kwargs in [{"side": "both"}, {"scaling": "energy"}, {"window": "no-such-window"}]:
        with pytest.raises(ValueError) as theirs:
            keras.initializers.STFT(**kwargs)
        with pytest.raises(ValueError) as ours:
            initializers.STFT(**kwargs)
        assert str(ours.value) == str(theirs.value)
    for module in (keras.initializers, initializers):
        with pytest.raises(ValueError, match="frame_length"):
            module.STFT(window=[1.0, 2.0])((3, 1, 5))


def test_windows_without_scipy(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.signal", None)
    np.testing.assert_allclose(get_window("hann", 5), [0, 0.5, 1, 0.5, 0], atol=1e-15)
    np.testing.assert_allclose(get_window("hann", 4, periodic=True), [0, 0.5, 1, 0.5],
                               atol=1e-15)
    np.testing.assert_allclose(get_window("bartlett", 5), [0, 0.5, 1, 0.5, 0], atol=1e-15)
    np.testing.assert_allclose(get_window("hamming", 3), [0.08, 1, 0.08], atol=1e-15)
    np.testing.assert_allclose(get_window("ones", 3), [1, 1, 1])
    np.testing.assert_allclose(get_window("hann", 1), [1])
    kernel = np_(initializers.STFT("real", "hann", None)((5, 1, 3), dtype="float64"))
    np.testing.assert_allclose(kernel[:, 0, 0], [0, 0.5, 1, 0.5, 0], atol=1e-15)


def test_windows_without_scipy_match_scipy(monkeypatch):
    scipy_signal = pytest.importorskip("scipy.signal")
    expected = {(name, n, p): scipy_signal.get_window(name, n, fftbins=p)
                for name in ("hann", "hamming", "blackman", "bartlett", "boxcar", "han", "rect")
                for n in (1, 2, 7, 64) for p in (False, True)}
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.signal", None)
    for (name, n, periodic), want in expected.items():
        np.testing.assert_allclose(get_window(name, n, periodic), want, atol=1e-12,
                                   err_msg=f"{name} {n} {periodic}")
    with pytest.raises(ValueError, match="pip install scipy"):
        get_window("tukey", 8)
    with pytest.raises(ValueError, match="pip install scipy"):
        initializers.STFT(window="kaiser")


def test_the_stft_spectrogram_layer_uses_it():
    preprocessing = pytest.importorskip("cornu.layers.preprocessing.stft_spectrogram")
    assert preprocessing.STFTInitializer is initializers.STFT
    layer = cornu.layers.STFTSpectrogram(frame_length=16, frame_step=8, fft_length=32,
                                         window="hamming", periodic=True)
    layer.build((None, 64, 1))
    want = initializers.STFT("real", "hamming", "density", True)((16, 1, 17))
    np.testing.assert_array_equal(np_(layer.real_kernel.value), np_(want))
