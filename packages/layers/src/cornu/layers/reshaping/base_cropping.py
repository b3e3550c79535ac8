"""``BaseCropping`` and ``BaseZeroPadding``: crop or zero-pad the spatial axes of N-D data."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class BaseCropping(Layer):
    """Removes ``(before, after)`` entries from each spatial axis.

    Subclasses fix ``rank`` and standardize ``cropping`` into ``rank`` pairs.
    """

    rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.data_format = _utils.standardize_data_format(data_format, cls)
        self.cropping = cropping
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_offset(self):
        return 2 if self.data_format == "channels_first" else 1

    def _check(self, shape):
        offset = self._spatial_offset()
        for i, (before, after) in enumerate(self._pairs()):
            size = shape[offset + i]
            if size is not None and before + after >= size:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): cropping={self.cropping} "
                    f"removes everything from an input of shape {_utils.shape_str(shape)}; "
                    "every crop must be smaller than its spatial dimension"
                )

    def _pairs(self):
        return self.cropping

    def call(self, inputs):
        inputs = ops.convert_to_tensor(inputs)
        shape = tuple(d if isinstance(d, int) else None for d in inputs.shape)
        self._check(shape)
        index = [slice(None)] * len(shape)
        offset = self._spatial_offset()
        for i, (before, after) in enumerate(self._pairs()):
            index[offset + i] = slice(before, -after if after else None)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        offset = self._spatial_offset()
        for i, (before, after) in enumerate(self._pairs()):
            if out[offset + i] is not None:
                out[offset + i] -= before + after
        return tuple(out)

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"cropping": self.cropping, "data_format": self.data_format})
        return cfg


class BaseZeroPadding(Layer):
    """Adds ``(before, after)`` zeros on each spatial axis.

    Subclasses fix ``rank`` and standardize ``padding`` into ``rank`` pairs.
    """

    rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _utils.standardize_data_format(data_format, type(self).__name__)
        self.padding = padding
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _pairs(self):
        return self.padding

    def call(self, inputs):
        if self.data_format == "channels_first":
            pad_width = ((0, 0), (0, 0), *self._pairs())
        else:
            pad_width = ((0, 0), *self._pairs(), (0, 0))
        return ops.pad(inputs, pad_width)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        offset = 2 if self.data_format == "channels_first" else 1
        for i, (before, after) in enumerate(self._pairs()):
            if out[offset + i] is not None:
                out[offset + i] += before + after
        return tuple(out)

    def compute_output_spec(self, inputs):
        return _utils.same_dtype_spec(self.compute_output_shape(inputs.shape), inputs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"padding": self.padding, "data_format": self.data_format})
        return cfg
