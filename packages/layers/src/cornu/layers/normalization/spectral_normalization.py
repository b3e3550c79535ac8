"""``SpectralNormalization``: constrain a layer's kernel to spectral norm 1."""
from cornu import initializers, ops
from cornu.layer import InputSpec
from cornu.layers.core.wrapper import Wrapper


def _l2_normalize(x, epsilon=1e-12):
    square_sum = ops.sum(ops.square(x), keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(square_sum, epsilon)))


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's ``kernel`` (or ``embeddings``) by its largest
    singular value, estimated by power iteration, at each training call.

    Args:
        layer: a layer with a ``kernel`` or an ``embeddings`` weight.
        power_iterations: positive int, the power iterations per training step.

    Weights: the wrapped layer's, plus the non-trainable ``vector_u``
    ``(1, kernel.shape[-1])`` (the running estimate of the top singular vector).
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or (
                power_iterations <= 0):
            raise ValueError(
                "SpectralNormalization: `power_iterations` must be a positive int, "
                f"received power_iterations={power_iterations!r}"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        if hasattr(self.layer, "kernel"):
            self.kernel = self.layer.kernel
        elif hasattr(self.layer, "embeddings"):
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(
                f"SpectralNormalization: the wrapped {type(self.layer).__name__} has no "
                "attribute 'kernel' nor 'embeddings'"
            )
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False, name="vector_u", dtype=self.kernel.dtype,
        )
        self.built = True

    def call(self, inputs, training=False):
        if training:
            new_u, new_kernel = self.normalized_weights()
            # An all-zero kernel (e.g. freshly zero-initialized) is left unchanged.
            zero = ops.all(ops.equal(self.kernel.value, 0))
            self.vector_u.assign(ops.where(zero, self.vector_u.value, new_u))
            self.kernel.assign(ops.where(zero, self.kernel.value, new_kernel))
        output = self.layer(inputs)
        return ops.cast(output, ops.dtype(inputs))

    def normalized_weights(self):
        """``(vector_u, kernel / sigma)``: the updated estimate and normalized kernel."""
        weights = ops.reshape(ops.stop_gradient(self.kernel.value), (-1, self.kernel_shape[-1]))
        vector_u = self.vector_u.value
        vector_v = None
        for _ in range(self.power_iterations):
            vector_v = _l2_normalize(ops.matmul(vector_u, ops.transpose(weights)))
            vector_u = _l2_normalize(ops.matmul(vector_v, weights))
        vector_u = ops.stop_gradient(vector_u)
        vector_v = ops.stop_gradient(vector_v)
        sigma = ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))
        kernel = ops.reshape(ops.divide(ops.stop_gradient(self.kernel.value), sigma),
                             self.kernel_shape)
        return vector_u, kernel

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["power_iterations"] = self.power_iterations
        return cfg
