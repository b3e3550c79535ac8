"""``RandomZoom``: zoom images in or out by a random factor during training."""
from cornu.layers.preprocessing.image._affine import BaseAffineLayer


class RandomZoom(BaseAffineLayer):
    """Zooms each image about its centre.

    Args:
        height_factor: a number ``f`` draws the vertical zoom from ``[-f, f]`` (a pair
            from that range); the image is scaled by ``1 / (1 + z)``: positive values
            zoom out, negative values zoom in.  Bounds in (-1, 1].
        width_factor: the same horizontally; None (default) keeps the aspect ratio
            (the width uses the height's draw).
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"``, ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: an int seed for the layer's ``SeedGenerator``.
        fill_value: the value outside the image for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = self._zoom_range(height_factor,
                                                                "height_factor")
        if width_factor is not None:
            self.width_lower, self.width_upper = self._zoom_range(width_factor,
                                                                  "width_factor")
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def _zoom_range(self, factor, name):
        lower, upper = self._factor_range(factor, name, (-1, 1))
        if lower <= -1.0:
            raise ValueError(
                f"RandomZoom: the `{name}` argument must be in the range (-1, 1], "
                f"received {name}={factor!r}"
            )
        return lower, upper

    def _affine_params(self, batch_size, height, width, seed):
        zy = 1.0 + self._uniform(batch_size, self.height_lower, self.height_upper, seed)
        if self.width_factor is None:
            zx = zy
        else:
            zx = 1.0 + self._uniform(batch_size, self.width_lower, self.width_upper, seed)
        return {"zoom_x": zx, "zoom_y": zy}

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return cfg
