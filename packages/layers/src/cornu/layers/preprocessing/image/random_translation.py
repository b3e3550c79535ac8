"""``RandomTranslation``: shift images by a random offset during training."""
from cornu import ops
from cornu.layers.preprocessing.image._affine import BaseAffineLayer


class RandomTranslation(BaseAffineLayer):
    """Shifts each image by a random fraction of its height and width.

    Args:
        height_factor: a fraction of the height: a number ``f`` draws from ``[-f, f]``,
            a pair from that range; positive values shift the image down.
        width_factor: the same along the width; positive values shift right.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"``, ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: an int seed for the layer's ``SeedGenerator``.
        fill_value: the value outside the image for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = self._factor_range(
            height_factor, "height_factor", (-1, 1))
        self.width_lower, self.width_upper = self._factor_range(
            width_factor, "width_factor", (-1, 1))
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def _affine_params(self, batch_size, height, width, seed):
        ty = self._uniform(batch_size, self.height_lower, self.height_upper, seed)
        tx = self._uniform(batch_size, self.width_lower, self.width_upper, seed)
        return {"translate_x": tx * ops.cast(width, "float32"),
                "translate_y": ty * ops.cast(height, "float32")}

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return cfg
