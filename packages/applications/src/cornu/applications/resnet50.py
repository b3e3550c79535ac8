"""``cornu.applications.resnet50``: ResNet50 alone, as ``keras.applications.resnet50``."""
from cornu.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
