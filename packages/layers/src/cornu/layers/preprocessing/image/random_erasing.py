"""``RandomErasing``: erase a random rectangle of a random subset of images."""
from cornu import ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer


def box_masks(layer, n, height, width, ratio_x, ratio_y, seed, dtype):
    """(n, H, W, 1) (or (n, 1, H, W)) booleans: a box of ``ratio * size`` per image at
    a uniformly random position inside the image, and the boxes' area fractions.

    (Keras draws the box start in [0, 1) pixels, so its boxes hug the top-left
    corner; here the start is drawn over the whole free room.)"""
    h = ops.cast(height, dtype)
    w = ops.cast(width, dtype)
    box_w = ratio_x * w
    box_h = ratio_y * h
    x0 = random.uniform((n,), seed=seed, dtype=dtype) * (w - box_w)
    y0 = random.uniform((n,), seed=seed, dtype=dtype) * (h - box_h)
    ys = ops.reshape(ops.arange(height, dtype=dtype), (1, -1, 1))
    xs = ops.reshape(ops.arange(width, dtype=dtype), (1, 1, -1))
    x0, y0 = x0[:, None, None], y0[:, None, None]
    inside = ((xs >= x0) & (xs < x0 + box_w[:, None, None])
              & (ys >= y0) & (ys < y0 + box_h[:, None, None]))
    axis = -1 if layer.data_format == "channels_last" else 1
    return ops.expand_dims(inside, axis), box_w * box_h / (w * h)


class RandomErasing(BaseColorLayer):
    """Replaces a random rectangle of each image (with a probability drawn from
    ``factor``) by ``fill_value`` (default: Gaussian noise scaled by
    ``value_range[1]``, clipped to ``value_range``).

    Args:
        factor: the probability range (a number ``f`` in [0, 1]: ``[0, f]``).
        scale: the range of the erased fraction of each side, squared: the box sides
            are ``sqrt(u) * size`` for ``u`` drawn from ``scale`` (default (0.02, 0.33)).
        fill_value: None (noise), a number, or 3 numbers (one per channel).
        value_range: the range of the pixel values.
        seed: an int seed for the layer's ``SeedGenerator``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Bounding boxes and segmentation masks pass unchanged (as in Keras).
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._factor_range(factor, "factor", (0, 1))
        self.scale = self._factor_range(scale, "scale", (0, 1))
        if fill_value is not None and not isinstance(fill_value, (int, float)) and not (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError("RandomErasing: the `fill_value` argument must be None, a "
                             f"number or 3 numbers, received fill_value={fill_value!r}")
        self.fill_value = fill_value
        self._set_value_range(value_range)
        self._init_random(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        n = self._batch_size(images)
        height, width = self._image_size(images)
        seed = self._seed(seed)
        dtype = self.compute_dtype
        sides = ops.sqrt(random.uniform((n, 2), self.scale[0], self.scale[1], seed=seed,
                                        dtype=dtype))
        masks, _ = box_masks(self, n, height, width, sides[:, 0], sides[:, 1], seed, dtype)
        apply = self._probability_mask(n, seed)
        if self.fill_value is None:
            fill = random.normal(ops.shape(images), seed=seed, dtype=dtype) \
                * self.value_range[1]
        else:
            shape = [1, 1, 1, 1]
            values = self.fill_value if isinstance(self.fill_value, (tuple, list)) \
                else [self.fill_value]
            shape[self._channel_axis] = len(values)
            fill = ops.reshape(ops.convert_to_tensor(values, dtype=dtype), shape)
        fill = ops.clip(fill, self.value_range[0], self.value_range[1])
        return {"batch_masks": masks, "apply_erasing": apply, "fill_value": fill}

    def _transform_images(self, images, transformation, interpolation):
        erase = transformation["batch_masks"] & self._per_image(
            transformation["apply_erasing"])
        return ops.where(erase, ops.cast(transformation["fill_value"], images.dtype), images)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "scale": self.scale,
                    "fill_value": self.fill_value, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
