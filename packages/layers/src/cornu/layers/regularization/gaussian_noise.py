"""``GaussianNoise``: add zero-mean Gaussian noise during training."""
from cornu import ops, random
from cornu.layer import Layer
from cornu.layers import _utils


class GaussianNoise(Layer):
    """Adds ``N(0, stddev**2)`` noise to the inputs at training time (identity otherwise).

    Args:
        stddev: float in [0, 1], the standard deviation of the noise.
        seed: an int seed for the layer's ``SeedGenerator``.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        stddev = _utils.check_rate(stddev, "GaussianNoise", arg="stddev")
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed = seed
        if stddev > 0:
            self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            noise = random.normal(shape=ops.shape(inputs), mean=0.0, stddev=self.stddev,
                                  dtype=self.compute_dtype, seed=self.seed_generator)
            return ops.add(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, training=False):
        return _utils.same_dtype_spec(inputs.shape, inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"stddev": self.stddev, "seed": self.seed})
        return cfg
