"""``Maximum``: The elementwise maximum of a list of inputs."""
from cornu import ops
from cornu.layers.merging.base_merge import Merge


class Maximum(Merge):
    """The elementwise maximum of a list of inputs.

    Takes a list of tensors of broadcast-compatible shapes and returns one
    tensor of the broadcast shape.
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.maximum(out, x)
        return out


def maximum(inputs, **kwargs):
    """Functional interface to ``Maximum``: ``maximum([x1, x2, ...])``.

    Args:
        inputs: a list of tensors (usually 2 or more).
        **kwargs: keyword arguments for the layer (e.g. ``name``).
    """
    return Maximum(**kwargs)(inputs)
