"""``ZeroPadding2D``: pad the rows and columns of an image with zeros."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around 2D inputs.

    Args:
        padding: an int (same on all four sides), a tuple of 2 ints
            (symmetric height and width padding), or
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _utils.standardize_data_format(data_format, "ZeroPadding2D")
        self.padding = _utils.standardize_pairs(padding, 2, "padding", "ZeroPadding2D")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        if self.data_format == "channels_first":
            pad_width = ((0, 0), (0, 0), *self.padding)
        else:
            pad_width = ((0, 0), *self.padding, (0, 0))
        return ops.pad(inputs, pad_width)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        offset = 2 if self.data_format == "channels_first" else 1
        for i, (before, after) in enumerate(self.padding):
            if out[offset + i] is not None:
                out[offset + i] += before + after
        return tuple(out)

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"padding": self.padding, "data_format": self.data_format})
        return cfg
