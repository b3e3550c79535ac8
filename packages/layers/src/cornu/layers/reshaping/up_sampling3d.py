"""``UpSampling3D``: enlarge a volume by repeating entries along each spatial axis."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class UpSampling3D(Layer):
    """Repeats entries ``size[i]`` times along spatial axis ``i`` (nearest neighbour).

    Args:
        size: int or tuple of 3 ints, the upsampling factors.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _utils.standardize_data_format(data_format, "UpSampling3D")
        self.size = _utils.standardize_tuple(size, 3, "size", "UpSampling3D")
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        offset = 2 if self.data_format == "channels_first" else 1
        x = inputs
        for i, factor in enumerate(self.size):
            x = ops.repeat(x, factor, axis=offset + i)
        return x

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        offset = 2 if self.data_format == "channels_first" else 1
        for i, factor in enumerate(self.size):
            if out[offset + i] is not None:
                out[offset + i] *= factor
        return tuple(out)

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"size": self.size, "data_format": self.data_format})
        return cfg
