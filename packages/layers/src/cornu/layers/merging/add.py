"""``Add``: Adds a list of inputs elementwise."""
from cornu import ops
from cornu.layers.merging.base_merge import Merge


class Add(Merge):
    """Adds a list of inputs elementwise.

    Takes a list of tensors of broadcast-compatible shapes and returns one
    tensor of the broadcast shape.
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return out


def add(inputs, **kwargs):
    """Functional interface to ``Add``: ``add([x1, x2, ...])``.

    Args:
        inputs: a list of tensors (usually 2 or more).
        **kwargs: keyword arguments for the layer (e.g. ``name``).
    """
    return Add(**kwargs)(inputs)
