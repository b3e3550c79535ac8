"""``RandomColorJitter``: brightness, contrast, saturation and hue jitter in one layer."""
from cornu import ops
from cornu.layers.preprocessing.image._color import BaseColorLayer
from cornu.layers.preprocessing.image.random_brightness import RandomBrightness
from cornu.layers.preprocessing.image.random_contrast import RandomContrast
from cornu.layers.preprocessing.image.random_hue import RandomHue
from cornu.layers.preprocessing.image.random_saturation import RandomSaturation


class RandomColorJitter(BaseColorLayer):
    """Applies, in order, ``RandomBrightness``, ``RandomContrast``,
    ``RandomSaturation`` and ``RandomHue`` for the factors that are not None.

    Args:
        value_range: the range of the pixel values.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the
            ``factor`` of each sub-layer (None skips it).
        seed: an int seed (drives all four).
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_value_range(value_range)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self._init_random(seed)
        common = {"value_range": self.value_range, "seed": seed}
        self._jitters = []
        if brightness_factor is not None:
            self._jitters.append(RandomBrightness(brightness_factor, data_format=data_format,
                                                  **common))
        if contrast_factor is not None:
            self._jitters.append(RandomContrast(contrast_factor, data_format=data_format,
                                                **common))
        if saturation_factor is not None:
            self._jitters.append(RandomSaturation(saturation_factor, data_format=data_format,
                                                  **common))
        if hue_factor is not None:
            self._jitters.append(RandomHue(hue_factor, data_format=data_format, **common))

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        return {}

    def _transform_images(self, images, transformation, interpolation):
        # Each step draws from this layer's generator, on the images it will transform.
        for layer in self._jitters:
            t = layer.get_random_transformation(images, training=True, seed=self.generator)
            images = layer._transform_images(images, t, None)
        return ops.cast(images, self.compute_dtype)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"value_range": self.value_range,
                    "brightness_factor": self.brightness_factor,
                    "contrast_factor": self.contrast_factor,
                    "saturation_factor": self.saturation_factor,
                    "hue_factor": self.hue_factor, "seed": self.seed})
        return cfg
