"""``GlobalAveragePooling3D``: the mean over all 3 spatial axes."""
from cornu.layers.pooling.base_global_pooling import _GlobalAverage


class GlobalAveragePooling3D(_GlobalAverage):
    """Global mean pooling for 3D spatial data.

    Args:
        data_format: ``"channels_last"`` (``(batch, ..., channels)``) or
            ``"channels_first"``.
        keepdims: keep the spatial axes with size 1.

    Output shape: ``(batch, channels)``, or with ``keepdims`` the input shape
    with every spatial axis of size 1.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=3, data_format=data_format, keepdims=keepdims,
                         **kwargs)
