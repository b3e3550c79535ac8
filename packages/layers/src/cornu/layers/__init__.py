"""``cornu.layers``: the Keras 3 layers, from the cornu-layers distribution.

Every public class is re-exported here explicitly; the modules are grouped by
family (``core``, ``activations``, ``convolutional``, ``pooling``,
``regularization``, ``reshaping``, ``normalization``, ``merging``).  The
classes register with cornu's plugin registry through ``cornu.layers._plugin``
(entry point ``cornu-layers``), which is how configs and saved models find them.
"""
from cornu.layer import InputSpec, Layer
from cornu.layers.activations.activation import Activation
from cornu.layers.activations.elu import ELU
from cornu.layers.activations.leaky_relu import LeakyReLU
from cornu.layers.activations.relu import ReLU
from cornu.layers.activations.softmax import Softmax
from cornu.layers.convolutional.conv1d import Conv1D
from cornu.layers.convolutional.conv2d import Conv2D
from cornu.layers.convolutional.conv3d import Conv3D
from cornu.layers.core.dense import Dense
from cornu.layers.core.embedding import Embedding
from cornu.layers.core.identity import Identity
from cornu.layers.core.lambda_layer import Lambda
from cornu.layers.merging.add import Add, add
from cornu.layers.merging.average import Average, average
from cornu.layers.merging.concatenate import Concatenate, concatenate
from cornu.layers.merging.dot import Dot, dot
from cornu.layers.merging.maximum import Maximum, maximum
from cornu.layers.merging.minimum import Minimum, minimum
from cornu.layers.merging.multiply import Multiply, multiply
from cornu.layers.merging.subtract import Subtract, subtract
from cornu.layers.normalization.batch_normalization import BatchNormalization
from cornu.layers.normalization.layer_normalization import LayerNormalization
from cornu.layers.pooling.average_pooling1d import AveragePooling1D
from cornu.layers.pooling.average_pooling2d import AveragePooling2D
from cornu.layers.pooling.average_pooling3d import AveragePooling3D
from cornu.layers.pooling.global_average_pooling1d import GlobalAveragePooling1D
from cornu.layers.pooling.global_average_pooling2d import GlobalAveragePooling2D
from cornu.layers.pooling.global_average_pooling3d import GlobalAveragePooling3D
from cornu.layers.pooling.global_max_pooling1d import GlobalMaxPooling1D
from cornu.layers.pooling.global_max_pooling2d import GlobalMaxPooling2D
from cornu.layers.pooling.global_max_pooling3d import GlobalMaxPooling3D
from cornu.layers.pooling.max_pooling1d import MaxPooling1D
from cornu.layers.pooling.max_pooling2d import MaxPooling2D
from cornu.layers.pooling.max_pooling3d import MaxPooling3D
from cornu.layers.regularization.activity_regularization import ActivityRegularization
from cornu.layers.regularization.dropout import Dropout
from cornu.layers.regularization.gaussian_noise import GaussianNoise
from cornu.layers.regularization.spatial_dropout import (
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from cornu.layers.reshaping.cropping2d import Cropping2D
from cornu.layers.reshaping.flatten import Flatten
from cornu.layers.reshaping.permute import Permute
from cornu.layers.reshaping.repeat_vector import RepeatVector
from cornu.layers.reshaping.reshape import Reshape
from cornu.layers.reshaping.up_sampling2d import UpSampling2D
from cornu.layers.reshaping.zero_padding2d import ZeroPadding2D
from cornu.layers.activations.prelu import PReLU
from cornu.layers.convolutional.conv1d_transpose import Conv1DTranspose
from cornu.layers.convolutional.conv2d_transpose import Conv2DTranspose
from cornu.layers.convolutional.conv3d_transpose import Conv3DTranspose
from cornu.layers.convolutional.depthwise_conv1d import DepthwiseConv1D
from cornu.layers.convolutional.depthwise_conv2d import DepthwiseConv2D
from cornu.layers.convolutional.separable_conv1d import SeparableConv1D
from cornu.layers.convolutional.separable_conv2d import SeparableConv2D
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.core.jax_layer import FlaxLayer, JaxLayer
from cornu.layers.core.masking import Masking
from cornu.layers.core.reversible_embedding import ReversibleEmbedding
from cornu.layers.core.tfsm_layer import TFSMLayer
from cornu.layers.core.time_distributed import TimeDistributed
from cornu.layers.core.torch_module_wrapper import TorchModuleWrapper
from cornu.layers.core.wrapper import Wrapper
from cornu.layers.normalization.group_normalization import GroupNormalization
from cornu.layers.normalization.rms_normalization import RMSNormalization
from cornu.layers.normalization.spectral_normalization import SpectralNormalization
from cornu.layers.normalization.unit_normalization import UnitNormalization
from cornu.layers.pooling.adaptive_average_pooling1d import AdaptiveAveragePooling1D
from cornu.layers.pooling.adaptive_average_pooling2d import AdaptiveAveragePooling2D
from cornu.layers.pooling.adaptive_average_pooling3d import AdaptiveAveragePooling3D
from cornu.layers.pooling.adaptive_max_pooling1d import AdaptiveMaxPooling1D
from cornu.layers.pooling.adaptive_max_pooling2d import AdaptiveMaxPooling2D
from cornu.layers.pooling.adaptive_max_pooling3d import AdaptiveMaxPooling3D
from cornu.layers.regularization.alpha_dropout import AlphaDropout
from cornu.layers.regularization.gaussian_dropout import GaussianDropout
from cornu.layers.reshaping.cropping1d import Cropping1D
from cornu.layers.reshaping.cropping3d import Cropping3D
from cornu.layers.reshaping.up_sampling1d import UpSampling1D
from cornu.layers.reshaping.up_sampling3d import UpSampling3D
from cornu.layers.reshaping.zero_padding1d import ZeroPadding1D
from cornu.layers.reshaping.zero_padding3d import ZeroPadding3D
from cornu.models.input_layer import Input, InputLayer

# Keras aliases.
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D

#: Every layer class this distribution provides, with its Keras aliases
#: (what ``_plugin.py`` registers).
_LAYER_CLASSES = {
    Activation: (), ELU: (), LeakyReLU: (), ReLU: (), Softmax: (),
    Conv1D: ("Convolution1D",), Conv2D: ("Convolution2D",), Conv3D: ("Convolution3D",),
    Dense: (), Embedding: (), Identity: (), Lambda: (),
    Add: (), Average: (), Concatenate: (), Dot: (), Maximum: (), Minimum: (),
    Multiply: (), Subtract: (),
    BatchNormalization: (), LayerNormalization: (),
    AveragePooling1D: ("AvgPool1D",), AveragePooling2D: ("AvgPool2D",),
    AveragePooling3D: ("AvgPool3D",),
    MaxPooling1D: ("MaxPool1D",), MaxPooling2D: ("MaxPool2D",), MaxPooling3D: ("MaxPool3D",),
    GlobalAveragePooling1D: ("GlobalAvgPool1D",), GlobalAveragePooling2D: ("GlobalAvgPool2D",),
    GlobalAveragePooling3D: ("GlobalAvgPool3D",),
    GlobalMaxPooling1D: ("GlobalMaxPool1D",), GlobalMaxPooling2D: ("GlobalMaxPool2D",),
    GlobalMaxPooling3D: ("GlobalMaxPool3D",),
    ActivityRegularization: (), Dropout: (), GaussianNoise: (),
    SpatialDropout1D: (), SpatialDropout2D: (), SpatialDropout3D: (),
    Cropping2D: (), Flatten: (), Permute: (), RepeatVector: (), Reshape: (),
    UpSampling2D: (), ZeroPadding2D: (),
    Masking: (), EinsumDense: (), ReversibleEmbedding: (), Wrapper: (), TimeDistributed: (),
    TorchModuleWrapper: (), TFSMLayer: (), JaxLayer: (), FlaxLayer: (), PReLU: (),
    Conv1DTranspose: ("Convolution1DTranspose",), Conv2DTranspose: ("Convolution2DTranspose",),
    Conv3DTranspose: ("Convolution3DTranspose",),
    DepthwiseConv1D: (), DepthwiseConv2D: (),
    SeparableConv1D: ("SeparableConvolution1D",), SeparableConv2D: ("SeparableConvolution2D",),
    AdaptiveAveragePooling1D: (), AdaptiveAveragePooling2D: (), AdaptiveAveragePooling3D: (),
    AdaptiveMaxPooling1D: (), AdaptiveMaxPooling2D: (), AdaptiveMaxPooling3D: (),
    GroupNormalization: (), UnitNormalization: (), RMSNormalization: (),
    SpectralNormalization: (),
    AlphaDropout: (), GaussianDropout: (),
    Cropping1D: (), Cropping3D: (), UpSampling1D: (), UpSampling3D: (), ZeroPadding1D: (),
    ZeroPadding3D: (),
}

# The families that live in their own subpackages export their tables.
from cornu.layers import attention as _attention  # noqa: E402
from cornu.layers import preprocessing as _preprocessing  # noqa: E402
from cornu.layers import rnn as _rnn  # noqa: E402
from cornu.layers.attention import *  # noqa: E402,F401,F403
from cornu.layers.preprocessing import *  # noqa: E402,F401,F403
from cornu.layers.rnn import *  # noqa: E402,F401,F403

for _family in (_rnn, _attention, _preprocessing):
    _LAYER_CLASSES.update(_family._LAYER_CLASSES)


def serialize(layer):
    """The Keras-format config of a layer (as ``keras.layers.serialize``)."""
    from cornu.serialization import serialize_cornu_object

    return serialize_cornu_object(layer)


def deserialize(config, custom_objects=None):
    """A layer from its Keras-format config (as ``keras.layers.deserialize``)."""
    from cornu.serialization import deserialize_cornu_object

    obj = deserialize_cornu_object(config, custom_objects=custom_objects, kind="layer")
    if not isinstance(obj, Layer):
        raise ValueError(
            "cornu.layers.deserialize was passed a config that is not a layer's. "
            f"Received: {config}"
        )
    return obj

__all__ = sorted(set(
    [cls.__name__ for cls in _LAYER_CLASSES]
    + [alias for aliases in _LAYER_CLASSES.values() for alias in aliases]
    + [name for family in (_rnn, _attention, _preprocessing) for name in family.__all__]
    + ["Layer", "InputSpec", "Input", "InputLayer", "serialize", "deserialize", "add", "average", "concatenate", "dot",
       "maximum", "minimum", "multiply", "subtract"]
))
