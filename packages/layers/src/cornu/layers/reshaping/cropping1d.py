"""``Cropping1D``: remove steps at the start and the end of a sequence."""
from cornu.layers import _utils
from cornu.layers.reshaping.base_cropping import BaseCropping


class Cropping1D(BaseCropping):
    """Crops ``(batch, steps, features)`` inputs along the steps.

    Args:
        cropping: an int (same at both ends) or ``(start, end)``.
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        cropping = _utils.standardize_tuple(cropping, 2, "cropping", "Cropping1D",
                                            allow_zero=True)
        super().__init__(cropping, data_format="channels_last", **kwargs)

    def _pairs(self):
        return (self.cropping,)

    def get_config(self):
        cfg = super().get_config()
        del cfg["data_format"]
        return cfg
