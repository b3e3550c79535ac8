"""``Subtract``: Subtracts two inputs: ``inputs[0] - inputs[1]``."""
from cornu import ops
from cornu.layers.merging.base_merge import Merge


class Subtract(Merge):
    """Subtracts two inputs: ``inputs[0] - inputs[1]``.

    Takes a list of tensors of broadcast-compatible shapes and returns one
    tensor of the broadcast shape. Exactly two inputs.
    """

    _min_inputs = 2
    _max_inputs = 2

    def _merge_function(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


def subtract(inputs, **kwargs):
    """Functional interface to ``Subtract``: ``subtract([x1, x2])``.

    Args:
        inputs: a list of tensors (exactly 2).
        **kwargs: keyword arguments for the layer (e.g. ``name``).
    """
    return Subtract(**kwargs)(inputs)
