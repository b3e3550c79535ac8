"""``BaseAdaptivePooling``: pool to a fixed output size, whatever the input size."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class BaseAdaptivePooling(Layer):
    """Average or max pooling whose windows adapt so the output has ``output_size``.

    Window ``i`` along an axis of length ``L`` covers ``[floor(i * L / n),
    ceil((i + 1) * L / n))`` (PyTorch's ``AdaptiveAvgPool``/``AdaptiveMaxPool``).

    Args:
        output_size: an int or a tuple of ``rank`` ints, the spatial output size.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    rank = None
    _op = None

    def __init__(self, output_size, data_format=None, **kwargs):
        cls = type(self).__name__
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self.rank
        elif not (isinstance(output_size, (tuple, list)) and len(output_size) == self.rank):
            raise TypeError(
                f"{cls}: `output_size` must be an integer or a tuple of {self.rank} "
                f"integers, received {output_size!r} of type {type(output_size).__name__}"
            )
        output_size = _utils.standardize_tuple(tuple(output_size), self.rank, "output_size", cls)
        super().__init__(**kwargs)
        self.output_size = output_size
        self.data_format = _utils.standardize_data_format(data_format, cls)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        pool = ops.adaptive_average_pool if self._op == "average" else ops.adaptive_max_pool
        return pool(inputs, output_size=self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"output_size": self.output_size, "data_format": self.data_format})
        return cfg
