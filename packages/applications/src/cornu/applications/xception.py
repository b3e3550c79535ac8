"""Xception (Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions",
CVPR 2017), as ``keras.applications.xception``."""
from cornu.applications import _common

__all__ = ["Xception", "decode_predictions", "preprocess_input"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS = _common.weights_file(
    BASE_WEIGHTS_PATH + "xception_weights_tf_dim_ordering_tf_kernels.h5",
    "0a58e3b7378bc2990ea3b43d5981f1f6",
)
WEIGHTS_NO_TOP = _common.weights_file(
    BASE_WEIGHTS_PATH + "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "b0042744bf5b25fce3cb969f33bebb97",
)


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    from cornu import layers

    img_input, _ = _common.start(weights, include_top, classes, input_tensor, input_shape,
                                 default_size=299, min_size=71)
    axis = _common.channel_axis()

    def sepconv_bn(x, filters, prefix, i):
        x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False,
                                   name=f"{prefix}_sepconv{i}")(x)
        return layers.BatchNormalization(axis=axis, name=f"{prefix}_sepconv{i}_bn")(x)

    def projection(x, filters):
        # The residual projections are unnamed in Keras (conv2d, batch_normalization...).
        r = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
        return layers.BatchNormalization(axis=axis)(r)

    # Entry flow.
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    residual = projection(x, 128)
    x = sepconv_bn(x, 128, "block2", 1)
    x = layers.Activation("relu", name="block2_sepconv2_act")(x)
    x = sepconv_bn(x, 128, "block2", 2)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block2_pool")(x)
    x = layers.add([x, residual])

    for block, filters in ((3, 256), (4, 728)):
        residual = projection(x, filters)
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
        x = sepconv_bn(x, filters, f"block{block}", 1)
        x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
        x = sepconv_bn(x, filters, f"block{block}", 2)
        x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same",
                                name=f"block{block}_pool")(x)
        x = layers.add([x, residual])

    # Middle flow: 8 residual blocks of 3 separable convolutions.
    for block in range(5, 13):
        residual = x
        for i in (1, 2, 3):
            x = layers.Activation("relu", name=f"block{block}_sepconv{i}_act")(x)
            x = sepconv_bn(x, 728, f"block{block}", i)
        x = layers.add([x, residual])

    # Exit flow.
    residual = projection(x, 1024)
    x = layers.Activation("relu", name="block13_sepconv1_act")(x)
    x = sepconv_bn(x, 728, "block13", 1)
    x = layers.Activation("relu", name="block13_sepconv2_act")(x)
    x = sepconv_bn(x, 1024, "block13", 2)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block13_pool")(x)
    x = layers.add([x, residual])

    x = sepconv_bn(x, 1536, "block14", 1)
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = sepconv_bn(x, 2048, "block14", 2)
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = _common.classifier(x, classes, classifier_activation, weights)
    else:
        x = _common.pooling_top(x, pooling)
    return _common.finish(input_tensor, img_input, x, name, weights,
                          WEIGHTS if include_top else WEIGHTS_NO_TOP)


Xception.__doc__ = _common.builder_doc(
    "the Xception architecture", "Xception: Deep Learning with Depthwise Separable "
    "Convolutions (CVPR 2017), https://arxiv.org/abs/1610.02357", 299, 71, "xception",
)

preprocess_input, decode_predictions = _common.family_functions("tf", __name__)
