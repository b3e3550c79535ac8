"""The image preprocessing and augmentation layers (Keras 3 names and semantics).

One module per class; the shared machinery is in ``base_image_preprocessing_layer``
(``BaseImagePreprocessingLayer``), ``_affine`` (rotation/translation/zoom/shear),
``_color`` (colour-only layers) and ``bounding_boxes`` (box formats).
"""
from cornu.layers.preprocessing.image.aug_mix import AugMix
from cornu.layers.preprocessing.image.auto_contrast import AutoContrast
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)
from cornu.layers.preprocessing.image.center_crop import CenterCrop
from cornu.layers.preprocessing.image.clahe import (
    ContrastLimitedAdaptiveHistogramEqualization,
)
from cornu.layers.preprocessing.image.cut_mix import CutMix
from cornu.layers.preprocessing.image.equalization import Equalization
from cornu.layers.preprocessing.image.max_num_bounding_boxes import MaxNumBoundingBoxes
from cornu.layers.preprocessing.image.mix_up import MixUp
from cornu.layers.preprocessing.image.pipeline import Pipeline
from cornu.layers.preprocessing.image.rand_augment import RandAugment
from cornu.layers.preprocessing.image.random_brightness import RandomBrightness
from cornu.layers.preprocessing.image.random_color_degeneration import (
    RandomColorDegeneration,
)
from cornu.layers.preprocessing.image.random_color_jitter import RandomColorJitter
from cornu.layers.preprocessing.image.random_contrast import RandomContrast
from cornu.layers.preprocessing.image.random_crop import RandomCrop
from cornu.layers.preprocessing.image.random_elastic_transform import (
    RandomElasticTransform,
)
from cornu.layers.preprocessing.image.random_erasing import RandomErasing
from cornu.layers.preprocessing.image.random_flip import RandomFlip
from cornu.layers.preprocessing.image.random_gaussian_blur import RandomGaussianBlur
from cornu.layers.preprocessing.image.random_grayscale import RandomGrayscale
from cornu.layers.preprocessing.image.random_hue import RandomHue
from cornu.layers.preprocessing.image.random_invert import RandomInvert
from cornu.layers.preprocessing.image.random_perspective import RandomPerspective
from cornu.layers.preprocessing.image.random_posterization import RandomPosterization
from cornu.layers.preprocessing.image.random_rotation import RandomRotation
from cornu.layers.preprocessing.image.random_saturation import RandomSaturation
from cornu.layers.preprocessing.image.random_sharpness import RandomSharpness
from cornu.layers.preprocessing.image.random_shear import RandomShear
from cornu.layers.preprocessing.image.random_translation import RandomTranslation
from cornu.layers.preprocessing.image.random_zoom import RandomZoom
from cornu.layers.preprocessing.image.resizing import Resizing
from cornu.layers.preprocessing.image.solarization import Solarization

_LAYER_CLASSES = {cls: () for cls in (
    Resizing, CenterCrop, RandomCrop, RandomFlip, RandomRotation, RandomTranslation,
    RandomZoom, RandomShear, RandomPerspective, RandomElasticTransform, RandomContrast,
    RandomBrightness, RandomHue, RandomSaturation, RandomColorJitter,
    RandomColorDegeneration, RandomGrayscale, RandomInvert, RandomPosterization,
    RandomSharpness, RandomGaussianBlur, RandomErasing, Solarization, Equalization,
    AutoContrast, ContrastLimitedAdaptiveHistogramEqualization, MixUp, CutMix, AugMix,
    RandAugment, MaxNumBoundingBoxes, Pipeline,
)}

__all__ = [cls.__name__ for cls in _LAYER_CLASSES]
