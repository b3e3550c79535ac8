"""``ContrastLimitedAdaptiveHistogramEqualization``: CLAHE per image and channel."""
import numpy as np

from cornu import ops
from cornu.layers.preprocessing.image._color import BaseColorLayer

_BINS = 256


class ContrastLimitedAdaptiveHistogramEqualization(BaseColorLayer):
    """Contrast Limited Adaptive Histogram Equalization (always applied, as in Keras).

    Each image is cut into a ``tile_grid_size`` grid of tiles (the bottom and right
    edges padded by reflection, numpy's ``"symmetric"`` mode, so the tiles divide the
    image).  On the [0, 255] scale each tile and channel gets a 256-bin histogram of
    its truncated integer values; the bins are clipped at ``clip_limit * tile_pixels
    / 256`` and the clipped excess is spread evenly over all bins; the lookup table is
    ``clip((cdf - cdf[0]) * 255 / (tile_pixels - cdf[0]), 0, 255)``.  A pixel's value
    is the bilinear blend of the tables of the four tiles whose centres surround it
    (the outer half-tiles use the edge tiles' tables).

    Args:
        value_range: the range of the pixel values (default ``(0, 255)``).
        clip_limit: the contrast limit (a float; ``<= 0`` disables the clipping).
        tile_grid_size: ``(rows, columns)`` of tiles (default ``(8, 8)``).
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Floating inputs come out in the compute dtype, integer inputs in their own dtype
    (the blended values truncated), as in Keras.  Labels, bounding boxes and
    segmentation masks pass unchanged.  The image height, width and channels must be
    known (static) when the layer runs; the batch size may vary.
    """

    _RANDOM = False

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_value_range(value_range)
        if isinstance(clip_limit, bool) or not isinstance(clip_limit, (int, float)):
            raise ValueError(
                "ContrastLimitedAdaptiveHistogramEqualization: the `clip_limit` argument "
                f"must be a number, received clip_limit={clip_limit!r}"
            )
        self.clip_limit = clip_limit
        if not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2 or any(
                isinstance(g, bool) or not isinstance(g, (int, np.integer)) or g < 1
                for g in tile_grid_size):
            raise ValueError(
                "ContrastLimitedAdaptiveHistogramEqualization: the `tile_grid_size` "
                "argument must be a tuple of two positive ints (rows, columns), received "
                f"tile_grid_size={tile_grid_size!r}"
            )
        self.tile_grid_size = tuple(int(g) for g in tile_grid_size)

    def get_random_transformation(self, data, training=True, seed=None):
        return {}

    def transform_images(self, images, transformation=None, training=True):
        # Deterministic: applied at inference too (Keras ignores `training` here).
        return self._transform_images(images, {}, None)

    def _transform_images(self, images, transformation, interpolation):
        dtype = ops.dtype(images)
        if self.data_format == "channels_first":
            images = ops.moveaxis(images, 1, -1)
        x = ops.cast(images, "float32")
        x = self._transform_value_range(x, self.value_range, (0, 255))
        x = self._clahe(x)
        x = self._transform_value_range(x, (0, 255), self.value_range)
        x = ops.cast(x, dtype)
        if self.data_format == "channels_first":
            x = ops.moveaxis(x, -1, 1)
        return x

    def _static_dims(self, images):
        dims = tuple(images.shape[1:])
        if any(d is None for d in dims):
            raise ValueError(
                "ContrastLimitedAdaptiveHistogramEqualization: the image height, width "
                f"and channels must be known, received images of shape {tuple(images.shape)}"
            )
        return (int(d) for d in dims)

    def _clahe(self, x):
        """CLAHE of ``x`` (batch, height, width, channels), float32 on [0, 255]."""
        height, width, channels = self._static_dims(x)
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        padded_h, padded_w = tile_h * grid_h, tile_w * grid_w
        if (padded_h, padded_w) != (height, width):
            x = ops.take(x, _symmetric_index(height, padded_h), axis=1)
            x = ops.take(x, _symmetric_index(width, padded_w), axis=2)
        levels = ops.clip(ops.cast(x, "int32"), 0, _BINS - 1)  # (batch, H, W, C)

        # One histogram per (image, tile row, tile column, channel): count the bins of
        # index ((((b * gh + i) * gw + j) * C + c) * 256 + level).
        tiles = ops.reshape(levels, (-1, grid_h, tile_h, grid_w, tile_w, channels))
        tiles = ops.transpose(tiles, (0, 1, 3, 5, 2, 4))
        tiles = ops.reshape(tiles, (-1, tile_h * tile_w))  # row r = one histogram
        n_hist = ops.shape(tiles)[0]
        offsets = ops.reshape(ops.arange(n_hist, dtype="int32") * _BINS, (-1, 1))
        flat = ops.reshape(tiles + offsets, (-1,))
        hist = ops.cast(ops.bincount(flat, minlength=n_hist * _BINS), "float32")
        hist = ops.reshape(hist, (-1, grid_h, grid_w, channels, _BINS))

        pixels = float(tile_h * tile_w)
        if self.clip_limit > 0:
            limit = self.clip_limit * pixels / _BINS
            clipped = ops.minimum(hist, limit)
            excess = ops.sum(hist - clipped, axis=-1, keepdims=True)
            hist = clipped + excess / _BINS
        cdf = ops.cumsum(hist, axis=-1)
        cdf_min = cdf[..., :1]
        denom = pixels - cdf_min
        denom = ops.where(denom == 0, ops.ones_like(denom), denom)
        table = ops.clip((cdf - cdf_min) * 255.0 / denom, 0.0, 255.0)

        # Edge-replicate the grid of tables so every pixel has four neighbouring tiles.
        table = ops.concatenate([table[:, :1], table, table[:, -1:]], axis=1)
        table = ops.concatenate([table[:, :, :1], table, table[:, :, -1:]], axis=2)
        table = ops.reshape(table, (-1, (grid_h + 2) * (grid_w + 2) * channels * _BINS))

        # Static per-row/column neighbours and weights (tile centres at (k + 1/2) * tile).
        y0, y1, wy = _neighbours(padded_h, tile_h, grid_h)
        x0, x1, wx = _neighbours(padded_w, tile_w, grid_w)
        stride_x = channels * _BINS
        stride_y = stride_x * (grid_w + 2)
        base = levels + ops.convert_to_tensor(
            (np.arange(channels, dtype="int32") * _BINS).reshape(1, 1, 1, -1))

        def lookup(rows, cols):
            index = rows.reshape(1, -1, 1, 1) * stride_y + cols.reshape(1, 1, -1, 1) * stride_x
            index = base + ops.convert_to_tensor(index.astype("int32"))
            values = ops.take_along_axis(
                table, ops.reshape(index, (ops.shape(index)[0], -1)), axis=1)
            return ops.reshape(values, (-1, padded_h, padded_w, channels))

        wy = ops.convert_to_tensor(wy.reshape(1, -1, 1, 1))
        wx = ops.convert_to_tensor(wx.reshape(1, 1, -1, 1))
        top = lookup(y0, x0) * (1.0 - wx) + lookup(y0, x1) * wx
        bottom = lookup(y1, x0) * (1.0 - wx) + lookup(y1, x1) * wx
        out = top * (1.0 - wy) + bottom * wy
        return out[:, :height, :width, :]

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "value_range": self.value_range,
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
        })
        return cfg


def _symmetric_index(size, padded):
    """Indices of a length-``padded`` reflection ("symmetric") extension of ``size``."""
    period = np.arange(padded) % (2 * size)
    return np.where(period < size, period, 2 * size - 1 - period).astype("int32")


def _neighbours(padded, tile, grid):
    """For each padded row (column): the two tile indices (in the edge-replicated grid)
    whose centres surround it, and the weight of the second."""
    pos = (np.arange(padded, dtype="float32") - tile / 2.0) / tile + 1.0
    low = np.floor(pos)
    weight = (pos - low).astype("float32")
    first = np.clip(low, 0, grid + 1).astype("int32")
    second = np.clip(low + 1, 0, grid + 1).astype("int32")
    return first, second, weight
