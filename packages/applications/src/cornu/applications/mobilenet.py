"""MobileNet (Howard et al., "MobileNets: Efficient Convolutional Neural Networks for
Mobile Vision Applications", 2017), as ``keras.applications.mobilenet``."""
import warnings

from cornu import CornuWarning
from cornu.applications import _common

__all__ = ["MobileNet", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}


def _rows_cols(input_shape):
    if _common.config.image_data_format() == "channels_first":
        return input_shape[1], input_shape[2]
    return input_shape[0], input_shape[1]


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
              weights="imagenet", input_tensor=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=None):
    from cornu import layers

    default_size = 224
    if input_shape is not None:
        rows, cols = _rows_cols(input_shape)
        if rows == cols and rows in (128, 160, 192, 224):
            default_size = rows
    img_input, input_shape = _common.start(weights, include_top, classes, input_tensor,
                                           input_shape, default_size=default_size,
                                           min_size=32)
    rows, cols = _rows_cols(input_shape)
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "If imagenet weights are being loaded, depth multiplier must be 1. "
                f"Received: depth_multiplier={depth_multiplier}"
            )
        if alpha not in _ALPHA_TEXT:
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of 0.25, 0.50, 0.75 "
                f"or 1.0 only. Received: alpha={alpha}"
            )
        if rows != cols or rows not in (128, 160, 192, 224):
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded as "
                "the default.",
                stacklevel=2, category=CornuWarning)

    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    plan = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
            (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))
    for block_id, (filters, stride) in enumerate(plan, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier,
                                  strides=(stride, stride), block_id=block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        from cornu.applications import imagenet_utils

        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooling_top(x, pooling)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    file = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file = _common.weights_file(
            f"{BASE_WEIGHT_PATH}mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{suffix}.h5"
        )
    return _common.finish(input_tensor, img_input, x, name, weights, file)


MobileNet.__doc__ = _common.builder_doc(
    "the MobileNet architecture", "MobileNets: Efficient Convolutional Neural Networks for "
    "Mobile Vision Applications, https://arxiv.org/abs/1704.04861", 224, 32, "mobilenet",
    extra="""
        alpha: the width multiplier (0.25, 0.5, 0.75 or 1.0 with ImageNet weights).
        depth_multiplier: the depth multiplier of the depthwise convolutions.
        dropout: the dropout rate before the classifier.""",
)


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    """The stem: Conv2D -> BatchNormalization -> ReLU6."""
    from cornu import layers

    axis = _common.channel_axis()
    x = layers.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False,
                      strides=strides, name="conv1")(inputs)
    x = layers.BatchNormalization(axis=axis, name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_conv_filters, alpha, depth_multiplier=1,
                          strides=(1, 1), block_id=1):
    """Depthwise 3x3 -> BN -> ReLU6 -> pointwise 1x1 -> BN -> ReLU6."""
    from cornu import layers

    axis = _common.channel_axis()
    x = inputs
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_conv_filters * alpha), (1, 1), padding="same",
                      use_bias=False, strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


preprocess_input, decode_predictions = _common.family_functions("tf", __name__)
