"""Parity with Keras 3 itself (skipped where Keras is not installed).

* A Keras-built application (``weights=None``, Keras's random init) has the same
  layer sequence (classes, names, weight shapes) as cornu's; its weights moved
  layer by layer into the cornu model give the same outputs.
* Weights files Keras writes in the legacy HDF5 layout (the layout of its
  published ImageNet files) load into cornu, through ``weights="imagenet"``
  served over HTTP and through ``weights=<path>``.
"""
import os
import re

import numpy as np
import pytest

import cornu.applications as applications
from cornu import ops
from cornu.naming import to_snake_case
from cornu.saving.legacy_h5 import keras_layer_order

keras = pytest.importorskip("keras")
legacy_h5_format = pytest.importorskip("keras.src.legacy.saving.legacy_h5_format")
h5py = pytest.importorskip("h5py")

BACKEND = os.environ["CORNU_BACKEND"]

#: name, input size, extra builder arguments: one or two per family.
CASES = [
    ("VGG16", 32, {"include_top": False, "pooling": "avg"}),
    ("ResNet50V2", 32, {"include_top": False, "pooling": "avg"}),
    ("Xception", 71, {"include_top": False, "pooling": "avg"}),
    ("InceptionV3", 75, {"include_top": False, "pooling": "avg"}),
    ("InceptionResNetV2", 75, {"include_top": False, "pooling": "avg"}),
    ("MobileNet", 32, {"alpha": 0.5, "classifier_activation": None, "classes": 10}),
    ("MobileNetV2", 32, {"include_top": False, "pooling": "max"}),
    ("MobileNetV3Small", 32, {"classifier_activation": None, "classes": 10}),
    ("DenseNet121", 32, {"include_top": False, "pooling": "avg"}),
    ("NASNetMobile", 32, {"include_top": False, "pooling": "avg"}),
    ("EfficientNetB0", 32, {"classifier_activation": None}),
    ("EfficientNetV2B0", 32, {"include_top": False, "pooling": "avg"}),
    ("ConvNeXtTiny", 32, {"classifier_activation": None}),
]


def _same_name(cornu_layer, keras_layer):
    """Equal names, or both automatic names of the same class (``conv2d_7`` / ``conv2d_3``)."""
    if cornu_layer.name == keras_layer.name:
        return True
    auto = re.compile(rf"^{to_snake_case(type(keras_layer).__name__)}(_\d+)?$")
    return bool(auto.match(keras_layer.name) and auto.match(cornu_layer.name))


def _transfer(keras_model, cornu_model):
    """Check the layer sequences match and copy the weights layer by layer."""
    keras_layers = keras_model.layers
    cornu_layers = keras_layer_order(cornu_model)
    assert len(cornu_layers) == len(keras_layers)
    for kl, cl in zip(keras_layers, cornu_layers):
        assert type(cl).__name__ == type(kl).__name__, (cl.name, kl.name)
        assert _same_name(cl, kl), (cl.name, kl.name)
        values = [np.asarray(keras.ops.convert_to_numpy(w)) for w in kl.weights]
        assert [tuple(w.shape) for w in cl.weights] == [v.shape for v in values], cl.name
        if values:
            cl.set_weights(values)


def _close(actual, expected):
    scale = float(np.max(np.abs(expected))) or 1.0
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.parametrize("name, size, kwargs", CASES, ids=[c[0] for c in CASES])
def test_keras_model_weights_give_the_same_outputs(name, size, kwargs, rng):
    if name == "NASNetMobile" and BACKEND == "torch":
        pytest.skip("Keras refuses NASNetMobile on its torch backend (cornu builds it)")
    args = dict(weights=None, input_shape=(size, size, 3), **kwargs)
    keras_model = getattr(keras.applications, name)(**args)
    cornu_model = getattr(applications, name)(**args)
    assert cornu_model.count_params() == keras_model.count_params()
    _transfer(keras_model, cornu_model)
    x = rng.uniform(0, 255, (2, size, size, 3)).astype("float32")
    module = getattr(applications, applications.__dict__[name].__module__.rsplit(".", 1)[1])
    x = module.preprocess_input(x)
    expected = np.asarray(keras.ops.convert_to_numpy(keras_model(x, training=False)))
    actual = np.asarray(ops.convert_to_numpy(cornu_model(x, training=False)))
    assert actual.shape == expected.shape
    assert np.std(expected) > 0  # the comparison is not between constants
    _close(actual, expected)


def _keras_legacy_h5(model, path):
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)


def test_keras_written_h5_as_imagenet_weights_over_http(cornu_home, http_server, monkeypatch,
                                                        rng):
    # MobileNet's published files carry no hash, so a Keras-written stand-in can be
    # served under the published name.
    root, url = http_server
    keras_model = keras.applications.MobileNet(weights=None, alpha=0.25,
                                               input_shape=(128, 128, 3))
    _randomize_bn(keras_model, rng)
    _keras_legacy_h5(keras_model, root / "mobilenet_2_5_128_tf.h5")
    monkeypatch.setattr(applications.mobilenet, "BASE_WEIGHT_PATH", url)
    model = applications.MobileNet(weights="imagenet", alpha=0.25, input_shape=(128, 128, 3))
    x = rng.uniform(-1, 1, (2, 128, 128, 3)).astype("float32")
    _close(model.predict(x, verbose=0), np.asarray(keras_model.predict(x, verbose=0)))
    assert (cornu_home / "models" / "mobilenet_2_5_128_tf.h5").is_file()


@pytest.mark.parametrize("name, size", [("InceptionV3", 75), ("Xception", 71)])
def test_keras_written_h5_with_unnamed_layers_loads_in_keras_order(tmp_path, name, size, rng):
    # These graphs branch and hold layers Keras names automatically: the file's
    # order, not its names, must line up with the model (as Keras loads it).
    keras_model = getattr(keras.applications, name)(weights=None, include_top=False,
                                                    input_shape=(size, size, 3))
    _randomize_bn(keras_model, rng)
    path = tmp_path / f"{name}.h5"
    _keras_legacy_h5(keras_model, path)
    model = getattr(applications, name)(weights=str(path), include_top=False,
                                        input_shape=(size, size, 3))
    x = rng.uniform(-1, 1, (1, size, size, 3)).astype("float32")
    _close(model.predict(x, verbose=0), np.asarray(keras_model.predict(x, verbose=0)))


def _randomize_bn(model, rng):
    """Non-trivial BatchNormalization statistics, so that loading them is visible."""
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            values = [np.asarray(keras.ops.convert_to_numpy(w)) for w in layer.weights]
            layer.set_weights([v + rng.uniform(0.1, 0.5, v.shape).astype(v.dtype)
                               for v in values])


def test_cornu_written_h5_loads_into_keras(tmp_path, rng):
    # The other direction: Keras reads cornu's legacy files in its own order.
    from cornu.saving import legacy_h5

    model = applications.InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
    path = tmp_path / "inception.h5"
    legacy_h5.save_weights(model, path)
    keras_model = keras.applications.InceptionV3(weights=None, include_top=False,
                                                 input_shape=(75, 75, 3))
    keras_model.load_weights(str(path))
    x = rng.uniform(-1, 1, (1, 75, 75, 3)).astype("float32")
    _close(model.predict(x, verbose=0), np.asarray(keras_model.predict(x, verbose=0)))
