"""``Softmax``: normalized exponentials along an axis, with an optional mask."""
from cornu import ops
from cornu.layer import Layer


def _large_negative(dtype):
    return -3e4 if str(dtype) in ("float16", "bfloat16") else -1e9


class Softmax(Layer):
    """``exp(x) / sum(exp(x), axis)``.

    Args:
        axis: int or tuple of ints, the normalization axes.

    Call arguments:
        inputs: the logits.
        mask: optional, broadcastable to ``inputs``; 1/True keeps a position,
            0/False gives it probability 0.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True

    def call(self, inputs, mask=None):
        inputs = ops.convert_to_tensor(inputs)
        dtype = ops.dtype(inputs)
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            if len(mask.shape) > len(inputs.shape):
                raise ValueError(
                    f"Layer '{self.name}' (Softmax): the mask must be broadcastable to the "
                    f"inputs, received inputs shape {tuple(inputs.shape)} and mask shape "
                    f"{tuple(mask.shape)}"
                )
            if ops.dtype(mask) != "bool":
                mask = ops.greater(mask, 0.5)
            inputs = ops.where(mask, inputs, ops.full_like(inputs, _large_negative(dtype)))
        axis = self.axis
        if isinstance(axis, (tuple, list)) and len(axis) > 1:
            outputs = ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=tuple(axis),
                                                                  keepdims=True)))
        else:
            if isinstance(axis, (tuple, list)):
                axis = axis[0]
            outputs = ops.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = ops.where(mask, outputs, ops.zeros_like(outputs))
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["axis"] = self.axis
        return cfg
