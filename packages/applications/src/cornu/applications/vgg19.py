"""VGG19 (Simonyan & Zisserman, ICLR 2015), as ``keras.applications.vgg19``."""
from cornu.applications import _common
from cornu.applications.vgg16 import decode_predictions, preprocess_input, vgg

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
WEIGHTS = _common.weights_file(
    BASE_WEIGHTS_PATH + "vgg19_weights_tf_dim_ordering_tf_kernels.h5",
    "cbe5617147190e668d6c5d5026f83318",
)
WEIGHTS_NO_TOP = _common.weights_file(
    BASE_WEIGHTS_PATH + "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "253f8cb515780f3b799900260a226db6",
)


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    return vgg((2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape, pooling,
               classes, classifier_activation, name, (WEIGHTS, WEIGHTS_NO_TOP))


VGG19.__doc__ = _common.builder_doc(
    "the VGG19 model", "Very Deep Convolutional Networks for Large-Scale Image Recognition "
    "(ICLR 2015), https://arxiv.org/abs/1409.1556", 224, 32, "vgg19",
    top="the 3 fully-connected layers",
)
