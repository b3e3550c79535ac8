"""Every application's structure against the figures Keras 3 publishes, and a forward pass.

The reference figures are Keras 3.15.1's ``count_params()``, ``len(model.layers)``
and the number of layers that own weights (the "Depth" of the Keras
documentation), as listed in shared/reference/applications.md.  Each model is
built at the smallest input size it accepts (VGG at 224: its Flatten head makes
the parameter count depend on the input size) and runs one image.
"""
import gc

import numpy as np
import pytest

import cornu.applications as applications
from cornu import ops

#: name -> (parameters with the top, len(model.layers), layers with weights).
KERAS_FIGURES = {
    "Xception": (22_910_480, 134, 81),
    "VGG16": (138_357_544, 23, 16),
    "VGG19": (143_667_240, 26, 19),
    "ResNet50": (25_636_712, 177, 107),
    "ResNet50V2": (25_613_800, 192, 103),
    "ResNet101": (44_707_176, 347, 209),
    "ResNet101V2": (44_675_560, 379, 205),
    "ResNet152": (60_419_944, 517, 311),
    "ResNet152V2": (60_380_648, 566, 307),
    "InceptionV3": (23_851_784, 313, 189),
    "InceptionResNetV2": (55_873_736, 782, 449),
    "MobileNet": (4_253_864, 91, 55),
    "MobileNetV2": (3_538_984, 156, 105),
    "MobileNetV3Small": (2_554_968, 164, 88),
    "MobileNetV3Large": (5_507_432, 194, 110),
    "DenseNet121": (8_062_504, 429, 242),
    "DenseNet169": (14_307_880, 597, 338),
    "DenseNet201": (20_242_984, 709, 402),
    "NASNetMobile": (5_326_716, 771, 389),
    "NASNetLarge": (88_949_818, 1041, 533),
    "EfficientNetB0": (5_330_571, 240, 132),
    "EfficientNetB1": (7_856_239, 342, 186),
    "EfficientNetB2": (9_177_569, 342, 186),
    "EfficientNetB3": (12_320_535, 387, 210),
    "EfficientNetB4": (19_466_823, 477, 258),
    "EfficientNetB5": (30_562_527, 579, 312),
    "EfficientNetB6": (43_265_143, 669, 360),
    "EfficientNetB7": (66_658_687, 816, 438),
    "EfficientNetV2B0": (7_200_312, 273, 151),
    "EfficientNetV2B1": (8_212_124, 337, 185),
    "EfficientNetV2B2": (10_178_374, 352, 193),
    "EfficientNetV2B3": (14_467_622, 412, 225),
    "EfficientNetV2S": (21_612_360, 516, 281),
    "EfficientNetV2M": (54_431_388, 743, 403),
    "EfficientNetV2L": (119_027_848, 1031, 557),
    "ConvNeXtTiny": (28_589_128, 135, 96),
    "ConvNeXtSmall": (50_223_688, 261, 186),
    "ConvNeXtBase": (88_591_464, 261, 186),
    "ConvNeXtLarge": (197_767_336, 261, 186),
    "ConvNeXtXLarge": (350_196_968, 261, 186),
}
#: The smallest input each architecture accepts (32 unless listed).
MIN_SIZE = {"Xception": 71, "InceptionV3": 75, "InceptionResNetV2": 75,
            "VGG16": 224, "VGG19": 224}


def test_all_forty_keras_applications_are_exported():
    names = {fn.__name__ for fn in applications.APPLICATIONS}
    assert names == set(KERAS_FIGURES)
    for name in names:
        assert getattr(applications, name).__name__ == name


@pytest.mark.parametrize("name", list(KERAS_FIGURES))
def test_structure_and_forward_pass(name):
    size = MIN_SIZE.get(name, 32)
    model = getattr(applications, name)(weights=None, input_shape=(size, size, 3))
    params, n_layers, n_weighted = KERAS_FIGURES[name]
    assert model.count_params() == params
    assert len(model.layers) == n_layers
    assert sum(1 for layer in model.layers if layer.weights) == n_weighted
    assert len({layer.name for layer in model.layers}) == n_layers  # unique names

    x = np.random.default_rng(0).uniform(0, 255, (1, size, size, 3)).astype("float32")
    x = getattr(applications, _module_of(name)).preprocess_input(x)
    # An eager call: predict() would first compile the whole graph (minutes for the
    # largest models on TensorFlow), which says nothing more about the architecture.
    y = np.asarray(ops.convert_to_numpy(model(x, training=False)))
    assert y.shape == (1, 1000)
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-4)  # softmax head
    del model
    gc.collect()


