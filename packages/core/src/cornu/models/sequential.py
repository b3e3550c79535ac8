"""``cornu.Sequential``: a linear stack of layers."""
from cornu import tree
from cornu.layer import Layer, attach_mask
from cornu.models.functional import adjust_input_rank
from cornu.models.input_layer import InputLayer
from cornu.models.model import Model
from cornu.symbolic import KerasTensor


class Sequential(Model):
    """A plain stack of layers, each with one input and one output.

    Args:
        layers: a list of layers; the first may be ``cornu.Input(...)``'s layer,
            an ``InputLayer``, or a layer built with ``input_shape=...``.
        name: the model name.
    """

    def __new__(cls, *args, **kwargs):
        return Layer.__new__(cls)

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._input_layer = None
        self._input_rank = 0  # the Input's rank once built (0: nothing to adjust to)
        # A plain list, not a tracked one: add() and pop() track the layers themselves.
        object.__setattr__(self, "_stack", [])
        self._symbolic_output = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    # -- structure ----------------------------------------------------------------
    def add(self, layer, rebuild=True):
        """Append a layer (or an ``Input`` tensor as the first element)."""
        if isinstance(layer, KerasTensor):
            history = layer._keras_history
            if history is None or not isinstance(history[0], InputLayer):
                raise ValueError(
                    f"Sequential '{self.name}': only tensors from cornu.Input can be added, "
                    f"received {layer!r}"
                )
            layer = history[0]
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Sequential '{self.name}': only Layer instances can be added, received "
                f"{layer!r} of type {type(layer).__name__}"
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError(
                    f"Sequential '{self.name}': an InputLayer can only be the first layer"
                )
            self._input_layer = layer
        else:
            if not self._stack and self._input_layer is None and layer._batch_input_shape:
                self._input_layer = InputLayer(batch_shape=layer._batch_input_shape)
            if any(layer is other for other in self._stack):
                raise ValueError(f"Sequential '{self.name}': layer '{layer.name}' is already in the model")
            names = {other.name for other in self._stack}
            if layer.name in names:
                raise ValueError(
                    f"All layers added to a Sequential model should have unique names. "
                    f"Name '{layer.name}' is already the name of a layer in this model."
                )
            self._stack.append(layer)
            self._track(layer)
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._stack:
            raise TypeError(f"Sequential '{self.name}' has no layers to pop")
        layer = self._stack.pop()
        self._untrack_layer(layer)
        self.built = False
        self._symbolic_output = None
        if rebuild:
            self._maybe_rebuild()
        return layer

    @property
    def layers(self):
        return list(self._stack)

    def _maybe_rebuild(self):
        if self._input_layer is not None and self._stack:
            self._build_symbolic(self._input_layer.batch_shape)

    def _build_symbolic(self, batch_shape):
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=batch_shape)
        x = self._input_layer.output
        for layer in self._stack:
            x = layer(x)
            if tree.is_nested(x):
                raise ValueError(
                    f"Sequential '{self.name}': layer '{layer.name}' returned several outputs; "
                    "every layer in a Sequential model must have a single output. "
                    "Use the Functional API for multi-output layers."
                )
        self._symbolic_output = x
        self._build_shapes = tuple(batch_shape)
        self.built = True
        self._input_rank = len(self._input_layer.batch_shape)  # for the rank adjustment

    def build(self, input_shape=None):
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    f"Sequential '{self.name}' cannot be built without an input shape: "
                    "add cornu.Input(shape=...) first or call build(input_shape)."
                )
            input_shape = self._input_layer.batch_shape
        self._build_symbolic(tuple(input_shape))

    def _build_with(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or (input_shape and not _is_int_or_none(input_shape[0])):
            raise ValueError(
                f"Sequential '{self.name}' expects a single input tensor, received shapes {input_shape}"
            )
        shape = (None,) + tuple(input_shape[1:])
        self._build_symbolic(shape)

    # -- calling ---------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        # Masks travel on the tensors (``_keras_mask``): each layer's __call__ passes the
        # mask of its input to ``call(..., mask=)`` and attaches ``compute_mask`` to its
        # output.  An explicit ``mask`` is attached to the inputs first.
        x = inputs if mask is None else attach_mask(inputs, mask)
        shape = getattr(x, "shape", None)
        if shape is not None and len(shape) != self._input_rank and self._input_rank:
            # As Keras 3: a trailing axis of size 1 is added to (or removed from) an input
            # one rank off the model's ``Input``.
            x = adjust_input_rank(x, self._input_layer.batch_shape, self._input_layer.name,
                                  self.name)
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    def compute_output_spec(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._stack:
            x = layer(x)
        return x

    @property
    def input(self):
        return None if self._input_layer is None else self._input_layer.output

    @property
    def output(self):
        return self._symbolic_output

    @property
    def inputs(self):
        return [] if self._input_layer is None else [self._input_layer.output]

    @property
    def outputs(self):
        return [] if self._symbolic_output is None else [self._symbolic_output]

    @property
    def input_shape(self):
        return None if self._input_layer is None else self._input_layer.batch_shape

    @property
    def output_shape(self):
        return None if self._symbolic_output is None else self._symbolic_output.shape

    # -- config ------------------------------------------------------------------------
    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        layers = []
        if self._input_layer is not None:
            layers.append(serialize_cornu_object(self._input_layer))
        layers.extend(serialize_cornu_object(layer) for layer in self._stack)
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": Layer.get_config(self)["dtype"],
            "layers": layers,
        }
        if self._build_shapes is not None:
            config["build_input_shape"] = list(self._build_shapes)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.serialization import deserialize_cornu_object

        layers = [
            deserialize_cornu_object(
                {k: v for k, v in rec.items() if k != "build_config"} if isinstance(rec, dict) else rec,
                custom_objects=custom_objects, kind="layer")
            for rec in config["layers"]
        ]
        extra = {"dtype": config["dtype"]} if config.get("dtype") is not None else {}
        model = cls(layers=layers, name=config.get("name"), trainable=config.get("trainable", True),
                    **extra)
        shape = config.get("build_input_shape")
        if not model.built and shape:
            model.build(tuple(shape))
        return model


def _is_int_or_none(d):
    return d is None or isinstance(d, int)
