"""``SpatialDropout1D/2D/3D``: drop whole feature maps (channels) instead of single values."""
from cornu import random
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils
from cornu.layers.regularization.dropout import Dropout


class BaseSpatialDropout(Dropout):
    """Dropout whose mask is shared over the spatial axes: one keep/drop per channel.

    Args:
        rate: float in [0, 1], the fraction of channels to drop.
        seed: an int seed.
    """

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)

    def _noise_shape(self, inputs):
        raise NotImplementedError

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return random.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs),
                                  seed=self.seed_generator)
        return inputs

    def get_config(self):
        # Exactly Keras's keys: its constructor rejects any other (e.g. ``trainable``).
        cfg = {"rate": self.rate, "seed": self.seed, "name": self.name,
               "dtype": Layer.get_config(self)["dtype"]}
        return cfg


class SpatialDropout1D(BaseSpatialDropout):
    """Spatial dropout on ``(batch, steps, channels)``: drops whole channels."""

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def _noise_shape(self, inputs):
        return (None, 1, None)  # None: the input's size (known or not)


class _SpatialDropoutND(BaseSpatialDropout):
    _rank = None

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = _utils.standardize_data_format(data_format, type(self).__name__)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _noise_shape(self, inputs):
        ones = (1,) * self._rank
        if self.data_format == "channels_last":
            return (None, *ones, None)
        return (None, None, *ones)

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class SpatialDropout2D(_SpatialDropoutND):
    """Spatial dropout on 4D inputs: drops whole 2D feature maps.

    Args:
        rate: float in [0, 1].
        data_format: ``"channels_last"`` (``(batch, rows, cols, channels)``) or
            ``"channels_first"``.
        seed: an int seed.
    """

    _rank = 2


class SpatialDropout3D(_SpatialDropoutND):
    """Spatial dropout on 5D inputs: drops whole 3D feature maps."""

    _rank = 3
