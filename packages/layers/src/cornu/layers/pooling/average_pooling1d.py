"""``AveragePooling1D``: average pooling over 1 spatial dimension."""
from cornu.layers.pooling.base_pooling import BasePooling


class AveragePooling1D(BasePooling):
    """Average pooling for 1D spatial data.

    Args:
        pool_size: int or tuple of 1 ints, the window size.
        strides: int, tuple of 1 ints, or None (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Output spatial size: ``floor((n - pool) / stride) + 1`` (valid) or
    ``ceil(n / stride)`` (same).
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="average",
                         padding=padding, data_format=data_format, name=name, **kwargs)
