"""VGG16 (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015), as ``keras.applications.vgg16``."""
from cornu.applications import _common, imagenet_utils

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
WEIGHTS = _common.weights_file(
    BASE_WEIGHTS_PATH + "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
    "64373286793e3c8b2b4e3219cbf3544b",
)
WEIGHTS_NO_TOP = _common.weights_file(
    BASE_WEIGHTS_PATH + "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "6d6bbae143d832006294945121d1f1fc",
)


def vgg(convs_per_block, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name, files):
    """A VGG network: five blocks of 3x3 convolutions, each ending in a 2x2 max pooling."""
    from cornu import layers

    img_input, _ = _common.start(weights, include_top, classes, input_tensor, input_shape,
                                 default_size=224, min_size=32)
    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block),
                                             start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = _common.classifier(x, classes, classifier_activation, weights)
    else:
        x = _common.pooling_top(x, pooling)
    return _common.finish(input_tensor, img_input, x, name, weights,
                          files[0] if include_top else files[1])


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    return vgg((2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape, pooling,
               classes, classifier_activation, name, (WEIGHTS, WEIGHTS_NO_TOP))


VGG16.__doc__ = _common.builder_doc(
    "the VGG16 model", "Very Deep Convolutional Networks for Large-Scale Image Recognition "
    "(ICLR 2015), https://arxiv.org/abs/1409.1556", 224, 32, "vgg16",
    top="the 3 fully-connected layers",
)


def preprocess_input(x, data_format=None):
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


preprocess_input.__doc__ = imagenet_utils.PREPROCESS_INPUT_DOC.format(
    mode="", ret=imagenet_utils.PREPROCESS_INPUT_RET_DOC_CAFFE,
    error=imagenet_utils.PREPROCESS_INPUT_ERROR_DOC,
)
decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
