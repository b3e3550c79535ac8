"""``Masking``: mark the timesteps whose features all equal ``mask_value`` as masked."""
from cornu import ops
from cornu.layer import Layer, set_keras_mask


class Masking(Layer):
    """Masks a sequence: a timestep whose features all equal ``mask_value`` is skipped.

    The output is the input with the masked timesteps set to 0, carrying the boolean
    mask ``(batch, timesteps)`` (``True`` = keep) as ``_keras_mask``; downstream layers
    that support masking (e.g. ``GlobalAveragePooling1D``, ``Softmax``, the losses)
    receive it.

    Args:
        mask_value: the value that marks padding (default 0.0).

    Input shape: ``(batch, timesteps, ..., features)``; output: the same shape.
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and mask_value.get("config") is not None:
            from cornu.serialization import deserialize_cornu_object

            mask_value = deserialize_cornu_object(mask_value)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        outputs = ops.where(keep, inputs, ops.zeros_like(inputs))
        set_keras_mask(outputs, ops.squeeze(keep, axis=-1))
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["mask_value"] = self.mask_value
        return cfg
