"""``Dot``: the per-sample dot product of two tensors."""
import string

from cornu import ops
from cornu.layer import Layer
from cornu.layers import _utils
from cornu.layers.merging.base_merge import Merge


def batch_dot(x, y, axes):
    """Per-sample dot product of ``x`` and ``y`` contracting ``x[axes[0]]`` with ``y[axes[1]]``.

    The output holds ``x``'s remaining axes, then ``y``'s (batch axis once); a
    result of rank 1 becomes ``(batch, 1)``, as in Keras.
    """
    x_rank, y_rank = len(x.shape), len(y.shape)
    letters = iter(string.ascii_letters[1:])
    x_idx = ["a"] + [next(letters) for _ in range(x_rank - 1)]
    y_idx = ["a"] + [next(letters) for _ in range(y_rank - 1)]
    y_idx[axes[1]] = x_idx[axes[0]]
    out_idx = [c for i, c in enumerate(x_idx) if i != axes[0]]
    out_idx += [c for i, c in enumerate(y_idx) if i not in (0, axes[1])]
    spec = f"{''.join(x_idx)},{''.join(y_idx)}->{''.join(out_idx)}"
    out = ops.einsum(spec, x, y)
    if len(out_idx) == 1:
        out = ops.expand_dims(out, -1)
    return out


def _l2_normalize(x, axis, epsilon=1e-7):
    norm = ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
    return ops.divide(x, ops.maximum(norm, epsilon))


class Dot(Merge):
    """Computes the dot product of two samples along given axes.

    With inputs ``(batch, 3, 5)`` and ``(batch, 10, 3)`` and ``axes=(1, 2)`` the
    output is ``(batch, 5, 10)``.

    Args:
        axes: int, or a tuple of two ints (one axis per input); the axes must have
            the same size and cannot be the batch axis 0.
        normalize: L2-normalize both inputs along the axes first (the output is
            then the cosine similarity).
    """

    _min_inputs = 2
    _max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes
            ):
                raise ValueError(
                    f"Dot: `axes` must be an int or a tuple of 2 ints, received axes={axes!r}"
                )
            axes = tuple(axes)
        elif isinstance(axes, bool) or not isinstance(axes, int):
            raise ValueError(
                f"Dot: `axes` must be an int or a tuple of 2 ints, received axes={axes!r}"
            )
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolve_axes(self, shape1, shape2):
        if isinstance(self.axes, int):
            if self.axes < 0:
                axes = [self.axes % len(shape1), self.axes % len(shape2)]
            else:
                axes = [self.axes, self.axes]
        else:
            axes = [a % len(s) for a, s in zip(self.axes, (shape1, shape2))]
        if 0 in axes:
            raise ValueError(
                f"Layer '{self.name}' (Dot) cannot take the dot product over the batch "
                f"axis 0, received axes={self.axes}"
            )
        return axes

    def compute_output_shape(self, input_shape):
        self._check_input_list(input_shape)
        shape1, shape2 = (tuple(s) for s in input_shape)
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                f"Layer '{self.name}' (Dot) needs inputs of rank >= 2, received shapes "
                f"{_utils.shape_str(shape1)} and {_utils.shape_str(shape2)}"
            )
        a0, a1 = self._resolve_axes(shape1, shape2)
        if shape1[a0] is not None and shape2[a1] is not None and shape1[a0] != shape2[a1]:
            raise ValueError(
                f"Layer '{self.name}' (Dot): incompatible input shapes, axis {a0} of "
                f"{_utils.shape_str(shape1)} has size {shape1[a0]} but axis {a1} of "
                f"{_utils.shape_str(shape2)} has size {shape2[a1]}"
            )
        out = [d for i, d in enumerate(shape1) if i != a0]
        out += [d for i, d in enumerate(shape2) if i not in (0, a1)]
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def _merge_function(self, inputs):
        x, y = inputs
        axes = self._resolve_axes(x.shape, y.shape)
        if self.normalize:
            x = _l2_normalize(x, axes[0])
            y = _l2_normalize(y, axes[1])
        return batch_dot(x, y, axes)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                f"Layer '{self.name}' (Dot) must be called on a list of exactly 2 inputs"
            )
        return self._merge_function([ops.convert_to_tensor(x) for x in inputs])

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"axes": self.axes, "normalize": self.normalize})
        return cfg


def dot(inputs, axes=-1, **kwargs):
    """Functional interface to ``Dot``: ``dot([x1, x2], axes=1)``."""
    return Dot(axes=axes, **kwargs)(inputs)
