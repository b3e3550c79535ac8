"""``cornu.applications``: the Keras pretrained-model architectures.

This distribution is the home of VGG, ResNet, MobileNet, EfficientNet and the
other Keras applications; they register through ``_plugin`` under the
"application" kind as they are added.  None is shipped yet.
"""
__all__ = []
