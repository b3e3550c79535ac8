"""An inference-only NumPy backend for cornu.

Registered under the ``cornu.backends`` entry-point group as ``numpy``
(``CORNU_BACKEND=numpy``).  It implements the backend interface that
``cornu.backend`` documents (``core``, ``numpy``, ``nn``, ``math``, ``linalg``,
``image``, ``random``, ``trainer``) with NumPy alone: forward passes,
``predict`` and ``evaluate`` work; ``fit`` raises, because NumPy has no
automatic differentiation.

Tensors are :class:`cornu.backends.numpy.core.Tensor`, a plain ``ndarray``
subclass that can carry attributes (Keras masks ride on tensors as
``_keras_mask``); variables are ``Tensor``s updated in place.
"""
import importlib as _importlib

NAME = "numpy"
#: What this backend can do (``cornu.backend_spec.CAPABILITIES``).
CAPABILITIES = frozenset()  # inference only: no gradients, no compiled steps
_SUBMODULES = ("core", "numpy", "nn", "math", "linalg", "image", "random", "trainer")


def __getattr__(name):
    if name in _SUBMODULES:
        module = _importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
