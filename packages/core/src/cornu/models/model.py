"""``cornu.Model``: a Layer that trains (compile/fit/evaluate/predict) and saves."""
from cornu.engine.trainer import Trainer
from cornu.layer import Layer


class Model(Trainer, Layer):
    """Groups layers into an object with training and inference features.

    Three ways to make one, as in Keras:

    * Functional: ``cornu.Model(inputs, outputs)`` (returns a ``Functional``);
    * ``cornu.Sequential([...])``;
    * subclassing: define layers in ``__init__`` and the forward pass in ``call``.
    """

    _warn_dropped_mask = False  # the model's own layers carry (or drop) the masks

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from cornu.models.functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if type(self) is Model and (args or "inputs" in kwargs):
            raise TypeError("Model(inputs, outputs) should have created a Functional model")
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    @property
    def layers(self):
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in ``layers``."""
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index, not both")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(self.layers)} layers."
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[l.name for l in self.layers]}."
        )

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print the layer table (name (type), output shape, param #) and the totals."""
        from cornu.utils.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable)

    # -- saving --------------------------------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the whole model (architecture, weights, optimizer state) to a ``.keras`` file."""
        from cornu.saving import save_model

        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the weights to a ``.weights.h5`` file (Keras 3 layout)."""
        from cornu.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights saved by ``save_weights`` (or from a ``.keras`` file)."""
        from cornu.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs):
        """The model's config as a JSON string (``model_from_json`` rebuilds it)."""
        import json

        from cornu.serialization import serialize_cornu_object

        return json.dumps(serialize_cornu_object(self), **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("batch_input_shape", None)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.models.functional import Functional, functional_from_config

        if cls is Model and "layers" in config and "input_layers" in config:
            return functional_from_config(Functional, config, custom_objects)
        return cls(**config)


def model_from_json(json_string, custom_objects=None):
    import json

    from cornu.serialization import deserialize_cornu_object

    return deserialize_cornu_object(json.loads(json_string), custom_objects=custom_objects)
