"""``RMSNormalization``: divide by the root mean square along ``axis``, then scale."""
from cornu import ops
from cornu.layer import Layer
from cornu.layers.normalization.unit_normalization import check_axes


class RMSNormalization(Layer):
    """``x / sqrt(mean(x**2, axis) + epsilon) * scale``.

    Args:
        axis: int or list of ints, the normalized axes (and the shape of ``scale``).
        epsilon: float added to the mean square.

    Weights: ``scale`` (ones), with the sizes of the normalized axes.
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape):
        check_axes(self, self.axis, input_shape)
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
            shape = tuple(input_shape[a] for a in self.axis)
        else:
            shape = (input_shape[self.axis],)
            self.axis = [self.axis]
        if None in shape:
            raise ValueError(
                f"Layer '{self.name}' (RMSNormalization): the normalized axes must have "
                f"known sizes, received input shape {tuple(input_shape)}"
            )
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, x):
        return ops.rms_normalization(x, scale=self.scale, axis=self.axis,
                                     epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        check_axes(self, self.axis, input_shape)
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"axis": self.axis, "epsilon": self.epsilon})
        return cfg
