"""``save_model`` / ``load_model`` with a binary file object instead of a path, as
Keras's ``keras.src.saving.saving_lib`` takes them: SciKeras pickles and deep-copies
its estimators' models through an ``io.BytesIO``."""
import io
import pickle

import numpy as np
import pytest

import cornu
from cornu import layers
from cornu.saving import keras_file


def _model():
    inputs = cornu.Input((3,))
    model = cornu.Model(inputs, layers.Dense(2)(inputs))
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    return model


class Pickled:
    """A wrapper that pickles its model as SciKeras does (bytes of a .keras archive)."""

    def __init__(self, model):
        self.model = model

    def __reduce__(self):
        out = io.BytesIO()
        cornu.saving.save_model(self.model, out)
        return (_unpack, (np.asarray(memoryview(out.getvalue())),))


def _unpack(data):
    return Pickled(cornu.saving.load_model(io.BytesIO(data), compile=True))


def test_round_trip_through_bytes():
    model = _model()
    buffer = io.BytesIO()
    model.save(buffer)
    assert buffer.getvalue()[:2] == b"PK"  # a zip archive, as a .keras file
    buffer.seek(0)
    restored = cornu.saving.load_model(buffer)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert restored.optimizer is not None and restored.optimizer.iterations.numpy() == 1


def test_pickle_like_scikeras():
    wrapped = pickle.loads(pickle.dumps(Pickled(_model())))
    assert isinstance(wrapped.model, cornu.Model)
    assert wrapped.model.loss == "mse"


def test_bytes_from_elsewhere_are_read_with_the_safe_mode_rules(tmp_path, monkeypatch):
    model = _model()
    path = tmp_path / "m.keras"
    model.save(path)
    data = path.read_bytes()
    # Not bytes this process wrote to a file object: loaded as an unknown file is.
    monkeypatch.setattr(keras_file, "_SAVED_DIGESTS", [])
    restored = cornu.saving.load_model(io.BytesIO(data))
    np.testing.assert_allclose(restored.get_weights()[0], model.get_weights()[0])


def test_a_text_file_object_and_zipped_false_are_refused(tmp_path):
    with pytest.raises(TypeError, match="binary mode"):
        cornu.saving.load_model(io.StringIO("not a model"))
    with pytest.raises(ValueError, match="zipped=False"):
        cornu.saving.save_model(_model(), io.BytesIO(), zipped=False)
