"""The augmentation menu shared by ``RandAugment`` and ``AugMix``."""
from cornu.layers.preprocessing.image.auto_contrast import AutoContrast
from cornu.layers.preprocessing.image.equalization import Equalization
from cornu.layers.preprocessing.image.random_brightness import RandomBrightness
from cornu.layers.preprocessing.image.random_color_degeneration import (
    RandomColorDegeneration,
)
from cornu.layers.preprocessing.image.random_contrast import RandomContrast
from cornu.layers.preprocessing.image.random_posterization import RandomPosterization
from cornu.layers.preprocessing.image.random_rotation import RandomRotation
from cornu.layers.preprocessing.image.random_sharpness import RandomSharpness
from cornu.layers.preprocessing.image.random_shear import RandomShear
from cornu.layers.preprocessing.image.random_translation import RandomTranslation
from cornu.layers.preprocessing.image.solarization import Solarization

GEOMETRIC = ("random_shear", "random_translation", "random_rotation")
BASIC = ("random_shear", "random_translation", "random_rotation", "solarization",
         "random_posterization", "auto_contrast", "equalization")
COLOR = ("random_brightness", "random_color_degeneration", "random_contrast",
         "random_sharpness")


def build_menu(factor, value_range, interpolation, seed, data_format, names, dtype=None):
    """``{name: layer}`` for ``names``, with the Keras factor conventions; ``dtype``: the
    parent layer's policy, which the menu's layers share (as in Keras)."""
    common = {"seed": seed, "data_format": data_format, "dtype": dtype}
    make = {
        "random_shear": lambda: RandomShear(x_factor=factor, y_factor=factor,
                                            interpolation=interpolation, **common),
        "random_translation": lambda: RandomTranslation(
            height_factor=factor, width_factor=factor, interpolation=interpolation,
            **common),
        "random_rotation": lambda: RandomRotation(factor=factor,
                                                  interpolation=interpolation, **common),
        "random_brightness": lambda: RandomBrightness(factor=factor,
                                                      value_range=value_range, **common),
        "random_color_degeneration": lambda: RandomColorDegeneration(
            factor=factor, value_range=value_range, **common),
        "random_contrast": lambda: RandomContrast(factor=factor, value_range=value_range,
                                                  **common),
        "random_sharpness": lambda: RandomSharpness(factor=factor, value_range=value_range,
                                                    **common),
        "solarization": lambda: Solarization(addition_factor=factor,
                                             threshold_factor=factor,
                                             value_range=value_range, seed=seed,
                                             dtype=dtype),
        "random_posterization": lambda: RandomPosterization(
            factor=max(1, int(8 * factor[1])), value_range=value_range, **common),
        "auto_contrast": lambda: AutoContrast(value_range=value_range,
                                              data_format=data_format, dtype=dtype),
        "equalization": lambda: Equalization(value_range=value_range,
                                             data_format=data_format, dtype=dtype),
    }
    return {name: make[name]() for name in names}


def apply(layer, images, generator):
    """One op of the menu on ``images``, its randomness from ``generator``."""
    t = layer.get_random_transformation(images, training=True, seed=generator)
    return layer.transform_images(images, t, training=True)
