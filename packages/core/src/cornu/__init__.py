"""cornu: the Keras 3 API on PyTorch and TensorFlow, as a family of plugins.

Only cornu-core ships this file.  Every other distribution adds a
subpackage (``cornu.layers``, ``cornu.backends.torch``, ...) to the same
namespace; ``extend_path`` lets Python find those subpackages wherever pip
put them (wheel installs, editable installs, or a mix of both).
"""
__path__ = __import__("pkgutil").extend_path(__path__, __name__)  # noqa: F821

import importlib as _importlib
import sys as _sys

from cornu import config
from cornu._warning import CornuWarning
from cornu._version import __version__, cornu_version, keras_version, version
from cornu.symbolic import KerasTensor


# cornu.config imports nothing from cornu and cornu.backend only such leaves (they are on no
# import cycle: importlinter.ini's ``leaves`` contract); the functions of theirs whose answer
# is another module's code reach that module through these getters, imported on first call.
def _backend_module():
    from cornu import backend

    return backend


def _dtype_policy_module():
    from cornu.dtype_policies import policy

    return policy


config._provide("backend", _backend_module)
config._provide("dtype_policy", _dtype_policy_module)

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
    "distillation": "cornu-metrics",  # keras.distillation: built on the losses
}


class _MissingFamilyFinder:
    """The last finder on ``sys.meta_path``: ``import cornu.optimizers`` (or ``from
    cornu.optimizers import Adam``) without cornu-optimizers raises the error attribute
    access gives, naming the distribution, instead of a bare "No module named".

    It answers only for ``cornu.<family>`` and only once every other finder declined (the
    family is not installed), so an installed family imports as if it were not there; a
    finder added to ``sys.meta_path`` after this one still gets its turn first.
    """

    _cornu_missing_families = True

    def find_spec(self, fullname, path=None, target=None):
        prefix, _, family = fullname.partition(".")
        if prefix != "cornu" or family not in _FAMILIES:  # (no "." in a family's name)
            return None
        meta = _sys.meta_path
        later = meta[meta.index(self) + 1:] if self in meta else []
        for finder in later:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                return spec
        raise ModuleNotFoundError(
            f"{fullname} is not installed: pip install {_FAMILIES[family]}", name=fullname)


# One finder even if cornu is imported afresh (a test that clears sys.modules).
_sys.meta_path[:] = [f for f in _sys.meta_path
                     if not getattr(f, "_cornu_missing_families", False)]
_sys.meta_path.append(_MissingFamilyFinder())

# Core submodules that are imported on first use only.
_CORE_SUBMODULES = (
    "ops", "activations", "initializers", "regularizers", "constraints",
    "utils", "saving", "random", "backend", "plugins", "models", "engine",
    "dtype_policies", "mixed_precision", "export", "distribution", "preprocessing",
    "visualization", "quantizers",
    "wrappers", "legacy",
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
               "Quantizer": "quantizers",
               "name_scope": "naming",
               "remat": "rematerialization", "RematScope": "rematerialization",
               # stateless execution and device placement (cornu.scopes)
               "StatelessScope": "scopes", "SymbolicScope": "scopes", "device": "scopes",
               "Function": "symbolic", "Operation": "symbolic"}
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


def _installed(family):
    import importlib.util

    try:
        return importlib.util.find_spec(f"cornu.{family}") is not None
    except ModuleNotFoundError:  # raised for a missing family by _MissingFamilyFinder
        return False


# ``from cornu import *`` (``from keras import *`` under the alias, as KerasTuner does):
# the public names, the lazily imported ones, and the families that are installed.
__all__ = sorted(
    {n for n in globals() if not n.startswith("_") and n not in ("import_family",)}
    | set(_CORE_SUBMODULES) | set(_LAZY_NAMES)
    | {f for f in _FAMILIES if _installed(f)}
    | {n for n, f in _FAMILY_NAMES.items() if _installed(f)})
