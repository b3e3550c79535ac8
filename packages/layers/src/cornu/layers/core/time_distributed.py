"""``TimeDistributed``: apply a layer to every timestep of a sequence."""
from cornu import ops
from cornu.layers.core.wrapper import Wrapper


class TimeDistributed(Wrapper):
    """Applies ``layer`` to each slice ``inputs[:, t]`` of ``(batch, time, ...)`` inputs.

    Every timestep shares the wrapped layer's weights.  With a known number of
    timesteps the layer is called once per step (so batch statistics, e.g. of
    ``BatchNormalization`` in training, are per step as in Keras); with an unknown
    one the time axis is folded into the batch.

    Args:
        layer: the layer to apply.

    Call arguments:
        inputs: ``(batch, time, ...)``.
        training: passed to the wrapped layer.
        mask: optional ``(batch, time)`` boolean mask, passed per step to a layer
            whose ``call`` takes a mask.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' (TimeDistributed) expects inputs with at least 3 "
                f"dimensions (batch, time, ...), received input shape {input_shape}"
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        super().build(self._child_input_shape(tuple(input_shape)))

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_input_shape(tuple(input_shape)))
        return (child[0], input_shape[1], *child[1:])

    def compute_output_spec(self, inputs, training=None, mask=None):
        from cornu.symbolic import KerasTensor

        child = self._child_input_shape(inputs.shape)
        spec = self.layer.compute_output_spec(KerasTensor(child, dtype=inputs.dtype))
        return KerasTensor((spec.shape[0], inputs.shape[1], *spec.shape[1:]), dtype=spec.dtype)

    def call(self, inputs, training=None, mask=None):
        inputs = ops.convert_to_tensor(inputs)
        if mask is not None:
            if len(mask.shape) < 2:
                raise ValueError(
                    f"Layer '{self.name}' (TimeDistributed): the mask must be at least 2D "
                    f"(batch, time), received mask shape {tuple(mask.shape)}"
                )
            for i in (0, 1):
                a, b = inputs.shape[i], mask.shape[i]
                if a is not None and b is not None and a != b:
                    raise ValueError(
                        f"Layer '{self.name}' (TimeDistributed): mask shape "
                        f"{tuple(mask.shape)} does not match the (batch, time) of the input "
                        f"shape {tuple(inputs.shape)}"
                    )
        layer = self.layer
        kwargs = {}
        if layer._call_has_training:
            kwargs["training"] = training
        steps = inputs.shape[1]
        if isinstance(steps, int):
            outputs = []
            for t in range(steps):
                if layer._call_has_mask and mask is not None:
                    kwargs["mask"] = mask[:, t]
                outputs.append(layer.call(inputs[:, t], **kwargs))
            return ops.stack(outputs, axis=1)
        # Unknown number of steps (a traced graph): fold time into the batch.
        shape = ops.shape(inputs)
        folded = ops.reshape(inputs, (-1, *shape[2:]))
        if layer._call_has_mask and mask is not None:
            kwargs["mask"] = ops.reshape(mask, (-1, *ops.shape(mask)[2:]))
        out = layer.call(folded, **kwargs)
        out_shape = ops.shape(out)
        return ops.reshape(out, (shape[0], shape[1], *out_shape[1:]))
