"""``UpSampling1D``: repeat each step of a sequence ``size`` times."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class UpSampling1D(Layer):
    """Repeats each step of ``(batch, steps, features)`` inputs ``size`` times.

    Args:
        size: positive int, the upsampling factor.
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"UpSampling1D: `size` must be an int, received size={size!r}")
        _utils.check_positive_int(size, "size", "UpSampling1D")
        self.size = size
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["size"] = self.size
        return cfg
