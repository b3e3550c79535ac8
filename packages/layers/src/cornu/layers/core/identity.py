"""``Identity``: a placeholder layer that returns its input unchanged."""
from cornu import tree
from cornu.layer import Layer
from cornu.symbolic import KerasTensor


class Identity(Layer):
    """Returns its inputs (any structure) unchanged."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs):
        return tree.map_structure(
            lambda t: KerasTensor(t.shape, dtype=t.dtype, sparse=t.sparse)
            if isinstance(t, KerasTensor) else t, inputs)

    def get_config(self):
        return Layer.get_config(self)
