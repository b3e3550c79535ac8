"""``Minimum``: The elementwise minimum of a list of inputs."""
from cornu import ops
from cornu.layers.merging.base_merge import Merge


class Minimum(Merge):
    """The elementwise minimum of a list of inputs.

    Takes a list of tensors of broadcast-compatible shapes and returns one
    tensor of the broadcast shape.
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.minimum(out, x)
        return out


def minimum(inputs, **kwargs):
    """Functional interface to ``Minimum``: ``minimum([x1, x2, ...])``.

    Args:
        inputs: a list of tensors (usually 2 or more).
        **kwargs: keyword arguments for the layer (e.g. ``name``).
    """
    return Minimum(**kwargs)(inputs)
