"""``Cropping3D``: remove entries at the borders of a volume."""
from cornu.layers import _utils
from cornu.layers.reshaping.base_cropping import BaseCropping


class Cropping3D(BaseCropping):
    """Crops 3D inputs along the three spatial axes.

    Args:
        cropping: an int (same everywhere), a tuple of 3 ints (symmetric per axis), or
            3 ``(before, after)`` pairs.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        cropping = _utils.standardize_pairs(cropping, 3, "cropping", "Cropping3D")
        super().__init__(cropping, data_format=data_format, **kwargs)
