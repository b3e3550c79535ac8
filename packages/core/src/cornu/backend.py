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
* ``core.traceback_excluded_paths()``: the directories (each ending in a separator)
  whose frames traceback filtering drops besides cornu's own (the framework's
  package); ``core.unwrap_exception(err)``: the exception first raised where ``err``
  is the framework's re-raise of it (TensorFlow: AutoGraph's "in user code:" report),
  else ``err``.  Both are called only while an error propagates out of a public entry
  point (``cornu.engine.traceback_utils``; ``cornu.config.disable_traceback_filtering``).
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

This module is a leaf of the core's import graph: it imports only leaves
(``cornu.config``, ``cornu.dtypes``, ``cornu.naming``), so nothing it imports imports it
back (the ``leaves`` contract of importlinter.ini).  It finds the backends in the
``cornu.backends`` entry-point group itself (``cornu.plugins.manager`` re-exports what it
finds); the modules above it tell it what it needs from them: ``cornu.plugins.manager``
subscribes to the binding (``_on_bind``), ``cornu.symbolic`` names its tensor class
(``_keras_tensor_types``).  The capability names are defined here, where ``supports``
answers them; ``cornu.backend_spec`` (the whole contract, above this module) lists them.
"""
from cornu import config
from cornu.config import (  # noqa: F401  (Keras's ``keras.backend`` surface)
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

_PREFERENCE = ("torch", "tensorflow")
_backend = None
BACKEND_ENTRY_POINT_GROUP = "cornu.backends"
#: The first-party backends whose distribution name is not ``cornu-backend-<name>``.
_BACKEND_DISTRIBUTIONS = {"tensorflow": "cornu-backend-tf"}
#: Called with the backend module once it is bound (``cornu.plugins.manager`` subscribes
#: its ``notify_backend_selected`` when it is imported), by the subscriber's name.
_on_bind = {}
#: The classes ``is_keras_tensor`` accepts (``cornu.symbolic`` sets ``(KerasTensor,)``).
_keras_tensor_types = ()

#: ``keras.backend``'s public names, as ``cornu.backend`` provides them.
KERAS_BACKEND_NAMES = (
    "backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
    "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon",
    "set_floatx", "set_image_data_format", "standardize_dtype",
)


def is_bound():
    return _backend is not None


def backend_name():
    if _backend is not None:
        return _backend.NAME
    requested = config.requested_backend()
    if requested:
        return requested
    installed = installed_backends()
    for name in _PREFERENCE:
        if name in installed:
            return name
    return installed[0] if installed else None


def get_backend():
    """The bound backend module (imported and bound on first call)."""
    global _backend
    if _backend is None:
        name = backend_name()
        if name is None:
            raise ImportError(
                "No cornu backend is installed: pip install cornu-backend-torch "
                "(or cornu-backend-tf)"
            )
        module = load_backend_module(name)
        _backend = module
        for listener in list(_on_bind.values()):
            listener(module)
    return _backend


# -- finding the backends (the ``cornu.backends`` entry-point group) ------------------


def _backend_entry_points():
    from importlib import metadata

    return list(metadata.entry_points(group=BACKEND_ENTRY_POINT_GROUP))


def installed_backends():
    """The names of the installed backends (the ``cornu.backends`` entry points), sorted."""
    return sorted(ep.name for ep in _backend_entry_points())


def load_backend_module(name):
    """Import the backend registered under ``name`` in the ``cornu.backends`` group."""
    entry_points = _backend_entry_points()
    for ep in entry_points:
        if ep.name == name:
            return ep.load()
    available = sorted(ep.name for ep in entry_points)
    if not available:
        raise ImportError(
            "No cornu backend is installed: pip install cornu-backend-torch "
            "(or cornu-backend-tf)"
        )
    raise ImportError(
        f"The cornu backend {name!r} is not installed (installed: "
        f"{', '.join(available)}). Install it, e.g. pip install "
        f"{backend_distribution(name)}"
    )


def backend_distribution(name):
    """The distribution that, by cornu's naming, provides the backend ``name``."""
    return _BACKEND_DISTRIBUTIONS.get(name, f"cornu-backend-{name}")


#: The capabilities a backend may declare in its module's ``CAPABILITIES``, with what
#: declaring one promises (``cornu.backend_spec`` is the whole contract).
CAPABILITIES = {
    "gradients": "trainer.value_and_grad differentiates: fit and train_step train",
    "compiled_steps": "trainer.make_step compiles the step (jit_compile / tf.function)",
    "sparse": "sparse tensors (ops.convert_to_tensor(..., sparse=True), sparse inputs)",
    "ragged": "ragged tensors (ragged outputs of the preprocessing layers)",
    "strings": "string tensors: text and lookup layers run inside the backend's graphs",
    "distribution": "cornu.distribution data parallelism (a `distribute` namespace)",
    "model_parallel": "cornu.distribution.ModelParallel: variables sharded over a mesh of "
                      "several devices by a LayoutMap",
}


def supports(capability):
    """Whether the bound backend declares ``capability`` (a name of :data:`CAPABILITIES`)
    in its module's ``CAPABILITIES``; families ask this instead of the backend's name."""
    if capability not in CAPABILITIES:
        raise ValueError(f"supports: unknown capability {capability!r}; expected one of "
                         f"{sorted(CAPABILITIES)}")
    return capability in getattr(get_backend(), "CAPABILITIES", ())


