"""``cornu.wrappers`` (``keras.wrappers``): scikit-learn estimators around cornu models.

``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer`` make a compiled
model (or a function that builds one) a scikit-learn estimator: ``fit``/``predict``/
``score``/``transform``, ``get_params``/``set_params``, ``clone``, pipelines and
searches.  They need scikit-learn (``pip install scikit-learn``, or the
``cornu-core[sklearn]`` extra), which is imported when a class is first used, not when
``cornu`` or ``cornu.wrappers`` is: the classes live in
``cornu.wrappers.sklearn_wrapper``, loaded on first access.
"""
import importlib as _importlib

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name):
    if name in __all__:
        value = getattr(_importlib.import_module("cornu.wrappers.sklearn_wrapper"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cornu.wrappers' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
