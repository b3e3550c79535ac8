"""``Wrapper``: the base class of layers that wrap (and augment) another layer."""
from cornu.layer import Layer


class Wrapper(Layer):
    """Holds ``layer`` and builds it with the wrapper; subclasses define ``call``.

    Args:
        layer: the wrapped ``Layer`` instance.

    The wrapped layer's weights are the wrapper's weights; ``get_config`` nests the
    wrapped layer's serialized config under ``"layer"``.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__}: `layer` must be a cornu Layer instance, received "
                f"{layer!r} of type {type(layer).__name__}"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._build_with(input_shape)
        self.built = True

    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        cfg = Layer.get_config(self)
        cfg["layer"] = serialize_cornu_object(self.layer)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.serialization import deserialize_cornu_object

        config = dict(config)
        layer = deserialize_cornu_object(config.pop("layer"), custom_objects=custom_objects,
                                         kind="layer")
        return cls(layer, **config)
