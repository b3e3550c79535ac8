"""``Rescaling``: ``inputs * scale + offset`` (runs on the backend, on device)."""
import numpy as np

from cornu import config, ops
from cornu.layer import Layer
from cornu.layers.preprocessing import _common


class Rescaling(Layer):
    """Rescales the inputs: ``output = inputs * scale + offset``.

    E.g. ``Rescaling(1. / 255)`` maps ``[0, 255]`` to ``[0, 1]`` and
    ``Rescaling(1. / 127.5, offset=-1)`` maps it to ``[-1, 1]``.

    Args:
        scale: a float, or a per-channel list/array (broadcast against the channel
            axis: the last one, or axis 1 of images when the image data format is
            ``"channels_first"``).
        offset: a float (or per-channel list/array) added after scaling.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``, ...).
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def _constants(self):
        # Host values become device tensors once, not on every call.
        cached = self.__dict__.get("_cached_constants")
        if cached is None:
            dtype = self.compute_dtype
            scale = np.asarray(self.scale, dtype=dtype)
            if scale.ndim > 0 and config.image_data_format() == "channels_first":
                scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
            offset = np.asarray(self.offset, dtype=dtype)
            cached = (
                float(scale) if scale.ndim == 0 else _common.constant(scale, dtype),
                float(offset) if offset.ndim == 0 else _common.constant(offset, dtype),
            )
            object.__setattr__(self, "_cached_constants", cached)
        return cached

    def call(self, inputs):
        scale, offset = self._constants()
        return ops.add(ops.multiply(ops.cast(inputs, self.compute_dtype), scale), offset)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"scale": _listify(self.scale), "offset": _listify(self.offset)})
        return cfg


def _listify(value):
    return value.tolist() if isinstance(value, np.ndarray) else value
