"""``RandomSharpness``: sharpen or blur images by a random amount during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer


class RandomSharpness(BaseColorLayer):
    """Blends each image with a smoothed copy (3x3 kernel, centre weight 5/13):
    ``x + (1 - 2f) * (smooth(x) - x)``; ``f`` < 0.5 blurs, ``f`` > 0.5 sharpens.

    Args:
        factor: in [0, 1]: a number ``f`` draws from ``[0, f]``, a pair from that range.
        value_range: the range of the pixel values; outputs are clipped to it.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: an int seed for the layer's ``SeedGenerator``.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._factor_range(factor, "factor", (0, 1))
        self._set_value_range(value_range)
        self._init_random(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        return {"factor": random.uniform((n,), self.factor[0], self.factor[1],
                                         seed=self._seed(seed))}

    def _transform_images(self, images, transformation, interpolation):
        channels = ops.shape(images)[self._channel_axis]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = ops.convert_to_tensor([[a, a, a], [a, b, a], [a, a, a]], dtype=images.dtype)
        kernel = ops.tile(ops.reshape(kernel, (3, 3, 1, 1)), (1, 1, channels, 1))
        smooth = ops.depthwise_conv(images, kernel, strides=1, padding="same",
                                    data_format=self.data_format)
        s = self._per_image(ops.cast(transformation["factor"] * 2.0, images.dtype))
        out = images + (1.0 - s) * (smooth - images)
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
