"""``Cropping2D``: remove rows and columns at the borders of an image."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class Cropping2D(Layer):
    """Crops 2D inputs along height and width.

    Args:
        cropping: an int (same on all four sides), a tuple of 2 ints (symmetric
            height and width cropping), or ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _utils.standardize_data_format(data_format, "Cropping2D")
        self.cropping = _utils.standardize_pairs(cropping, 2, "cropping", "Cropping2D")
        self.input_spec = InputSpec(ndim=4)

    def _spatial_offset(self):
        return 2 if self.data_format == "channels_first" else 1

    def _check(self, shape):
        offset = self._spatial_offset()
        for i, (before, after) in enumerate(self.cropping):
            size = shape[offset + i]
            if size is not None and before + after >= size:
                raise ValueError(
                    f"Layer '{self.name}' (Cropping2D): cropping={self.cropping} removes "
                    f"everything from an input of shape {_utils.shape_str(shape)}; every "
                    "crop must be smaller than its spatial dimension"
                )

    def call(self, inputs):
        inputs = ops.convert_to_tensor(inputs)
        shape = tuple(d if isinstance(d, int) else None for d in inputs.shape)
        self._check(shape)
        (top, bottom), (left, right) = self.cropping
        rows = slice(top, -bottom if bottom else None)
        cols = slice(left, -right if right else None)
        if self.data_format == "channels_first":
            return inputs[:, :, rows, cols]
        return inputs[:, rows, cols, :]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        offset = self._spatial_offset()
        for i, (before, after) in enumerate(self.cropping):
            if out[offset + i] is not None:
                out[offset + i] -= before + after
        return tuple(out)

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"cropping": self.cropping, "data_format": self.data_format})
        return cfg
