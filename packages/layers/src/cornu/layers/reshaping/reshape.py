"""``Reshape``: give the non-batch axes a new shape."""
import math

from cornu import ops
from cornu.layer import Layer
from cornu.layers import _utils


def resolve_target_shape(layer, input_shape, target_shape):
    """``target_shape`` with its ``-1`` resolved from ``input_shape`` (non-batch dims).

    Returns None in place of ``-1`` when an input dimension is unknown.
    """
    if -1 not in target_shape:
        if None not in input_shape and math.prod(input_shape) != math.prod(target_shape):
            raise ValueError(
                f"Layer '{layer.name}' (Reshape): cannot reshape an input of shape "
                f"{_utils.shape_str((None,) + tuple(input_shape))} (size "
                f"{math.prod(input_shape)} per sample) to target_shape={target_shape} (size "
                f"{math.prod(target_shape)})"
            )
        return tuple(target_shape)
    if None in input_shape:
        return tuple(None if d == -1 else d for d in target_shape)
    known = math.prod(d for d in target_shape if d != -1)
    total = math.prod(input_shape)
    if known == 0 or total % known:
        raise ValueError(
            f"Layer '{layer.name}' (Reshape): cannot reshape an input of shape "
            f"{_utils.shape_str((None,) + tuple(input_shape))} to target_shape={target_shape}"
        )
    return tuple(total // known if d == -1 else d for d in target_shape)


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: tuple of ints, without the batch axis; at most one entry may
            be ``-1`` (inferred from the input size).
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target_shape = tuple(target_shape)
        except TypeError:
            raise ValueError(
                f"Reshape: target_shape must be a tuple of ints, received "
                f"target_shape={target_shape!r}"
            ) from None
        bad = [d for d in target_shape
               if isinstance(d, bool) or not isinstance(d, int) or (d <= 0 and d != -1)]
        if bad or target_shape.count(-1) > 1:
            raise ValueError(
                "Reshape: target_shape must be a tuple of positive ints with at most one "
                f"-1, received target_shape={target_shape!r}"
            )
        self.target_shape = target_shape

    def call(self, inputs):
        inputs = ops.convert_to_tensor(inputs)
        static = tuple(inputs.shape[1:])
        static = tuple(d if isinstance(d, int) else None for d in static)
        target = resolve_target_shape(self, static, self.target_shape)
        if None in target:
            target = tuple(-1 if d is None else d for d in target)
            return ops.reshape(inputs, (ops.shape(inputs)[0],) + target)
        return ops.reshape(inputs, (-1,) + target)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + resolve_target_shape(
            self, tuple(input_shape[1:]), self.target_shape
        )

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["target_shape"] = self.target_shape
        return cfg
