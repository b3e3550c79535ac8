"""``AdaptiveAveragePooling2D``: adaptive average pooling over 2 spatial axes."""
from cornu.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling


class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    """Adaptive average pooling for 2D data: the output has ``output_size`` whatever the input.

    Args:
        output_size: an int or a tuple of 2 ints.
        data_format: ``"channels_last"`` (``(batch, *spatial, channels)``) or
            ``"channels_first"``.
    """

    rank = 2
    _op = "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format=data_format, **kwargs)
