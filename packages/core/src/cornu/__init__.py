"""cornu: the Keras 3 API on PyTorch and TensorFlow, as a family of plugins.

Only cornu-core ships this file.  Every other distribution adds a
subpackage (``cornu.layers``, ``cornu.backends.torch``, ...) to the same
namespace; ``extend_path`` lets Python find those subpackages wherever pip
put them (wheel installs, editable installs, or a mix of both).
"""
__path__ = __import__("pkgutil").extend_path(__path__, __name__)  # noqa: F821

import importlib as _importlib

from cornu import config
from cornu._version import __version__, cornu_version, keras_version, version
from cornu.symbolic import KerasTensor

# Families that live in their own distribution.  ``cornu.layers`` and friends
# resolve lazily (PEP 562) so that ``import cornu`` stays small and a missing
# family becomes an actionable error rather than an AttributeError.
_FAMILIES = {
    "layers": "cornu-layers",
    "optimizers": "cornu-optimizers",
    "metrics": "cornu-metrics",
    "losses": "cornu-metrics",
    "callbacks": "cornu-callbacks",
    "datasets": "cornu-datasets",
    "applications": "cornu-applications",
}
# Core submodules that are imported on first use only.
_CORE_SUBMODULES = (
    "ops", "activations", "initializers", "regularizers", "constraints",
    "utils", "saving", "random", "backend", "plugins", "models", "engine",
    "dtype_policies", "mixed_precision", "export", "distribution",
)
# Top-level names (as in Keras) that live in a lazily imported core submodule.  The
# engine classes are among them: defining Layer and Variable mixes in the backend's
# bases (``cornu.backend.mixin_base``), which binds the backend and imports its framework.
_LAZY_NAMES = {"Variable": "variables", "Layer": "layer", "InputSpec": "layer",
               "Input": "models.input_layer", "InputLayer": "models.input_layer",
               "Model": "models.model", "Sequential": "models.sequential",
               "Functional": "models.functional",
               "DTypePolicy": "dtype_policies", "FloatDTypePolicy": "dtype_policies",
               "alias_keras": "_alias",  # cornu.alias_keras(): `import keras` -> cornu
               "Initializer": "initializers", "Regularizer": "regularizers",
               "name_scope": "naming"}
# Top-level Keras names whose class lives in a family (resolved on first use, so that a
# missing family names its distribution).
_FAMILY_NAMES = {"Optimizer": "optimizers", "Loss": "losses", "Metric": "metrics"}


def import_family(name):
    """Import ``cornu.<name>``; a missing distribution gets a helpful error."""
    module_name = f"cornu.{name}"
    try:
        return _importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise  # an error *inside* the family: let it through untouched
        dist = _FAMILIES[name]
        raise ModuleNotFoundError(
            f"{module_name} is not installed: pip install {dist}", name=module_name
        ) from None


def __getattr__(name):
    if name in _FAMILIES:
        return import_family(name)
    if name in _CORE_SUBMODULES:
        return _importlib.import_module(f"cornu.{name}")
    if name in _FAMILY_NAMES:
        value = getattr(import_family(_FAMILY_NAMES[name]), name)
        globals()[name] = value
        return value
    if name in _LAZY_NAMES:
        value = getattr(_importlib.import_module(f"cornu.{_LAZY_NAMES[name]}"), name)
        globals()[name] = value  # resolved once: later lookups are plain module attributes
        return value
    raise AttributeError(f"module 'cornu' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FAMILIES) | set(_CORE_SUBMODULES) | set(_LAZY_NAMES)
                  | set(_FAMILY_NAMES))
