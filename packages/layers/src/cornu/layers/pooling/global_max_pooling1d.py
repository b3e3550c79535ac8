"""``GlobalMaxPooling1D``: the maximum over all 1 spatial axes (the steps)."""
from cornu.layers.pooling.base_global_pooling import _GlobalMax


class GlobalMaxPooling1D(_GlobalMax):
    """Global maximum pooling for 1D spatial data.

    Args:
        data_format: ``"channels_last"`` (``(batch, ..., channels)``) or
            ``"channels_first"``.
        keepdims: keep the spatial axes with size 1.

    Output shape: ``(batch, channels)``, or with ``keepdims`` the input shape
    with every spatial axis of size 1.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=1, data_format=data_format, keepdims=keepdims,
                         **kwargs)
