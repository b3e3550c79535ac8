"""``preprocess_input`` (the caffe, tf and torch modes) and ``decode_predictions``.

References: the preprocessing formulas written out in numpy, and the ImageNet
class index Keras downloads (its published md5, and well-known entries).
"""
import hashlib
from importlib import resources

import numpy as np
import pytest

from cornu import ops
from cornu.applications import (
    convnext,
    densenet,
    efficientnet,
    imagenet_utils,
    inception_v3,
    mobilenet_v3,
    resnet,
    resnet_v2,
    vgg16,
)

MEAN_BGR = np.array([103.939, 116.779, 123.68], "float32")
TORCH_MEAN = np.array([0.485, 0.456, 0.406], "float32")
TORCH_STD = np.array([0.229, 0.224, 0.225], "float32")


@pytest.fixture
def images(rng):
    return rng.uniform(0, 255, (2, 5, 4, 3)).astype("float32")


def test_class_index_ships_with_the_package_and_is_keras_file():
    data = resources.files("cornu.applications").joinpath(
        "data", "imagenet_class_index.json").read_bytes()
    # The md5 Keras checks when it downloads imagenet_class_index.json.
    assert hashlib.md5(data).hexdigest() == imagenet_utils.CLASS_INDEX_MD5
    index = imagenet_utils._class_index()
    assert len(index) == 1000 and len({v[0] for v in index.values()}) == 1000
    assert index["0"] == ["n01440764", "tench"]
    assert index["2"] == ["n01484850", "great_white_shark"]
    assert index["999"] == ["n15075141", "toilet_tissue"]


def test_decode_predictions_on_crafted_scores():
    preds = np.zeros((2, 1000), "float32")
    preds[0, [1, 2, 3]] = [0.5, 0.3, 0.2]
    preds[1, 999] = 1.0
    preds[1, 0] = 0.25
    decoded = vgg16.decode_predictions(preds, top=3)
    assert [r[:2] for r in decoded[0]] == [
        ("n01443537", "goldfish"), ("n01484850", "great_white_shark"),
        ("n01491361", "tiger_shark"),
    ]
    assert [float(r[2]) for r in decoded[0]] == pytest.approx([0.5, 0.3, 0.2])
    assert decoded[1][0][:2] == ("n15075141", "toilet_tissue")
    assert decoded[1][1][1] == "tench"
    assert len(imagenet_utils.decode_predictions(preds)[0]) == 5  # top=5 by default


def test_decode_predictions_accepts_backend_tensors():
    preds = np.zeros((1, 1000), "float32")
    preds[0, 207] = 3.0
    decoded = resnet.decode_predictions(ops.convert_to_tensor(preds), top=1)
    assert decoded[0][0][1] == "golden_retriever"


def test_decode_predictions_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_caffe_mode(images):
    expected = images[..., ::-1] - MEAN_BGR
    np.testing.assert_allclose(resnet.preprocess_input(images.copy()), expected, rtol=1e-6)
    out = ops.convert_to_numpy(vgg16.preprocess_input(ops.convert_to_tensor(images)))
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-4)


def test_caffe_mode_channels_first(images):
    x = np.transpose(images, (0, 3, 1, 2)).copy()
    expected = x[:, ::-1] - MEAN_BGR.reshape(1, 3, 1, 1)
    out = imagenet_utils.preprocess_input(x.copy(), data_format="channels_first")
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    single = imagenet_utils.preprocess_input(x[0].copy(), data_format="channels_first")
    np.testing.assert_allclose(single, expected[0], rtol=1e-6)


def test_tf_mode(images):
    expected = images / 127.5 - 1.0
    for module in (inception_v3, resnet_v2):
        np.testing.assert_allclose(module.preprocess_input(images.copy()), expected, rtol=1e-6)
    out = ops.convert_to_numpy(inception_v3.preprocess_input(ops.convert_to_tensor(images)))
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_torch_mode(images):
    expected = (images / 255.0 - TORCH_MEAN) / TORCH_STD
    np.testing.assert_allclose(densenet.preprocess_input(images.copy()), expected, rtol=1e-5)
    out = ops.convert_to_numpy(densenet.preprocess_input(ops.convert_to_tensor(images)))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_integer_arrays_become_float32(rng):
    x = rng.integers(0, 256, (1, 2, 2, 3)).astype("uint8")
    out = resnet_v2.preprocess_input(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, x.astype("float32") / 127.5 - 1, rtol=1e-6)


def test_float_numpy_input_is_modified_in_place_as_in_keras(images):
    x = images.copy()
    inception_v3.preprocess_input(x)
    np.testing.assert_allclose(x, images / 127.5 - 1.0, rtol=1e-6)


def test_identity_for_models_that_preprocess_themselves(images):
    for module in (efficientnet, convnext, mobilenet_v3):
        assert module.preprocess_input(images) is images


def test_bad_mode_and_data_format():
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="bgr")
    with pytest.raises(ValueError, match="data_format"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), data_format="nhwc")


def test_correct_pad_and_obtain_input_shape():
    import cornu

    assert imagenet_utils.correct_pad(cornu.Input((224, 224, 3)), 3) == ((0, 1), (0, 1))
    assert imagenet_utils.correct_pad(cornu.Input((225, 225, 3)), (3, 3)) == ((1, 1), (1, 1))
    assert imagenet_utils.correct_pad(cornu.Input((None, None, 3)), 5) == ((1, 2), (1, 2))
    shape = imagenet_utils.obtain_input_shape(None, 224, 32, "channels_last", False)
    assert shape == (None, None, 3)
    assert imagenet_utils.obtain_input_shape(None, 299, 71, "channels_last", True) == (299, 299, 3)
    with pytest.warns(UserWarning, match="1 or 3 input channels"):
        imagenet_utils.obtain_input_shape((64, 64, 5), 224, 32, "channels_last", False)


def test_preprocess_input_inside_a_functional_model(images):
    # The Keras docstring's usage: preprocess a symbolic input, then run a model.
    import cornu

    inputs = cornu.Input(images.shape[1:])
    for module in (vgg16, densenet, inception_v3):
        model = cornu.Model(inputs, module.preprocess_input(inputs))
        np.testing.assert_allclose(model.predict(images, verbose=0),
                                   module.preprocess_input(images.copy()), rtol=1e-5, atol=1e-4)
