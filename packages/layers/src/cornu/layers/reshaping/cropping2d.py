"""``Cropping2D``: remove rows and columns at the borders of an image."""
from cornu.layers import _utils
from cornu.layers.reshaping.base_cropping import BaseCropping


class Cropping2D(BaseCropping):
    """Crops 2D inputs along height and width.

    Args:
        cropping: an int (same on all four sides), a tuple of 2 ints (symmetric
            height and width cropping), or ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        cropping = _utils.standardize_pairs(cropping, 2, "cropping", "Cropping2D")
        super().__init__(cropping, data_format=data_format, **kwargs)
