"""``cornu.models``: Model, Sequential, Functional, and model loading helpers."""
from cornu.models.cloning import clone_model
from cornu.models.functional import Functional
from cornu.models.input_layer import Input, InputLayer
from cornu.models.model import Model, model_from_json
from cornu.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by ``model.save`` (see ``cornu.saving.load_model``)."""
    from cornu.saving import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save ``model`` to a ``.keras`` file (see ``cornu.saving.save_model``)."""
    from cornu.saving import save_model as _save

    return _save(model, filepath, overwrite=overwrite, zipped=zipped, **kwargs)


__all__ = ["Model", "Sequential", "Functional", "Input", "InputLayer", "load_model",
           "save_model", "clone_model", "model_from_json"]
