"""``UpSampling2D``: enlarge an image by repeating (or interpolating) rows and columns."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


class UpSampling2D(Layer):
    """Repeats rows ``size[0]`` times and columns ``size[1]`` times.

    Args:
        size: int or tuple of 2 ints, the upsampling factors.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        interpolation: ``"nearest"`` (repeat) or one of ``"bilinear"``,
            ``"bicubic"``, ``"lanczos3"``, ``"lanczos5"`` (through
            ``cornu.ops.image.resize``).
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = _utils.standardize_data_format(data_format, "UpSampling2D")
        self.size = _utils.standardize_tuple(size, 2, "size", "UpSampling2D")
        interp = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if interp not in _INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D: interpolation must be one of {', '.join(_INTERPOLATIONS)}, "
                f"received interpolation={interpolation!r}"
            )
        self.interpolation = interp
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        x = ops.convert_to_tensor(inputs)
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        if self.interpolation == "nearest":
            x = ops.repeat(x, self.size[0], axis=1)
            x = ops.repeat(x, self.size[1], axis=2)
        else:
            from cornu.ops import image

            shape = ops.shape(x)
            x = image.resize(x, (shape[1] * self.size[0], shape[2] * self.size[1]),
                             interpolation=self.interpolation, data_format="channels_last")
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 3, 1, 2))
        return x

    def compute_output_shape(self, input_shape):
        def scale(d, f):
            return None if d is None else d * f

        if self.data_format == "channels_first":
            return (input_shape[0], input_shape[1], scale(input_shape[2], self.size[0]),
                    scale(input_shape[3], self.size[1]))
        return (input_shape[0], scale(input_shape[1], self.size[0]),
                scale(input_shape[2], self.size[1]), input_shape[3])

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"size": self.size, "data_format": self.data_format,
                    "interpolation": self.interpolation})
        return cfg
