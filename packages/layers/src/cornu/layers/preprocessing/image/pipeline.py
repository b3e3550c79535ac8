"""``Pipeline``: apply a list of (preprocessing) layers one after the other."""
from cornu import layer as _layer_module
from cornu.layer import Layer


class Pipeline(Layer):
    """Calls ``layers`` in order, each on the previous one's output.

    Unlike ``Sequential`` it is a plain layer (no model API) and it accepts what its
    layers accept, e.g. the dict inputs (images, labels, bounding boxes) of the image
    augmentation layers.  ``training`` is passed to every layer that takes it; called
    on its own, the pipeline augments (Keras 3: ``training`` defaults to True).

    Args:
        layers: the layers to apply.
        name: the layer's name.
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"Pipeline: `layers` must be a list of layers, received "
                             f"{type(layers).__name__}")
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return self._pipeline_layers

    def __call__(self, *args, **kwargs):
        if kwargs.get("training") is None and \
                _layer_module._context.training is _layer_module._UNSET:
            kwargs["training"] = True
        return super().__call__(*args, **kwargs)

    def call(self, inputs, training=True):
        for layer in self._pipeline_layers:
            inputs = layer(inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        from cornu.saving import serialize_keras_object

        cfg = super().get_config()
        cfg.pop("trainable", None)
        cfg.pop("dtype", None)
        cfg["layers"] = [serialize_keras_object(layer) for layer in self._pipeline_layers]
        return cfg

    @classmethod
    def from_config(cls, config):
        from cornu.saving import deserialize_keras_object

        config = dict(config)
        config["layers"] = [deserialize_keras_object(c) for c in config["layers"]]
        return cls(**config)
