"""Selecting and binding the backend.

This is the one place where cornu learns which framework runs it.  The engine
classes (``Layer``, ``Variable``, ``Model``) are plain Python and never inherit
from a framework class; they call into the backend module returned by
``get_backend()``.  The backend module is imported on first need (a tensor is
created, an op is called), never at ``import cornu``.

A backend is a module registered under the ``cornu.backends`` entry-point
group.  It provides:

* ``NAME``: its name (``"torch"``, ``"tensorflow"``).
* ``core``: ``convert_to_tensor(x, dtype=None)``, ``convert_to_numpy(x)``,
  ``is_tensor(x)``, ``shape(x)``, ``cast(x, dtype)``, ``standardize_dtype(dtype)``,
  ``make_variable(value, dtype, trainable, name)`` -> native handle,
  ``assign(handle, value)``, ``compute_output_spec(fn, *args, **kwargs)``,
  ``stop_gradient(x)``, ``device_name()``.
* ``numpy``, ``nn``, ``math``, ``linalg``, ``image``, ``random``: the op
  namespaces behind ``cornu.ops`` and ``cornu.random``.
* ``trainer``: ``make_train_function(model)``, ``make_test_function(model)``,
  ``make_predict_function(model)``, and ``to_tensors(batch)``.
"""
from cornu import config

_PREFERENCE = ("torch", "tensorflow")
_backend = None


def is_bound():
    return _backend is not None


def backend_name():
    if _backend is not None:
        return _backend.NAME
    requested = config.requested_backend()
    if requested:
        return requested
    from cornu.plugins.manager import installed_backends

    installed = installed_backends()
    for name in _PREFERENCE:
        if name in installed:
            return name
    return installed[0] if installed else None


def get_backend():
    """The bound backend module (imported and bound on first call)."""
    global _backend
    if _backend is None:
        from cornu.plugins.manager import load_backend_module, notify_backend_selected

        name = backend_name()
        if name is None:
            raise ImportError(
                "No cornu backend is installed: pip install cornu-backend-torch "
                "(or cornu-backend-tf)"
            )
        module = load_backend_module(name)
        _backend = module
        notify_backend_selected(module)
    return _backend
