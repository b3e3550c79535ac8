"""Bind an op namespace module to the backend's module of the same name.

A front module defines ``__getattr__ = bind_front(__name__, ("numpy", ...))``.
The first access to ``cornu.ops.matmul`` looks the function up in the
backend and stores it in the front module's globals, so every later access is
a plain module attribute read: no registry, no pluggy, no wrapper on the hot
path.
"""
import sys


def bind_front(module_name, backend_modules):
    module = sys.modules[module_name]

    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        from cornu.backend import get_backend

        backend = get_backend()
        for sub in backend_modules:
            namespace = getattr(backend, sub)
            fn = getattr(namespace, name, None)
            if fn is not None:
                setattr(module, name, fn)
                return fn
        raise AttributeError(
            f"{module_name}.{name} does not exist (backend {backend.NAME!r})"
        )

    return __getattr__
