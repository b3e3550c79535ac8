"""``AdaptiveMaxPooling3D``: adaptive max pooling over 3 spatial axes."""
from cornu.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling


class AdaptiveMaxPooling3D(BaseAdaptivePooling):
    """Adaptive max pooling for 3D data: the output has ``output_size`` whatever the input.

    Args:
        output_size: an int or a tuple of 3 ints.
        data_format: ``"channels_last"`` (``(batch, *spatial, channels)``) or
            ``"channels_first"``.
    """

    rank = 3
    _op = "max"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format=data_format, **kwargs)
