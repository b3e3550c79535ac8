"""``Equalization``: histogram equalization per image and channel."""
from cornu import ops
from cornu.layers.preprocessing.image._color import BaseColorLayer


class Equalization(BaseColorLayer):
    """Equalizes the histogram of each channel of each image (when training, as in
    Keras: it is an augmentation of RandAugment/AugMix; called on its own it applies).

    On the [0, 255] scale the values fall in ``bins`` bins; the lookup table is
    ``round((cdf - cdf_min) * 255 / (n - cdf_min))`` of the bin counts (a channel with
    one occupied bin is unchanged).

    Args:
        value_range: the range of the pixel values.
        bins: the number of histogram bins (default 256).
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Each image is equalized on its own histogram (Keras pools the histogram over the
    whole batch; the two agree on single images).
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_value_range(value_range)
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise ValueError(f"Equalization: the `bins` argument must be a positive int, "
                             f"received bins={bins!r}")
        self.bins = bins

    def get_random_transformation(self, data, training=True, seed=None):
        return {}

    def _transform_images(self, images, transformation, interpolation):
        x = self._transform_value_range(images, self.value_range, (0, 255))
        if self.data_format == "channels_first":
            x = ops.moveaxis(x, 1, -1)
        shape = ops.shape(x)
        n, c = shape[0], shape[-1]
        # (n * c, pixels): one histogram per image and channel.
        flat = ops.reshape(ops.moveaxis(x, -1, 1), (n * c, -1))
        nb = self.bins
        index = ops.clip(ops.cast(flat * (nb - 1) / 255.0, "int32"), 0, nb - 1)
        hist = ops.sum(ops.one_hot(index, nb, dtype="float32"), axis=1)  # (n*c, bins)
        cdf = ops.cumsum(hist, axis=-1)
        total = cdf[:, -1:]
        cdf_min = ops.min(ops.where(cdf > 0, cdf, total), axis=-1, keepdims=True)
        denom = ops.where(total - cdf_min == 0, ops.ones_like(total), total - cdf_min)
        table = ops.clip(ops.round((cdf - cdf_min) * 255.0 / denom), 0, 255)
        lookup = ops.clip(ops.cast((flat / 255.0) * (nb - 1), "int32"), 0, nb - 1)
        equalized = ops.cast(ops.take_along_axis(table, lookup, axis=-1), flat.dtype)
        occupied = ops.sum(ops.cast(hist > 0, "int32"), axis=-1, keepdims=True)
        out = ops.where(occupied <= 1, flat, equalized)
        out = ops.moveaxis(ops.reshape(out, (n, c) + tuple(shape[1:-1])), 1, -1)
        if self.data_format == "channels_first":
            out = ops.moveaxis(out, -1, 1)
        return self._transform_value_range(out, (0, 255), self.value_range)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"value_range": self.value_range, "bins": self.bins})
        return cfg
