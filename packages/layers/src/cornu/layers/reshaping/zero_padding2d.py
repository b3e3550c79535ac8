"""``ZeroPadding2D``: pad the rows and columns of an image with zeros."""
from cornu.layers import _utils
from cornu.layers.reshaping.base_cropping import BaseZeroPadding


class ZeroPadding2D(BaseZeroPadding):
    """Adds rows and columns of zeros around 2D inputs.

    Args:
        padding: an int (same on all four sides), a tuple of 2 ints
            (symmetric height and width padding), or
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        padding = _utils.standardize_pairs(padding, 2, "padding", "ZeroPadding2D")
        super().__init__(padding, data_format=data_format, **kwargs)
