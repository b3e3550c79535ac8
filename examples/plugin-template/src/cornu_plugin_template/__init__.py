"""A template cornu plugin.

The components live in their own modules and are imported on first use: the
plugin manager imports ``cornu_plugin_template.plugin`` (and so this package)
when cornu first needs its registry, and a plugin must not make that costly
(no framework imports, no I/O, no global state at import time).
"""
import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "GatedDense": "layers",
    "bent_identity": "activations",
    "SignSGD": "optimizers",
    "PseudoHuber": "losses",
    "pseudo_huber": "losses",
    "WithinTolerance": "metrics",
    "StopAtLoss": "callbacks",
}
_MODULES = ("two_spirals",)  # a dataset is a module with load_data()
__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
