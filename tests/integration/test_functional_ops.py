"""A Functional model mixing layers and cornu.ops calls: fit, predict, save and load."""
import numpy as np

import cornu
from cornu import layers, ops


def _model():
    x = cornu.Input((4,))
    h = ops.nn.relu(layers.Dense(8, name="hidden")(x)) * 2.0
    h = ops.concatenate([h, ops.square(x)], axis=-1)
    out = layers.Dense(1, name="head")(h)
    return cornu.Model(x, ops.squeeze(out, axis=-1))


def _numpy_forward(model, a):
    k1, b1, k2, b2 = model.get_weights()
    h = np.concatenate([np.maximum(a @ k1 + b1, 0) * 2.0, a ** 2], -1)
    return (h @ k2 + b2)[:, 0]


def test_fit_predict_and_reload(tmp_path, rng):
    model = _model()
    assert [layer.name for layer in model.layers][1:] == ["hidden", "head"]
    a = rng.standard_normal((64, 4)).astype("float32")
    y = (a[:, 0] - 0.5 * a[:, 1] ** 2).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    before = model.evaluate(a, y, verbose=0)
    history = model.fit(a, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < before
    np.testing.assert_allclose(model.predict(a, verbose=0), _numpy_forward(model, a),
                               rtol=1e-4, atol=1e-5)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = cornu.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(a, verbose=0), model.predict(a, verbose=0),
                               rtol=1e-6)
