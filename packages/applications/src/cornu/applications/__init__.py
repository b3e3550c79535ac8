"""``cornu.applications``: the Keras 3 pretrained-model architectures.

Every builder has the Keras 3 signature and builds, with ``cornu.layers``, the
model of the same name layer for layer: the same layer names and order, weight
shapes and parameter counts, so that Keras's published ImageNet weights
(``weights="imagenet"``) and weights saved from Keras load into it.

One module per family, as in Keras (``cornu.applications.resnet``,
``cornu.applications.efficientnet``...), each with its builders,
``preprocess_input`` and ``decode_predictions``; ``imagenet_utils`` holds the
shared preprocessing modes and the ImageNet class index (shipped with the
package).  The builders are also registered in cornu's plugin registry under the
"application" kind (``cornu.plugins.registry.get("application", "ResNet50")``).
"""
from cornu.applications import (
    convnext,
    densenet,
    efficientnet,
    efficientnet_v2,
    imagenet_utils,
    inception_resnet_v2,
    inception_v3,
    mobilenet,
    mobilenet_v2,
    mobilenet_v3,
    nasnet,
    resnet,
    resnet50,
    resnet_v2,
    vgg16,
    vgg19,
    xception,
)
from cornu.applications.convnext import (
    ConvNeXtBase,
    ConvNeXtLarge,
    ConvNeXtSmall,
    ConvNeXtTiny,
    ConvNeXtXLarge,
)
from cornu.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from cornu.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from cornu.applications.efficientnet_v2 import (
    EfficientNetV2B0,
    EfficientNetV2B1,
    EfficientNetV2B2,
    EfficientNetV2B3,
    EfficientNetV2L,
    EfficientNetV2M,
    EfficientNetV2S,
)
from cornu.applications.inception_resnet_v2 import InceptionResNetV2
from cornu.applications.inception_v3 import InceptionV3
from cornu.applications.mobilenet import MobileNet
from cornu.applications.mobilenet_v2 import MobileNetV2
from cornu.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from cornu.applications.nasnet import NASNetLarge, NASNetMobile
from cornu.applications.resnet import ResNet50, ResNet101, ResNet152
from cornu.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from cornu.applications.vgg16 import VGG16
from cornu.applications.vgg19 import VGG19
from cornu.applications.xception import Xception

#: Every application builder, in the order of the Keras documentation's table.
APPLICATIONS = (
    Xception, VGG16, VGG19, ResNet50, ResNet50V2, ResNet101, ResNet101V2, ResNet152,
    ResNet152V2, InceptionV3, InceptionResNetV2, MobileNet, MobileNetV2, MobileNetV3Small,
    MobileNetV3Large, DenseNet121, DenseNet169, DenseNet201, NASNetMobile, NASNetLarge,
    EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3, EfficientNetB4,
    EfficientNetB5, EfficientNetB6, EfficientNetB7, EfficientNetV2B0, EfficientNetV2B1,
    EfficientNetV2B2, EfficientNetV2B3, EfficientNetV2S, EfficientNetV2M, EfficientNetV2L,
    ConvNeXtTiny, ConvNeXtSmall, ConvNeXtBase, ConvNeXtLarge, ConvNeXtXLarge,
)

__all__ = sorted(fn.__name__ for fn in APPLICATIONS) + [
    "convnext", "densenet", "efficientnet", "efficientnet_v2", "imagenet_utils",
    "inception_resnet_v2", "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3",
    "nasnet", "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "xception",
]
