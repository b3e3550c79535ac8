"""``Flatten``: collapse every non-batch axis into one."""
import math

from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class Flatten(Layer):
    """Flattens the input to ``(batch, prod(other dims))``; a ``(batch,)`` input gives ``(batch, 1)``.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``.  With
            ``channels_first`` the channel axis is moved last before flattening,
            so that the element order matches a channels-last model.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _utils.standardize_data_format(data_format, "Flatten")
        self.input_spec = InputSpec(min_ndim=1)
        self._channels_first = self.data_format == "channels_first"

    def call(self, inputs):
        inputs = ops.convert_to_tensor(inputs)
        rank = len(inputs.shape)
        if self._channels_first and rank > 2:
            inputs = ops.transpose(inputs, axes=(0, *range(2, rank), 1))
        static = tuple(inputs.shape[1:])
        if all(isinstance(d, int) for d in static):
            return ops.reshape(inputs, (-1, math.prod(static)))
        return ops.reshape(inputs, (ops.shape(inputs)[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if not rest:
            return (input_shape[0], 1)
        if any(d is None for d in rest):
            return (input_shape[0], None)
        return (input_shape[0], math.prod(rest))

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["data_format"] = self.data_format
        return cfg
