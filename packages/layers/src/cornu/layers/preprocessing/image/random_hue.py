"""``RandomHue``: rotate the hue by a random amount during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer


def _with_hsv_channel(layer, images, index, fn):
    """Apply ``fn`` to HSV channel ``index`` of RGB ``images`` in [0, 1]."""
    hsv = ops.image.rgb_to_hsv(images, data_format=layer.data_format)
    axis = layer._channel_axis
    channels = [hsv[..., i] if axis == -1 else hsv[:, i] for i in range(3)]
    channels[index] = fn(channels[index])
    return ops.image.hsv_to_rgb(ops.stack(channels, axis=axis),
                                data_format=layer.data_format)


class RandomHue(BaseColorLayer):
    """Shifts the hue of each image by a random fraction of the colour circle.

    Args:
        factor: in [0, 1]: a number ``f`` draws the shift magnitude from ``[0, f]``
            (a pair: from that range) with a random sign; the shift is half of it in
            turns (``f = 1`` reaches the opposite colour).
        value_range: the range of the pixel values (default ``(0, 255)``).
        seed: an int seed for the layer's ``SeedGenerator``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
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
        seed = self._seed(seed)
        sign = ops.where(random.uniform((n,), seed=seed) > 0.5, -1.0, 1.0)
        magnitude = random.uniform((n,), self.factor[0], self.factor[1], seed=seed)
        return {"factor": sign * magnitude * 0.5}

    def _transform_images(self, images, transformation, interpolation):
        x = self._transform_value_range(images, self.value_range, (0, 1))
        shift = ops.reshape(ops.cast(transformation["factor"], x.dtype), (-1, 1, 1))

        def rotate(h):
            h = h + shift
            return h - ops.floor(h)  # wrap into [0, 1)

        x = ops.clip(_with_hsv_channel(self, x, 0, rotate), 0.0, 1.0)
        return self._transform_value_range(x, (0, 1), self.value_range)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
