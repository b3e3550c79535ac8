"""A layer: a gated dense layer, ``activation(x @ W + b) * sigmoid(x @ V + c)``."""
import cornu
from cornu import activations, initializers, ops


class GatedDense(cornu.Layer):
    """A dense layer whose output is gated elementwise by a learned sigmoid gate.

    Args:
        units: the output size.
        activation: the activation of the dense branch (a name or a function;
            default: none).
        use_bias: whether both branches add a bias (default True).
        kernel_initializer: initializer of both kernels (default "glorot_uniform").

    Input shape ``(..., input_dim)``; output shape ``(..., units)``.
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"GatedDense '{self.name}': units must be a positive integer, "
                             f"received {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)

    def build(self, input_shape):
        dim = input_shape[-1]
        self.kernel = self.add_weight((dim, self.units), self.kernel_initializer, name="kernel")
        self.gate_kernel = self.add_weight((dim, self.units), self.kernel_initializer,
                                           name="gate_kernel")
        if self.use_bias:
            self.bias = self.add_weight((self.units,), "zeros", name="bias")
            self.gate_bias = self.add_weight((self.units,), "zeros", name="gate_bias")

    def call(self, inputs):
        value = ops.matmul(inputs, self.kernel)
        gate = ops.matmul(inputs, self.gate_kernel)
        if self.use_bias:
            value = ops.add(value, self.bias)
            gate = ops.add(gate, self.gate_bias)
        return ops.multiply(self.activation(value), ops.sigmoid(gate))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
        }
