"""``RandomGaussianBlur``: blur a random subset of images during training."""
from cornu import ops, random
from cornu.layers.preprocessing.image._color import BaseColorLayer


class RandomGaussianBlur(BaseColorLayer):
    """Blurs each image, with a probability drawn from ``factor``, with a Gaussian of
    ``kernel_size`` and a standard deviation drawn (per batch) from ``sigma``.

    Args:
        factor: the probability range (a number ``f`` in [0, 1]: ``[0, f]``).
        kernel_size: an odd int or a pair of odd ints (height, width).
        sigma: a number ``s`` draws from ``[0, s]``, a pair from that range.
        value_range: the range of the pixel values; outputs are clipped to it.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: an int seed for the layer's ``SeedGenerator``.
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._factor_range(factor, "factor", (0, 1))
        sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
        if len(sizes) != 2 or any(not isinstance(k, int) or k < 1 or k % 2 == 0
                                  for k in sizes):
            raise ValueError("RandomGaussianBlur: the `kernel_size` argument must be an odd "
                             f"positive int or a pair of them, received "
                             f"kernel_size={kernel_size!r}")
        self.kernel_size = tuple(sizes)
        self.sigma = self._factor_range(sigma, "sigma", (0, float("inf")))
        self._set_value_range(value_range)
        self._init_random(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        seed = self._seed(seed)
        apply = self._probability_mask(n, seed)
        sigma = random.uniform((2,), self.sigma[0], self.sigma[1], seed=seed,
                               dtype="float32") + 1e-6
        return {"should_apply_blur": apply, "blur_factor": sigma}

    def _transform_images(self, images, transformation, interpolation):
        sigma = ops.cast(transformation["blur_factor"], images.dtype)
        blurred = ops.image.gaussian_blur(images, self.kernel_size, sigma,
                                          data_format=self.data_format)
        out = ops.where(self._per_image(transformation["should_apply_blur"]), blurred, images)
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "kernel_size": self.kernel_size,
                    "sigma": self.sigma, "value_range": self.value_range,
                    "seed": self.seed})
        return cfg
