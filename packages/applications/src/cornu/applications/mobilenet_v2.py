"""MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
CVPR 2018), as ``keras.applications.mobilenet_v2``."""
import warnings

from cornu import CornuWarning
from cornu.applications import _common, imagenet_utils

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
)
_SIZES = (96, 128, 160, 192, 224)


def _make_divisible(v, divisor, min_value=None):
    """``v`` rounded to the nearest multiple of ``divisor``, never 10% below ``v``."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _spatial(shape, batched):
    offset = 1 if batched else 0
    if _common.config.image_data_format() == "channels_first":
        return shape[offset + 1], shape[offset + 2]
    return shape[offset], shape[offset + 1]


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax",
                name=None):
    from cornu import layers
    from cornu.symbolic import KerasTensor

    if input_tensor is not None and not isinstance(input_tensor, KerasTensor):
        raise ValueError(
            "input_tensor must be a symbolic tensor (cornu.Input() or a layer output). "
            f"Received: input_tensor={input_tensor!r} of type {type(input_tensor).__name__}"
        )
    if input_shape is not None and input_tensor is not None:
        if _spatial(input_tensor.shape, True)[0] != _spatial(input_shape, False)[0]:
            raise ValueError(
                "input_shape and input_tensor disagree on the image height: received "
                f"input_tensor.shape={input_tensor.shape}, input_shape={input_shape}"
            )
    default_size = 224
    if input_shape is None and input_tensor is not None:
        rows, cols = _spatial(input_tensor.shape, True)
        if rows == cols and rows in _SIZES:
            default_size = rows
    elif input_shape is not None:
        rows, cols = _spatial(input_shape, False)
        if rows == cols and rows in _SIZES:
            default_size = rows
    img_input, input_shape = _common.start(weights, include_top, classes, input_tensor,
                                           input_shape, default_size=default_size,
                                           min_size=32)
    rows, cols = _spatial(input_shape, False)
    if weights == "imagenet":
        if alpha not in (0.35, 0.50, 0.75, 1.0, 1.3, 1.4):
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of 0.35, 0.50, 0.75, "
                f"1.0, 1.3 or 1.4 only. Received: alpha={alpha}"
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded "
                "as the default.",
                stacklevel=2, category=CornuWarning)

    axis = _common.channel_axis()
    x = layers.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    plan = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
            (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6),
            (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))
    for block_id, (filters, stride, expansion) in enumerate(plan):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride,
                                expansion=expansion, block_id=block_id)
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        x = _common.classifier(x, classes, classifier_activation, weights)
    else:
        x = _common.pooling_top(x, pooling)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    file = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file = _common.weights_file(
            f"{BASE_WEIGHT_PATH}mobilenet_v2_weights_tf_dim_ordering_tf_kernels_"
            f"{float(alpha)}_{rows}{suffix}.h5"
        )
    return _common.finish(input_tensor, img_input, x, name, weights, file)


MobileNetV2.__doc__ = _common.builder_doc(
    "the MobileNetV2 architecture", "MobileNetV2: Inverted Residuals and Linear Bottlenecks "
    "(CVPR 2018), https://arxiv.org/abs/1801.04381", 224, 32, "mobilenet_v2",
    extra="""
        alpha: the width multiplier (0.35, 0.5, 0.75, 1.0, 1.3 or 1.4 with ImageNet
            weights).""",
)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """Expand (1x1) -> depthwise 3x3 -> project (1x1), with a residual when shapes allow."""
    from cornu import layers

    axis = _common.channel_axis()
    in_channels = inputs.shape[axis]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same",
                          use_bias=False, activation=None, name=f"{prefix}expand")(x)
        x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999,
                                      name=f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3),
                                 name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                      activation=None, name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


preprocess_input, decode_predictions = _common.family_functions("tf", __name__)
