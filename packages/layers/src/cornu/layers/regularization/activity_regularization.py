"""``ActivityRegularization``: add an L1/L2 penalty on the activations to the loss."""
from cornu import regularizers
from cornu.layer import Layer
from cornu.layers import _utils


class ActivityRegularization(Layer):
    """Identity layer whose output adds ``l1 * sum(|x|) + l2 * sum(x**2)`` to ``losses``.

    Args:
        l1: the L1 factor (non-negative float).
        l2: the L2 factor (non-negative float).
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        for arg, value in (("l1", l1), ("l2", l2)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(
                    f"ActivityRegularization: `{arg}` must be a non-negative number, "
                    f"received {arg}={value!r}"
                )
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(inputs.shape, inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.pop("activity_regularizer", None)  # implied by l1/l2
        cfg.update({"l1": self.l1, "l2": self.l2})
        return cfg
