"""``Dropout``: randomly zero inputs during training, scaling the rest by ``1 / (1 - rate)``."""
from cornu import random
from cornu.layer import Layer
from cornu.layers import _utils


def validate_noise_shape(noise_shape, layer_cls):
    """``noise_shape`` as a tuple of positive ints / None (or None)."""
    if noise_shape is None:
        return None
    msg = (
        f"{layer_cls}: the `noise_shape` argument must be a tuple of positive integers "
        f"or None, received noise_shape={noise_shape!r}"
    )
    if isinstance(noise_shape, str):
        raise ValueError(msg)
    try:
        noise_shape = tuple(noise_shape)
    except TypeError:
        raise ValueError(msg) from None
    for dim in noise_shape:
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0):
            raise ValueError(msg)
    return noise_shape


class Dropout(Layer):
    """Sets a fraction ``rate`` of the inputs to 0 at training time.

    The kept inputs are scaled by ``1 / (1 - rate)`` so that the expected sum is
    unchanged.  At inference (``training=False``, the default) the layer is the
    identity.

    Args:
        rate: float in [0, 1], the fraction of the inputs to drop.
        noise_shape: the shape of the binary keep/drop mask, broadcast against the
            inputs (``None`` entries take the input's size), e.g.
            ``(batch, 1, features)`` to drop the same features at every step.
        seed: an int seed for the layer's ``SeedGenerator`` (reproducible masks).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        rate = _utils.check_rate(rate, "Dropout")
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self.noise_shape = validate_noise_shape(noise_shape, "Dropout")
        if rate > 0:
            self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return random.dropout(inputs, self.rate, noise_shape=self.noise_shape,
                                  seed=self.seed_generator)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, training=False):
        return _utils.same_dtype_spec(inputs.shape, inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return cfg
