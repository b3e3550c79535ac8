"""The PyTorch backend for cornu (CPU and CUDA).

Registered under the ``cornu.backends`` entry-point group as ``torch``.
Submodules are imported on first access so that unused namespaces (image,
linalg) cost nothing.
"""
import importlib as _importlib

NAME = "torch"
#: What this backend can do (``cornu.backend_spec.CAPABILITIES``).
CAPABILITIES = frozenset({"gradients", "compiled_steps", "sparse", "distribution"})
_SUBMODULES = ("core", "numpy", "nn", "math", "linalg", "image", "random", "trainer",
               "rnn", "distribute", "bases")


def __getattr__(name):
    if name in _SUBMODULES:
        module = _importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