def _module_of(name):
    return applications.__dict__[name].__module__.rsplit(".", 1)[1]


@pytest.mark.parametrize("pooling, rank", [(None, 4), ("avg", 2), ("max", 2)])
def test_headless_models_and_pooling(pooling, rank):
    model = applications.ResNet50(weights=None, include_top=False, pooling=pooling)
    assert model.input_shape == (None, None, None, 3)
    out = model.predict(np.zeros((2, 64, 64, 3), "float32"), verbose=0)
    assert out.ndim == rank and out.shape[0] == 2 and out.shape[-1] == 2048
    assert model.count_params() == 25_636_712 - (2048 * 1000 + 1000)


def test_custom_classes_and_logits():
    model = applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=7,
                                     classifier_activation=None, alpha=0.35)
    assert model.output_shape == (None, 7)
    assert model.name == "mobilenetv2_0.35_32"
    y = model.predict(np.ones((3, 32, 32, 3), "float32"), verbose=0)
    assert not np.allclose(y.sum(-1), 1.0)  # logits, no softmax


def test_input_tensor_is_used_as_the_model_input():
    import cornu

    inputs = cornu.Input((40, 40, 3))
    model = applications.DenseNet121(weights=None, include_top=False, input_tensor=inputs)
    assert model.inputs[0] is inputs
    assert model.output_shape == (None, 1, 1, 1024)


def test_input_tensor_computed_from_an_input():
    import cornu

    raw = cornu.Input((32, 32, 3))
    scaled = cornu.layers.Rescaling(1.0 / 255)(raw)
    model = applications.ResNet50(weights=None, include_top=False, input_tensor=scaled)
    assert model.inputs[0] is raw
    assert type(model.layers[1]).__name__ == "Rescaling"
    out = model.predict(np.full((1, 32, 32, 3), 255.0, "float32"), verbose=0)
    assert out.shape == (1, 1, 1, 2048)


def test_variants_with_keras_default_names_and_widths():
    m1 = applications.MobileNet(weights=None, input_shape=(128, 128, 3), alpha=0.5)
    assert m1.name == "mobilenet_0.50_128"
    assert m1.count_params() == 1_342_536  # the Keras 3 figures of these variants
    m3 = applications.MobileNetV3Small(weights=None, minimalistic=True, input_shape=(32, 32, 3))
    assert (m3.name, m3.count_params(), len(m3.layers)) == ("MobileNetV3Small", 2_056_848, 110)
    m3 = applications.MobileNetV3Large(weights=None, alpha=0.75, include_top=False,
                                       input_shape=(32, 32, 3))
    assert (m3.count_params(), len(m3.layers)) == (1_808_736, 187)
    m2 = applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=1.4)
    assert (m2.name, m2.count_params()) == ("mobilenetv2_1.40_32", 6_156_712)


def test_argument_errors_are_clear():
    with pytest.raises(ValueError, match="weights"):
        applications.ResNet50(weights="no/such/file.h5")
    with pytest.raises(ValueError, match="classes"):
        applications.ResNet50(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        applications.ResNet50(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="at least 71x71"):
        applications.Xception(weights=None, include_top=False, input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="should be \\(224, 224, 3\\)"):
        applications.VGG16(weights="imagenet", input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="classifier_activation"):
        applications.MobileNetV2(weights="imagenet", classifier_activation="relu")
    with pytest.raises(ValueError, match="static input_shape"):
        applications.ResNet50(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="symbolic tensor"):
        applications.ResNet50(weights=None, include_top=False,
                              input_tensor=np.zeros((1, 32, 32, 3)))


def test_registered_as_application_plugins():
    from cornu.plugins import registry

    for fn in applications.APPLICATIONS:
        assert registry.get("application", fn.__name__) is fn
    from cornu.applications.convnext import LayerScale
    from cornu.applications.inception_resnet_v2 import CustomScaleLayer

    assert registry.get("layer", "CustomScaleLayer") is CustomScaleLayer
    assert registry.get("layer", "LayerScale") is LayerScale
