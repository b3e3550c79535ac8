"""``model.save(path, save_format=...)``: Keras 2's argument, which Keras 3 still
accepts with a warning when the filename names the format (KerasRS's test helper
saves with ``save_format="keras_v3"``), and refuses otherwise."""
import os

import numpy as np
import pytest

import cornu
from cornu import layers


def _model():
    inputs = cornu.Input((3,))
    return cornu.Model(inputs, layers.Dense(2)(inputs))


def test_save_format_with_a_keras_filename_warns_and_saves(tmp_path):
    model = _model()
    path = os.fspath(tmp_path / "model.keras")
    with pytest.warns(UserWarning, match="`save_format` argument is deprecated"):
        model.save(path, save_format="keras_v3")
    restored = cornu.models.load_model(path)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.warns(cornu.CornuWarning):
        cornu.saving.save_model(model, path, save_format="keras")


def test_save_format_with_another_filename_and_unknown_arguments_are_refused(tmp_path):
    model = _model()
    with pytest.raises(ValueError, match="pass a file path with either `.keras` or `.h5`"):
        model.save(os.fspath(tmp_path / "model"), save_format="tf")
    with pytest.raises(ValueError, match=r"not supported: \['signatures'\]"):
        model.save(os.fspath(tmp_path / "m.keras"), signatures=None)
    model.save(os.fspath(tmp_path / "plain.keras"), save_format=None)  # falsy: ignored
    assert (tmp_path / "plain.keras").exists()
