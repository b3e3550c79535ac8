"""``RandomShear``: shear images along x and/or y by a random amount during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image._affine import BaseAffineLayer


class RandomShear(BaseAffineLayer):
    """Shears each image (about its centre).

    Args:
        x_factor: a number ``f`` in [0, 1] draws the horizontal shear from ``[0, f]``
            with a random sign (a pair: from that range); the shear is the tangent of
            the shear angle (input ``x`` moves by ``shear * y``).
        y_factor: the same vertically.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"``, ``"nearest"``.
        fill_value: the value outside the image for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: an int seed for the layer's ``SeedGenerator``.
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = self._shear_range(x_factor, "x_factor")
        self.y_factor = self._shear_range(y_factor, "y_factor")
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def _shear_range(self, factor, name):
        if isinstance(factor, (tuple, list)):
            return self._factor_range(factor, name, (0, 1))
        lower, upper = self._factor_range(factor, name, (0, 1))
        return 0.0, upper  # a single number: magnitude in [0, f], random sign

    def _affine_params(self, batch_size, height, width, seed):
        sign = ops.where(random.uniform((batch_size,), seed=seed, dtype="float32") > 0.5,
                         -1.0, 1.0)
        shy = self._uniform(batch_size, self.y_factor[0], self.y_factor[1], seed)
        shx = self._uniform(batch_size, self.x_factor[0], self.x_factor[1], seed)
        return {"shear_x": shx * sign, "shear_y": shy * sign}

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"x_factor": self.x_factor, "y_factor": self.y_factor})
        return cfg
