"""``GaussianDropout``: multiply the inputs by ``N(1, rate / (1 - rate))`` noise in training."""
import math

from cornu import ops, random
from cornu.layer import Layer
from cornu.layers import _utils


class GaussianDropout(Layer):
    """Multiplicative 1-centred Gaussian noise at training time (identity otherwise).

    Args:
        rate: float in [0, 1], the drop probability of the equivalent ``Dropout``; the
            noise has standard deviation ``sqrt(rate / (1 - rate))``.
        seed: an int seed for the layer's ``SeedGenerator``.
    """

    def __init__(self, rate, seed=None, **kwargs):
        rate = _utils.check_rate(rate, "GaussianDropout")
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        if rate > 0:
            self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            noise = random.normal(shape=ops.shape(inputs), mean=1.0, stddev=stddev,
                                  dtype=self.compute_dtype, seed=self.seed_generator)
            return ops.multiply(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, training=False):
        return _utils.same_dtype_spec(inputs.shape, inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"rate": self.rate, "seed": self.seed})
        return cfg
