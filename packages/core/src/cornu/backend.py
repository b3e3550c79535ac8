"""Selecting and binding the backend.

This is the one place where cornu learns which framework runs it.  The engine
classes (``Layer``, ``Variable``, ``Model``) never name a framework: they call into
the backend module returned by ``get_backend()``, and mix in the optional bases it
supplies (``mixin_base``, below).  The backend module is imported on first need (a
tensor is created, an op is called, ``cornu.layer`` is imported), never at
``import cornu``.

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
* ``trainer``: the two primitives the core's steps (``Model.train_step`` and
  friends, in ``cornu.engine.trainer``) are written on, plus batching:

  - ``value_and_grad(fn, variables)``: ``fn()`` returns ``(target, aux)``; returns
    ``(aux, gradients of target w.r.t. variables)``;
  - ``make_step(step, model, training)``: ``run(batches)`` calling ``step(batch)`` on
    each batch of a ``steps_per_execution`` group, compiled as the framework compiles
    (honouring ``model.run_eagerly`` / ``model.jit_compile``; no autograd when not
    ``training``), returning the last step's result;
  - ``make_slicer(data)`` (the batches of in-memory arrays) and
    ``concat_to_numpy(outputs)`` (predict's one device-to-host copy).

Optional parts (a backend without them gets plain-Python behaviour):

* ``core.init_scope()``: a context manager under which ``Variable`` runs its
  initializer and calls ``make_variable``, so that a variable first created inside a
  compiled step or a symbolic trace is created eagerly (TensorFlow: ``tf.init_scope``).
* ``bases``: a submodule with the classes the engine mixes in, so that cornu objects
  are the framework's own objects (a ``torch.nn.Module``, a TensorFlow trackable):

  - ``bases.Layer``: the first base of ``cornu.Layer``.  ``Layer.__new__`` runs its
    ``__init__()`` (no arguments) before any attribute is set.  It may define
    ``_register_tracked(value, name)``, called once per sublayer or own variable the
    layer starts tracking (``name``: the attribute name, an index, or the variable's
    name; make it unique) and ``_unregister_tracked(value)``.  A base that runs hooks
    around calls sets the instance attribute ``_call_hooks_active``; ``Layer.__call__``
    then hands concrete calls to its ``_call_with_hooks(args, kwargs)``.
  - ``bases.Variable``: the first base of ``cornu.Variable`` (whose native handle is
    ``self._value``).

  The bases are looked up once, when ``cornu.layer`` and ``cornu.variables`` are
  imported (``mixin_base``); that import binds the backend.
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


def mixin_base(kind):
    """The class the backend supplies for ``cornu.<kind>`` to mix in (``"Layer"``,
    ``"Variable"``), or ``object`` when it supplies none or no backend is installed.

    Called once per kind, when ``cornu.layer`` / ``cornu.variables`` define their
    classes: this is the one place where the engine learns its framework base.
    """
    if _backend is None:
        from cornu.plugins.manager import installed_backends

        if not installed_backends():
            return object  # no backend installed: plain classes; the first op says what to install
    bases = getattr(get_backend(), "bases", None)
    return getattr(bases, kind, object) if bases is not None else object
