"""``RepeatVector``: repeat a ``(batch, features)`` input ``n`` times."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class RepeatVector(Layer):
    """``(batch, features)`` -> ``(batch, n, features)``.

    Args:
        n: positive int, the number of repetitions.
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        _utils.check_positive_int(n, "n", "RepeatVector")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["n"] = self.n
        return cfg
