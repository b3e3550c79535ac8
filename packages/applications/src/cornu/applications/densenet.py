"""DenseNet121, DenseNet169, DenseNet201 (Huang et al., "Densely Connected Convolutional
Networks", CVPR 2017), as ``keras.applications.densenet``."""
from cornu.applications import _common

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "decode_predictions",
           "preprocess_input"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
#: blocks -> ((file, md5) with top, (file, md5) without top).
_WEIGHTS = {
    (6, 12, 24, 16): (("densenet121_weights_tf_dim_ordering_tf_kernels.h5",
                       "9d60b8095a5708f2dcce2bca79d332c7"),
                      ("densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       "30ee3e1110167f948a6b9946edeeb738")),
    (6, 12, 32, 32): (("densenet169_weights_tf_dim_ordering_tf_kernels.h5",
                       "d699b8f76981ab1b30698df4c175e90b"),
                      ("densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       "b8c4d4c20dd625c148057b9ff1c1176b")),
    (6, 12, 48, 32): (("densenet201_weights_tf_dim_ordering_tf_kernels.h5",
                       "1ceb130c1ea1b78c3bf6114dbdfd8807"),
                      ("densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       "c13680b51ded0fb44dff2d8f86ac8bb1")),
}
_EPS = 1.001e-5


def dense_block(x, blocks, name):
    """``blocks`` conv blocks, each concatenating 32 new channels."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """BN -> relu -> 1x1 conv (channels * reduction) -> 2x2 average pooling."""
    from cornu import layers

    axis = _common.bn_axis()
    x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[axis] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    """BN-relu-1x1 conv, BN-relu-3x3 conv (``growth_rate`` channels), concatenated to ``x``."""
    from cornu import layers

    axis = _common.bn_axis()
    x1 = layers.BatchNormalization(axis=axis, epsilon=_EPS, name=f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.BatchNormalization(axis=axis, epsilon=_EPS, name=f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=axis, name=f"{name}_concat")([x, x1])


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="densenet"):
    """A DenseNet with ``blocks`` conv blocks in its four dense blocks."""
    from cornu import layers

    if _common.config.image_data_format() == "channels_first":
        raise ValueError(
            "DenseNet does not support the 'channels_first' image data format. Switch to "
            "'channels_last' (cornu.config.set_image_data_format)."
        )
    img_input, _ = _common.start(weights, include_top, classes, input_tensor, input_shape,
                                 default_size=224, min_size=32)
    axis = _common.bn_axis()
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, count in enumerate(blocks):
        x = dense_block(x, count, name=f"conv{i + 2}")
        if i < 3:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = _common.classifier(x, classes, classifier_activation, weights)
    else:
        x = _common.pooling_top(x, pooling, avg_name="avg_pool", max_name="max_pool")
    file = None
    if weights == "imagenet":
        if tuple(blocks) not in _WEIGHTS:
            raise ValueError(f"No published 'imagenet' weights for DenseNet blocks {blocks}.")
        fname, md5 = _WEIGHTS[tuple(blocks)][0 if include_top else 1]
        file = _common.weights_file(BASE_WEIGHTS_PATH + fname, md5)
    return _common.finish(input_tensor, img_input, x, name, weights, file)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet121"):
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name=name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet169"):
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name=name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet201"):
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name=name)


_REFERENCE = "Densely Connected Convolutional Networks (CVPR 2017), https://arxiv.org/abs/1608.06993"
for _fn in (DenseNet121, DenseNet169, DenseNet201):
    _fn.__doc__ = _common.builder_doc(f"the {_fn.__name__} architecture", _REFERENCE, 224, 32,
                                      "densenet")

preprocess_input, decode_predictions = _common.family_functions("torch", __name__)
