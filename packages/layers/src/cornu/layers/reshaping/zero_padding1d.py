"""``ZeroPadding1D``: pad a sequence with zero steps at the start and the end."""
from cornu.layers import _utils
from cornu.layers.reshaping.base_cropping import BaseZeroPadding


class ZeroPadding1D(BaseZeroPadding):
    """Adds zero steps to ``(batch, steps, features)`` inputs (or channels-first).

    Args:
        padding: an int (same at both ends) or ``(start, end)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        padding = _utils.standardize_tuple(padding, 2, "padding", "ZeroPadding1D",
                                           allow_zero=True)
        super().__init__(padding, data_format=data_format, **kwargs)

    def _pairs(self):
        return (self.padding,)
