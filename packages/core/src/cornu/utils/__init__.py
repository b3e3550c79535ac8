"""Utilities: ``cornu.utils`` (the Keras ``keras.utils`` surface that cornu-core provides)."""
from cornu.utils.dataset_utils import (
    audio_dataset_from_directory,
    image_dataset_from_directory,
    split_dataset,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)
from cornu.utils.file_utils import get_file
from cornu.utils.config import Config
from cornu.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from cornu.utils.io_utils import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from cornu.utils import legacy
from cornu.utils.numerical_utils import normalize, to_categorical
from cornu.utils.py_dataset import PyDataset
from cornu.engine.data_adapters import pack_x_y_sample_weight, unpack_x_y_sample_weight
from cornu.utils.sequence_utils import pad_sequences
from cornu.utils.progbar import Progbar
from cornu.utils.random import set_random_seed
from cornu.utils.model_visualization import model_to_dot, plot_model
from cornu.serialization import (
    custom_object_scope,
    deserialize_cornu_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_cornu_serializable,
    register_keras_serializable,
    serialize_cornu_object,
)

from cornu.backend import clear_session, is_keras_tensor, standardize_dtype  # noqa: E402
from cornu.symbolic import get_source_inputs  # noqa: E402

CustomObjectScope = custom_object_scope
serialize_keras_object = serialize_cornu_object
deserialize_keras_object = deserialize_cornu_object
Sequence = PyDataset  # Keras 2's name

__all__ = [
    "plot_model", "model_to_dot", "get_custom_objects", "serialize_keras_object",
    "deserialize_keras_object",
    "PyDataset", "Sequence", "audio_dataset_from_directory", "image_dataset_from_directory",
    "normalize", "pad_sequences", "split_dataset", "text_dataset_from_directory",
    "timeseries_dataset_from_array", "to_categorical",
    "get_file", "Progbar", "set_random_seed", "custom_object_scope", "CustomObjectScope",
    "deserialize_cornu_object", "serialize_cornu_object", "get_registered_name",
    "get_registered_object", "register_cornu_serializable", "register_keras_serializable",
    "pack_x_y_sample_weight", "unpack_x_y_sample_weight",
    "clear_session", "is_keras_tensor", "standardize_dtype", "get_source_inputs",
    "Config", "array_to_img", "img_to_array", "load_img", "save_img",
    "disable_interactive_logging", "enable_interactive_logging",
    "is_interactive_logging_enabled", "legacy", "bounding_boxes",
]

# Submodules imported on first use (``bounding_boxes`` runs on ``cornu.ops``, which
# ``import cornu.utils`` does not import).
_LAZY_SUBMODULES = ("bounding_boxes",)

# Keras names whose class lives in a family: resolved on first use (``import cornu.utils``
# imports no family; a missing family names its distribution).
_FAMILY_NAMES = {"FeatureSpace": ("layers", "cornu.layers.preprocessing")}


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"cornu.utils.{name}")
    if name in _FAMILY_NAMES:
        import importlib

        import cornu

        family, module = _FAMILY_NAMES[name]
        cornu.import_family(family)
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cornu.utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FAMILY_NAMES) | set(_LAZY_SUBMODULES))
