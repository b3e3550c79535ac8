"""``UnitNormalization``: scale each sample to unit L2 norm along ``axis``."""
from cornu import ops
from cornu.layer import Layer
from cornu.layers import _utils


def check_axes(layer, axis, input_shape):
    """Raise a ValueError naming the layer when an axis is out of range."""
    for a in axis if isinstance(axis, (list, tuple)) else [axis]:
        if not -len(input_shape) <= a < len(input_shape):
            raise ValueError(
                f"Layer '{layer.name}' ({type(layer).__name__}): axis {a} is out of bounds "
                f"for input shape {_utils.shape_str(input_shape)} (axis={axis})"
            )


class UnitNormalization(Layer):
    """``x / max(||x||_2, 1e-6)`` along ``axis``.

    Args:
        axis: int or list of ints, the axes of the norm (default -1).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                "UnitNormalization: `axis` must be an int or a list/tuple of ints, "
                f"received axis={axis!r}"
            )
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        check_axes(self, self.axis, inputs.shape)
        return ops.normalize(inputs, axis=self.axis, order=2, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        check_axes(self, self.axis, input_shape)
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["axis"] = self.axis
        return cfg
