"""``Activation``: apply an activation function as a layer."""
from cornu.layer import Layer
from cornu.layers import _utils


class Activation(Layer):
    """Applies ``activation`` to its input.

    Args:
        activation: a name registered as a cornu activation (``"relu"``,
            ``"softmax"``, ...), a callable, or None (linear).
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _utils.get_activation(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["activation"] = _utils.serialize_activation(self.activation)
        return cfg
