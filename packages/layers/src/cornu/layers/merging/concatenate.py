"""``Concatenate``: join a list of tensors along one axis."""
from cornu import ops
from cornu.layer import Layer
from cornu.layers import _utils
from cornu.layers.merging.base_merge import Merge


class Concatenate(Merge):
    """Concatenates a list of tensors along ``axis``; all other axes must match.

    Args:
        axis: int, the concatenation axis (default -1).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Concatenate: `axis` must be an int, received axis={axis!r}")
        self.axis = axis

    def compute_output_shape(self, input_shape):
        self._check_input_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ValueError(
                f"Layer '{self.name}' (Concatenate) needs inputs of the same rank, received "
                f"shapes {shapes}"
            )
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"Layer '{self.name}' (Concatenate): axis={self.axis} is out of range for "
                f"inputs of rank {rank}"
            )
        axis = self.axis % rank
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, s)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is None:
                    out[i] = b
                elif b is not None and a != b:
                    raise ValueError(
                        f"Layer '{self.name}' (Concatenate) needs inputs with matching "
                        f"shapes except for the concatenation axis {self.axis}, received "
                        f"shapes {[_utils.shape_str(x) for x in shapes]}"
                    )
        return tuple(out)

    def compute_output_spec(self, inputs):
        shape = self.compute_output_shape([t.shape for t in inputs])
        return _utils.common_dtype_spec(shape, inputs, self.compute_dtype)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"Layer '{self.name}' (Concatenate) must be called on a list of inputs, "
                f"received {type(inputs).__name__}"
            )
        return ops.concatenate([ops.convert_to_tensor(x) for x in inputs], axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = ops.ones_like(x, dtype="bool")
            elif len(m.shape) < len(x.shape):
                m = ops.broadcast_to(ops.expand_dims(m, -1), ops.shape(x))
            masks.append(m)
        return ops.any(ops.concatenate(masks, axis=self.axis), axis=-1, keepdims=False)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["axis"] = self.axis
        return cfg


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to ``Concatenate``: ``concatenate([x1, x2], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
