"""``MaxPooling3D``: maximum pooling over 3 spatial dimensions."""
from cornu.layers.pooling.base_pooling import BasePooling


class MaxPooling3D(BasePooling):
    """Maximum pooling for 3D spatial data.

    Args:
        pool_size: int or tuple of 3 ints, the window size.
        strides: int, tuple of 3 ints, or None (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Output spatial size: ``floor((n - pool) / stride) + 1`` (valid) or
    ``ceil(n / stride)`` (same).
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=3, pool_mode="max",
                         padding=padding, data_format=data_format, name=name, **kwargs)
