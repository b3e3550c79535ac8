"""``ReLU``: the rectified linear unit, with optional cap, leak and threshold."""
from cornu import activations
from cornu.layer import Layer


class ReLU(Layer):
    """``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold <= x <
    max_value``, ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: non-negative float cap, or None (no cap).
        negative_slope: non-negative float, the slope below the threshold.
        threshold: non-negative float, the threshold below which values are damped.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                f"ReLU: max_value cannot be negative, received max_value={max_value!r}"
            )
        for arg, value in (("negative_slope", negative_slope), ("threshold", threshold)):
            if value is None or value < 0.0:
                raise ValueError(
                    f"ReLU: {arg} cannot be None or negative, received {arg}={value!r}"
                )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                    "threshold": self.threshold})
        return cfg