def mixin_base(kind):
    """The class the backend supplies for ``cornu.<kind>`` to mix in (``"Layer"``,
    ``"Variable"``), or ``object`` when it supplies none or no backend is installed.

    Called once per kind, when ``cornu.layer`` / ``cornu.variables`` define their
    classes: this is the one place where the engine learns its framework base.
    """
    if _backend is None:
        if not installed_backends():
            return object  # no backend installed: plain classes; the first op says what to install
    bases = getattr(get_backend(), "bases", None)
    return getattr(bases, kind, object) if bases is not None else object


# -- the ``keras.backend`` surface ----------------------------------------------------
# These read settings and dtype names only: none of them imports a framework, except
# ``clear_session`` (which reaches the backend only if one is already in use).


def backend():
    """The name of the backend cornu runs on (``"torch"``, ``"tensorflow"``), as
    ``keras.backend.backend()``; this does not import the framework."""
    return backend_name()


def standardize_dtype(dtype):
    """The Keras name of ``dtype`` (a name, a framework or numpy dtype, a Python type);
    ``None`` gives ``floatx()``.  Raises ``ValueError`` for anything else."""
    from cornu.dtypes import dtype_name

    if dtype is None:
        return config.floatx()
    if dtype is str:
        return "string"
    if dtype is int or dtype is complex or (isinstance(dtype, str) and dtype == "int"):
        # Python's int (and the name "int"): 64 bits where the backend keeps 64-bit
        # results (TensorFlow), else 32, as Keras.
        wide = _keeps_64bit()
        if dtype is complex:
            return "complex128" if wide else "complex64"
        return "int64" if wide else "int32"
    return dtype_name(dtype, strict=True)


def _keeps_64bit():
    return backend_name() is not None and bool(
        getattr(get_backend(), "RESULT_TYPE_KEEPS_64BIT", False))


def is_float_dtype(dtype):
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    return standardize_dtype(dtype).startswith(("int", "uint"))


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor (``cornu.KerasTensor``)."""
    return isinstance(x, _keras_tensor_types)


_WEAK_KINDS = {int: 2, float: 3, complex: 4}  # Python types are weakly typed


def result_type(*dtypes):
    """The dtype Keras 3's type promotion gives ``dtypes`` (names, dtypes, or the
    weakly typed Python ``int``/``float``/``complex``); ``None`` stands for
    ``floatx()`` and no argument gives ``floatx()``.

    As Keras on its backends: 64-bit results narrow to 32 bits unless the backend
    keeps them (its module's ``RESULT_TYPE_KEEPS_64BIT``: TensorFlow's int64/float64)."""
    from functools import reduce

    from cornu.dtypes import kind, promote_types

    if not dtypes:
        return config.floatx()
    strong, weak = [], 0
    for dtype in dtypes:
        if isinstance(dtype, type) and dtype in _WEAK_KINDS:
            weak = max(weak, _WEAK_KINDS[dtype])
            continue
        name = config.floatx() if dtype is None else standardize_dtype(dtype)
        if name.startswith("float8"):
            raise ValueError(
                "There is no implicit conversions from float8 dtypes to others. "
                f"You must cast it internally. Received: {dtypes}")
        strong.append(name)
    out = reduce(promote_types, strong) if strong else None
    if weak and (out is None or weak > kind(out)):
        precision = config.floatx()[-2:]
        out = {2: f"int{precision}", 3: f"float{precision}", 4: "complex64"}[weak]
    narrow = {"uint64": "uint32", "complex128": "complex64"}
    if not _keeps_64bit():
        narrow.update({"int64": "int32", "float64": "float32"})
    return narrow.get(out, out)


def get_uid(prefix=""):
    """A counter per ``prefix`` (1 on the first call), shared with the default layer
    names: after one ``Dense()``, ``get_uid("dense")`` is 2."""
    from cornu import naming

    naming._counts[prefix] += 1
    return naming._counts[prefix]


def name_scope(name, **kwargs):
    """``cornu.name_scope`` (TensorFlow's ``tf.keras.backend.name_scope`` spelling)."""
    from cornu.naming import name_scope as _name_scope

    return _name_scope(name, **kwargs)


def clear_session(free_memory=True):
    """Reset cornu's global state, as ``keras.backend.clear_session``: default names
    start again (``dense``, ``dense_1``...), and the backend (if one is in use and it
    has ``clear_session``) drops its own state; ``free_memory`` runs the garbage
    collector."""
    from cornu import naming

    naming.reset()
    if _backend is not None and hasattr(_backend, "clear_session"):
        _backend.clear_session()
    if free_memory:
        import gc

        gc.collect()


def get_keras_mask(x):
    """The mask riding on tensor ``x`` (``x._keras_mask``), or None (as Keras)."""
    return getattr(x, "_keras_mask", None)


def set_keras_mask(x, mask):
    """Attach ``mask`` to tensor ``x`` as its ``_keras_mask`` (None removes it)."""
    if mask is None:
        if hasattr(x, "_keras_mask"):
            del x._keras_mask
        return
    x._keras_mask = mask
