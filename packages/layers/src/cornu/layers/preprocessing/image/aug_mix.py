"""``AugMix``: mix several chains of augmentations with the original image."""
import numpy as np

from cornu import ops, random
from cornu.layers.preprocessing.image import _augment_set
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)


class AugMix(BaseImagePreprocessingLayer):
    """AugMix (Hendrycks et al., 2020): ``num_chains`` chains of up to ``chain_depth``
    random operations, mixed with Dirichlet(``alpha``) weights, then blended with the
    original image with a Beta(``alpha``, ``alpha``) weight; clipped to ``value_range``.

    Args:
        value_range: the range of the pixel values.
        num_chains: the number of chains (default 3).
        chain_depth: the maximum number of operations per chain (default 3).
        factor: the operations' magnitude range (a number ``f`` in [0, 1]: ``[0, f]``).
        alpha: the Dirichlet/Beta concentration (default 1.0).
        all_ops: include brightness, colour degeneration, contrast and sharpness
            (default True).
        interpolation: for the geometric operations.
        seed: an int seed (the operations' randomness and the choice of operations).
        data_format: ``"channels_last"`` or ``"channels_first"``.

    The operations of each chain are chosen per batch on the host from a generator
    seeded with ``seed`` (as Keras, which uses Python's ``random``); under ``tf.data``
    the choice is fixed per trace.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_value_range(value_range)
        for name, v in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"AugMix: the `{name}` argument must be a positive int, "
                                 f"received {name}={v!r}")
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = self._factor_range(factor, "factor", (0, 1))
        self.alpha = alpha
        self.all_ops = bool(all_ops)
        self.interpolation = interpolation
        self.seed = seed
        self.generator = random.SeedGenerator(seed)
        self._host_rng = np.random.default_rng(seed)
        names = _augment_set.BASIC + (_augment_set.COLOR if self.all_ops else ())
        self._menu = _augment_set.build_menu(self.factor, self.value_range, interpolation,
                                             seed, self.data_format, names,
                                             dtype=self.dtype_policy)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self._seed(seed)
        g = random.gamma((self.num_chains,), self.alpha, seed=seed)
        names = list(self._menu) + [None]  # None: the chain stops growing at that step
        chains = [[names[i] for i in self._host_rng.integers(0, len(names),
                                                             self.chain_depth)]
                  for _ in range(self.num_chains)]
        return {"chain_mixing_weights": g / ops.sum(g),
                "weight_sample": random.beta((), self.alpha, self.alpha, seed=seed),
                "chains": [[n for n in chain if n is not None] for chain in chains]}

    def _transform_images(self, images, transformation, interpolation):
        weights = ops.cast(transformation["chain_mixing_weights"], images.dtype)
        mixed = ops.zeros_like(images)
        for i, chain in enumerate(transformation["chains"]):
            x = images
            for name in chain:
                x = _augment_set.apply(self._menu[name], x, self.generator)
            mixed = mixed + weights[i] * ops.cast(x, images.dtype)
        w = ops.cast(transformation["weight_sample"], images.dtype)
        out = w * images + (1.0 - w) * mixed
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"value_range": self.value_range, "num_chains": self.num_chains,
                    "chain_depth": self.chain_depth, "factor": self.factor,
                    "alpha": self.alpha, "all_ops": self.all_ops,
                    "interpolation": self.interpolation, "seed": self.seed})
        return cfg
