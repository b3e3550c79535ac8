"""``ZeroPadding3D``: pad the three spatial axes of a volume with zeros."""
from cornu.layers import _utils
from cornu.layers.reshaping.base_cropping import BaseZeroPadding


class ZeroPadding3D(BaseZeroPadding):
    """Adds zeros around 3D inputs.

    Args:
        padding: an int (same everywhere), a tuple of 3 ints (symmetric per axis), or
            3 ``(before, after)`` pairs.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        padding = _utils.standardize_pairs(padding, 3, "padding", "ZeroPadding3D")
        super().__init__(padding, data_format=data_format, **kwargs)
