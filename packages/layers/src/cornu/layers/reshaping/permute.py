"""``Permute``: reorder the non-batch axes."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class Permute(Layer):
    """Permutes the non-batch axes: ``dims=(2, 1)`` swaps axes 1 and 2.

    Args:
        dims: a permutation of ``1..ndim-1`` (1-indexed; the batch axis stays first).
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
        except TypeError:
            raise ValueError(f"Permute: dims must be a tuple of ints, received dims={dims!r}") from None
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "Permute: dims must be a permutation of consecutive ints starting at 1, "
                f"received dims={dims!r}"
            )
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, axes=(0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["dims"] = self.dims
        return cfg
