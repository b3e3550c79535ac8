"""``Bidirectional``: run a recurrent layer forwards and backwards and merge the results."""
import copy

from cornu import ops
from cornu.layer import Layer

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _rename(config, prefix):
    name = config["config"]["name"]
    if name.startswith(prefix):
        name = name[len(prefix):]
    config["config"]["name"] = prefix + name
    return config


class Bidirectional(Layer):
    """Wraps a recurrent layer: one copy reads the sequence forwards, another backwards.

    Args:
        layer: the ``RNN`` instance (e.g. ``LSTM(16)``) copied into ``forward_layer``.
        merge_mode: how the two outputs combine: ``"concat"`` (default), ``"sum"``,
            ``"mul"``, ``"ave"``, or None for the list ``[forward, backward]``.
        weights: optional initial weights (forward then backward); applied on build.
        backward_layer: an explicit backward layer (must have the opposite
            ``go_backwards`` and the same ``stateful``, ``return_sequences`` and
            ``return_state``); by default a copy of ``layer`` with ``go_backwards=True``.

    With ``return_sequences`` the backward outputs are flipped back to time order
    before merging.  With ``return_state`` the output is followed by the forward
    states and then the backward states.  Call arguments: ``sequences``,
    ``initial_state`` (forward states then backward states), ``mask``, ``training``.
    Weights: the forward layer's, then the backward layer's.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        from cornu.serialization import deserialize_cornu_object, serialize_cornu_object

        if not isinstance(layer, Layer):
            raise ValueError(
                "Bidirectional: `layer` must be a cornu Layer instance (an RNN), received "
                f"{layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "Bidirectional: `backward_layer` must be a cornu Layer instance, received "
                f"{backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                "Bidirectional: `merge_mode` must be one of 'sum', 'mul', 'ave', 'concat' "
                f"or None, received merge_mode={merge_mode!r}")
        super().__init__(**kwargs)
        self.forward_layer = deserialize_cornu_object(
            _rename(serialize_cornu_object(layer), "forward_"), kind="layer")
        if backward_layer is None:
            config = _rename(serialize_cornu_object(layer), "backward_")
            config["config"]["go_backwards"] = True
            backward_layer = deserialize_cornu_object(config, kind="layer")
        self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):
            self.forward_layer.use_cudnn = layer.use_cudnn
            self.backward_layer.use_cudnn = layer.use_cudnn
        self._verify_layer_config()
        # Masked steps output zeros, so the reversed backward sequence lines up.
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = list(weights) if weights else None
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layer_config(self):
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different "
                f"`go_backwards` values, received forward_layer.go_backwards="
                f"{fwd.go_backwards} and backward_layer.go_backwards={bwd.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(
                    f"Bidirectional: the forward and backward layers must have the same "
                    f"`{attr}`, received {getattr(fwd, attr)!r} (forward) and "
                    f"{getattr(bwd, attr)!r} (backward)")

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._build_with(tuple(sequences_shape))
        if self._initial_weights is not None:
            half = len(self._initial_weights) // 2
            self.forward_layer.set_weights(self._initial_weights[:half])
            self.backward_layer.set_weights(self._initial_weights[half:])
            self._initial_weights = None
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = tuple(output_shape[:-1]) + (output_shape[-1] * 2,)
        if self.return_state:
            if self.merge_mode is None:
                return (output_shape, output_shape) + state_shapes + state_shapes
            return (output_shape,) + state_shapes + state_shapes
        if self.merge_mode is None:
            return [output_shape, output_shape]
        return tuple(output_shape)

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return ops.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {}
        if self.forward_layer._call_has_training:
            kwargs["training"] = training
        if self.forward_layer._call_has_mask:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        # Wrapped layers keep their own policies (as in Keras); the merge is in ours.
        y, y_rev = ops.cast(y, self.compute_dtype), ops.cast(y_rev, self.compute_dtype)
        output = self._merge(y, y_rev)
        if self.return_state:
            if self.merge_mode is None:
                return output + states
            return [output] + states
        return output

    def compute_mask(self, inputs, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = [mask, mask] if self.merge_mode is None else mask
        else:
            output_mask = [None, None] if self.merge_mode is None else None
        if self.return_state:
            n_states = len(self.forward_layer.state_size) * 2
            head = output_mask if isinstance(output_mask, list) else [output_mask]
            return head + [None] * n_states
        return output_mask

    @property
    def states(self):
        if self.forward_layer.states is not None and self.backward_layer.states is not None:
            return tuple(self.forward_layer.states) + tuple(self.backward_layer.states)
        return None

    def reset_state(self, states=None):
        if not self.stateful:
            raise AttributeError(
                f"Layer '{self.name}' (Bidirectional) is not stateful: reset_state() needs "
                "a stateful layer")
        if states is None:
            self.forward_layer.reset_state()
            self.backward_layer.reset_state()
            return
        half = len(states) // 2
        self.forward_layer.reset_state(states[:half])
        self.backward_layer.reset_state(states[half:])

    def reset_states(self, states=None):
        self.reset_state(states)

    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        config = Layer.get_config(self)
        config["merge_mode"] = self.merge_mode
        config["layer"] = serialize_cornu_object(self.forward_layer)
        config["backward_layer"] = serialize_cornu_object(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.serialization import deserialize_cornu_object

        config = copy.deepcopy(config)
        config["layer"] = deserialize_cornu_object(config["layer"],
                                                   custom_objects=custom_objects, kind="layer")
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_cornu_object(
                backward, custom_objects=custom_objects, kind="layer")
        return cls(**config)
