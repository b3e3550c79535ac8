"""``RandomRotation``: rotate images by a random angle during training."""
import math

from cornu.layers.preprocessing.image._affine import BaseAffineLayer


class RandomRotation(BaseAffineLayer):
    """Rotates each image about its centre by a random angle (identity at inference).

    Args:
        factor: a fraction of 2*pi: a number ``f`` draws from ``[-f, f]``, a pair
            ``(lower, upper)`` from that range (``0.25`` = up to a quarter turn; a
            positive angle turns the image counter-clockwise).
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"``, ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: an int seed for the layer's ``SeedGenerator``.
        fill_value: the value outside the image for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._factor_range(factor, "factor", (-1, 1))
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def _affine_params(self, batch_size, height, width, seed):
        turns = self._uniform(batch_size, self.factor[0], self.factor[1], seed)
        return {"angle": turns * (2.0 * math.pi)}

    def get_config(self):
        cfg = super().get_config()
        cfg["factor"] = self.factor
        return cfg
