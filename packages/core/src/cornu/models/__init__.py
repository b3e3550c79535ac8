"""``cornu.models``: Model, Sequential, Functional, and model loading helpers."""
from cornu.models.functional import Functional
from cornu.models.input_layer import Input, InputLayer
from cornu.models.model import Model
from cornu.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    from cornu.saving import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and fresh weights (from its config)."""
    from cornu.serialization import deserialize_cornu_object, serialize_cornu_object

    if clone_function is None and input_tensors is None:
        return deserialize_cornu_object(serialize_cornu_object(model))
    if isinstance(model, Sequential):
        clone_function = clone_function or (lambda layer: type(layer).from_config(layer.get_config()))
        layers = [clone_function(layer) for layer in model.layers]
        if input_tensors is not None:
            layers = [InputLayer(input_tensor=input_tensors)] + layers
        return Sequential(layers, name=model.name)
    raise ValueError("clone_model with clone_function/input_tensors supports Sequential models")


__all__ = ["Model", "Sequential", "Functional", "Input", "InputLayer", "load_model", "clone_model"]
