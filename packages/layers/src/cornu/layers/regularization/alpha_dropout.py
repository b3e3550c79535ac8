"""``AlphaDropout``: dropout that keeps the self-normalizing statistics of SELU activations."""
from cornu import ops, random
from cornu.layer import Layer
from cornu.layers import _utils
from cornu.layers.regularization.dropout import validate_noise_shape

_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Drops inputs to SELU's negative saturation value, then rescales to keep the
    mean and variance of the inputs (training only; identity at inference).

    Args:
        rate: float in [0, 1], the drop probability.
        noise_shape: the shape of the keep/drop mask (``None`` entries take the
            input's size), as in ``Dropout``.
        seed: an int seed for the layer's ``SeedGenerator``.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        rate = _utils.check_rate(rate, "AlphaDropout")
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self.noise_shape = validate_noise_shape(noise_shape, "AlphaDropout")
        if rate > 0:
            self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            shape = ops.shape(inputs)
            if self.noise_shape is not None:
                shape = tuple(s if n is None else n for s, n in zip(shape, self.noise_shape))
            alpha_p = -_ALPHA * _SCALE
            kept = ops.cast(ops.greater_equal(
                random.uniform(shape, seed=self.seed_generator), self.rate), inputs.dtype)
            a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
            b = -a * alpha_p * self.rate
            x = ops.add(ops.multiply(inputs, kept), ops.multiply(alpha_p, ops.subtract(1.0, kept)))
            return ops.add(ops.multiply(a, x), b)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, training=False):
        return _utils.same_dtype_spec(inputs.shape, inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return cfg
