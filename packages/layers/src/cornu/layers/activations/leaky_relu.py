"""``LeakyReLU``: ``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""
import warnings

from cornu import CornuWarning, activations
from cornu.layer import Layer


class LeakyReLU(Layer):
    """The leaky rectified linear unit.

    Args:
        negative_slope: non-negative float, the slope for negative inputs
            (``alpha`` is accepted as a deprecated alias, as in Keras).
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: `alpha` is deprecated, use `negative_slope` instead.",
                          stacklevel=2, category=CornuWarning)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "LeakyReLU: negative_slope cannot be None or negative, received "
                f"negative_slope={negative_slope!r}"
            )
        self.negative_slope = negative_slope
        self.supports_masking = True

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["negative_slope"] = self.negative_slope
        return cfg
