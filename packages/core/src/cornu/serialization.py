"""Object <-> config dicts in the Keras 3 format, resolved through the plugin registry.

A serialized object is ``{"module", "class_name", "config", "registered_name"}``.
Built-in components use the public Keras module names (``keras.layers``,
``keras.initializers``, ...) so files stay readable by Keras 3; user classes
registered with ``register_cornu_serializable(package)`` carry
``registered_name = "package>Name"``.  A function is Keras's record
``{"module": "builtins", "class_name": "function", "config": "package>name"
(or its bare name when unregistered), "registered_name": "function"}``; a bare
name also finds a function registered as ``"package>name"`` (what Keras <= 3.6
and earlier cornu wrote).  Resolution order: ``custom_objects``,
the custom-object scope, registered user classes, then the plugin registry.
Nothing is imported by module path, so loading a config never runs code that
was not already installed and registered.
"""
import contextlib
import threading
import types

from cornu import config as _config

#: kind -> the public Keras module name written into configs.
KIND_MODULES = {
    "layer": "keras.layers",
    "initializer": "keras.initializers",
    "regularizer": "keras.regularizers",
    "constraint": "keras.constraints",
    "optimizer": "keras.optimizers",
    "schedule": "keras.optimizers.schedules",
    "loss": "keras.losses",
    "metric": "keras.metrics",
    "callback": "keras.callbacks",
    "activation": "keras.activations",
    "quantizer": "keras.quantizers",
}
MODULE_KINDS = {v: k for k, v in KIND_MODULES.items()}
MODULE_KINDS.update({"keras": "layer", "keras.models": "layer", "keras.src.models.functional": "layer",
                     "keras.src.models.sequential": "layer"})

_GLOBAL_CUSTOM_OBJECTS = {}
_GLOBAL_CUSTOM_NAMES = {}
_scope = threading.local()


def register_cornu_serializable(package="Custom", name=None):
    """Class decorator: make a user class resolvable as ``"package>Name"`` in configs."""

    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if hasattr(obj, "get_config") is False and not callable(obj):
            raise ValueError(f"Cannot register {obj!r}: it needs get_config() or must be callable")
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj

    return decorator


register_keras_serializable = register_cornu_serializable


def get_registered_name(obj):
    """The name ``obj`` is saved under: ``"package>Name"`` when registered, else its name."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_custom_objects():
    """The global dict of registered custom objects (name -> class or function).

    As in Keras, updating it registers objects by name for deserialization:
    ``get_custom_objects().update({"MyLayer": MyLayer})``.
    """
    return _GLOBAL_CUSTOM_OBJECTS


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered as ``name`` in ``custom_objects``, the custom-object
    scope, the global registrations, or ``module_objects`` (in that order); None if absent."""
    for table in (custom_objects or {}, _current_scope(), _GLOBAL_CUSTOM_OBJECTS, module_objects or {}):
        if name in table:
            return table[name]
    return None


def _current_scope():
    merged = {}
    for objs in getattr(_scope, "stack", []):
        merged.update(objs)
    return merged


@contextlib.contextmanager
def custom_object_scope(custom_objects):
    """Within the block, ``custom_objects`` resolve by name during deserialization."""
    stack = getattr(_scope, "stack", None)
    if stack is None:
        stack = _scope.stack = []
    stack.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        stack.pop()


CustomObjectScope = custom_object_scope


# Safe mode off for the whole process, as Keras: it wins over every ``safe_mode`` argument.
# The switch is a setting of cornu.config (which imports nothing from cornu).
enable_unsafe_deserialization = _config.enable_unsafe_deserialization


def in_safe_mode():
    """Whether the object being deserialized now is loaded in safe mode.

    ``load_model(..., safe_mode=False)`` (or ``deserialize_cornu_object(...,
    safe_mode=False)``) turns it off for everything deserialized inside; a class
    whose config would run code (pickles, SavedModels) refuses to load otherwise.
    ``cornu.config.enable_unsafe_deserialization()`` turns it off everywhere.
    """
    if _config._UNSAFE_DESERIALIZATION:
        return False
    return getattr(_scope, "safe_mode", True)


@contextlib.contextmanager
def _safe_mode_scope(safe_mode):
    previous = getattr(_scope, "safe_mode", True)
    _scope.safe_mode = previous if safe_mode is None else bool(safe_mode)
    try:
        yield
    finally:
        _scope.safe_mode = previous


def _kind_of(obj):
    from cornu.plugins import registry
    from cornu.plugins.hookspecs import KINDS

    cls = obj if isinstance(obj, type) else type(obj)
    for kind in KINDS:
        if registry.name_of(kind, cls) is not None:
            return kind
    return None


def serialize_cornu_object(obj):
    """The Keras-format config of ``obj`` (plain values pass through)."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_cornu_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_cornu_object(v) for k, v in obj.items()}
    if isinstance(obj, type) or not hasattr(obj, "get_config"):
        if isinstance(obj, types.FunctionType) and obj.__name__ != "<lambda>":
            # A function (activation, loss or metric function): Keras 3's record,
            # named by its registered name ("package>name") or by its own name.
            return serialize_function_record(obj)
        if callable(obj):
            return getattr(obj, "__name__", repr(obj))
        raise TypeError(f"Cannot serialize {obj!r}: it has no get_config()")
    cls = type(obj)
    registered = _GLOBAL_CUSTOM_NAMES.get(cls)
    kind = None if registered else _kind_of(cls)
    module = None if registered else KIND_MODULES.get(kind, cls.__module__)
    if kind == "layer" and cls.__name__ in ("Functional", "Sequential", "Model"):
        module = {"Functional": "keras.src.models.functional",
                  "Sequential": "keras", "Model": "keras"}[cls.__name__]
    record = {
        "module": module,
        "class_name": cls.__name__,
        "config": _serialize_config(obj.get_config()),
        "registered_name": registered or (
            cls.__name__ if kind == "optimizer" or cls.__name__ == "Functional" else None
        ),
    }
    if hasattr(obj, "get_build_config"):
        build = obj.get_build_config()
        if build is not None:
            record["build_config"] = build
    return record


def serialize_function_record(fn):
    """Keras 3's record of a function: ``{"module": "builtins", "class_name":
    "function", "config": <name>, "registered_name": "function"}``, where the name
    is ``"package>name"`` for a function registered with
    ``register_keras_serializable(package=...)`` and its ``__name__`` otherwise."""
    return {"module": "builtins", "class_name": "function",
            "config": get_registered_name(fn), "registered_name": "function"}


def get_registered_function(name, custom_objects=None):
    """The registered object called ``name``; for a bare ``name`` (no ``>``) also one
    registered as ``"package>name"``, since Keras <= 3.6 and earlier cornu wrote a
    registered function by its bare name.  None if there is none."""
    obj = get_registered_object(name, custom_objects)
    if obj is not None or not isinstance(name, str) or ">" in name:
        return obj
    suffix = ">" + name
    for table in (custom_objects or {}, _current_scope(), _GLOBAL_CUSTOM_OBJECTS):
        for key, value in table.items():
            if isinstance(key, str) and key.endswith(suffix):
                return value
    return None


def _deserialize_function(name, custom_objects, kind):
    """The function a ``"class_name": "function"`` record names (never called)."""
    if not isinstance(name, str):
        raise ValueError(f"Cannot deserialize the function record {name!r}: its config "
                         "must be the function's name")
    obj = get_registered_object(name, custom_objects)
    if obj is not None:
        return obj
    from cornu.plugins import registry

    found = registry.lookup(kind, name) if kind in SERIALIZABLE_KINDS else None
    if found is None and kind is None:
        found = _lookup_any_kind(name, None)
    if found is None:
        found = get_registered_function(name, custom_objects)
    if found is None:
        raise ValueError(
            f"Could not locate function {name!r}. Make sure custom functions are "
            "decorated with register_keras_serializable() (and imported before loading) "
            "or passed via custom_objects. "
            + (registry.unknown_name_message(kind, name) if kind else "")
        )
    return found


def _serialize_config(config):
    out = {}
    for key, value in config.items():
        if hasattr(value, "get_config") and not isinstance(value, type):
            out[key] = serialize_cornu_object(value)
        else:
            out[key] = value
    return out


def deserialize_cornu_object(config, custom_objects=None, kind=None, safe_mode=None):
    """Rebuild an object from ``serialize_cornu_object`` output (or a registered name).

    ``safe_mode`` defaults to the enclosing call's setting (True at the top level).
    """
    if safe_mode is None or _config._UNSAFE_DESERIALIZATION:
        safe_mode = in_safe_mode()
    if config is None:
        return None
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects)
        if obj is not None:
            return obj
        if kind is None:
            # A plain string that names no registered object is a value, as Keras's
            # deserialize_keras_object returns it (KerasRS's table configs keep their
            # optimizer as "adam").
            return config
        from cornu.plugins import registry

        return registry.get(kind, config)
    if not isinstance(config, dict) or "class_name" not in config:
        return config
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "function":
        return _deserialize_function(inner, custom_objects, kind)
    if class_name == "__lambda__" and safe_mode:
        raise ValueError(
            "Refusing to deserialize a lambda (Python bytecode) in safe mode: it could "
            "run arbitrary code. Pass safe_mode=False only if you trust the file."
        )
    registered = config.get("registered_name")
    cls = None
    for name in (registered, class_name):
        if name:
            cls = get_registered_object(name, custom_objects)
            if cls is not None:
                break
    if cls is None:
        kind = kind or MODULE_KINDS.get(config.get("module"))
        cls = _lookup_any_kind(class_name, kind)
    if cls is None:
        from cornu.plugins import registry

        raise ValueError(
            f"Could not locate class {class_name!r}. Make sure custom classes are "
            "decorated with register_cornu_serializable() or passed via custom_objects. "
            + (registry.unknown_name_message(kind, class_name) if kind else "")
        )
    if not isinstance(cls, type):
        # A function named by a config is returned, never called with the config's
        # arguments: a file must not be able to make loading run a function.
        return cls
    if hasattr(cls, "from_config"):
        with custom_object_scope(custom_objects or {}), _safe_mode_scope(safe_mode):
            obj = cls.from_config(inner)
    else:
        obj = cls(**inner)
    build = config.get("build_config")
    if build and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
        obj.build_from_config(build)
        _build_sublayers(obj, build)
    return obj


def _build_sublayers(obj, build):
    """A layer without its own ``build`` (a subclassed model) creates its sublayers'
    weights on first call: call it once on zeros of the saved input shape (unknown
    dimensions as 1), as Keras builds such models, so the weights exist before they
    are loaded.  The zeros count against the loading allocation budget."""
    from cornu.layer import Layer

    if not isinstance(obj, Layer) or type(obj).build is not Layer.build:
        return
    if all(layer.built for layer in obj._layers):
        return
    shape = build.get("input_shape")
    if shape is None:
        return
    import numpy as np

    from cornu import config as cornu_config

    def zeros(s):
        if isinstance(s, dict):
            return {k: zeros(v) for k, v in s.items()}
        if isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple, dict)):
            return [zeros(v) for v in s]
        concrete = tuple(1 if d is None else int(d) for d in s)
        check_allocation(f"the input of {obj.name}", concrete, cornu_config.floatx())
        return np.zeros(concrete, cornu_config.floatx())

    obj(zeros(shape), training=False)


#: The registry kinds a config may name.  Datasets, applications and callbacks are
#: never part of a saved object: a config naming one (a dataset loader or a
#: weights downloader used as a gadget, CVE-2025-8747) must not resolve.
SERIALIZABLE_KINDS = ("layer", "activation", "initializer", "regularizer", "constraint",
                      "optimizer", "schedule", "loss", "metric", "quantizer")


def _lookup_any_kind(name, kind):
    from cornu.plugins import registry

    if kind is not None and kind in SERIALIZABLE_KINDS:
        found = registry.lookup(kind, name)
        if found is not None:
            return found
    for other in SERIALIZABLE_KINDS:
        found = registry.lookup(other, name)
        if found is not None:
            return found
    return None


def make_kind_api(kind, base, instantiate=True):
    """``serialize``, ``deserialize`` and ``get`` for one registry kind."""

    def serialize(obj):
        return serialize_cornu_object(obj)

    def deserialize(config, custom_objects=None):
        obj = deserialize_cornu_object(config, custom_objects, kind=kind)
        if instantiate and isinstance(obj, type):
            obj = obj()
        return obj

    def get(identifier):
        if identifier is None:
            return None
        if isinstance(identifier, str):
            try:
                return deserialize(identifier)
            except ValueError as err:
                # Keras's words first (libraries match them: SciKeras), then the
                # registry's hints on what is installed.
                raise ValueError(
                    f"Could not interpret {kind} identifier: {identifier}. {err}") from None
        if isinstance(identifier, dict):
            return deserialize(identifier)
        if isinstance(identifier, type) and instantiate:
            return identifier()
        if callable(identifier) or isinstance(identifier, base):
            return identifier
        raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")

    serialize.__doc__ = f"The config of a {kind}."
    deserialize.__doc__ = f"A {kind} from its config or registered name."
    get.__doc__ = f"A {kind} from a name, a config dict, an instance, or None."
    return serialize, deserialize, get


class _AllocationBudget:
    def __init__(self, limit, source):
        self.limit = int(limit)
        self.used = 0
        self.source = source


@contextlib.contextmanager
def allocation_budget(limit_bytes, source):
    """Bound the bytes of variables created inside the block (while loading a file).

    A saved model stores every variable it creates, so a config whose layers would
    allocate far more than the file holds (``Dense(units=10**9)``, a huge
    ``build_config`` shape) is an allocation bomb and is refused before allocating.
    """
    previous = getattr(_scope, "budget", None)
    _scope.budget = _AllocationBudget(limit_bytes, source)
    try:
        yield _scope.budget
    finally:
        _scope.budget = previous


def check_allocation(owner, shape, dtype):
    """Called by ``Layer.add_weight`` before allocating; a no-op outside loading."""
    budget = getattr(_scope, "budget", None)
    if budget is None:
        return
    import numpy as np

    count = 1
    for d in shape:
        count *= int(d)
    try:
        itemsize = np.dtype(dtype).itemsize
    except TypeError:
        itemsize = 8
    budget.used += count * itemsize
    if budget.used > budget.limit:
        raise ValueError(
            f"Refusing to create the weights of '{owner}' (shape {tuple(shape)}, {dtype}): "
            f"the layers in {budget.source} would allocate {budget.used} bytes, far more "
            f"than the {budget.limit} bytes the file can hold. The config asks for an "
            "unbounded allocation; the file is corrupt or malicious."
        )


def load_python_lambda(config, module=None):
    """A function from Keras's ``__lambda__`` record (marshalled Python bytecode).

    Only for ``safe_mode=False``: running bytecode from a file executes whatever its
    author wrote.  Raises in safe mode.  Globals are the builtins plus, when
    ``module`` is already imported, that module's names (nothing is imported).
    """
    if in_safe_mode():
        raise ValueError(
            "Refusing to deserialize a lambda (Python bytecode) in safe mode: it could "
            "run arbitrary code. Pass safe_mode=False only if you trust the file."
        )
    import base64
    import binascii
    import builtins
    import marshal
    import sys
    import types

    config = config.get("config", config) if isinstance(config, dict) else config
    code, defaults, closure = config.get("code"), config.get("defaults"), config.get("closure")
    if isinstance(code, (list, tuple)):
        code, defaults, closure = code
    try:
        raw = base64.b64decode(code.encode("ascii"))
    except (UnicodeEncodeError, binascii.Error):
        raw = code.encode("raw_unicode_escape")
    try:
        code = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as err:
        raise ValueError(
            f"Cannot load the lambda's bytecode ({err}): it was written by another Python "
            "version or is corrupt"
        ) from err
    globs = {"__builtins__": builtins}
    if module and module in sys.modules:
        globs.update(vars(sys.modules[module]))

    def cell(value):
        return (lambda: value).__closure__[0]

    return types.FunctionType(
        code, globs, name=code.co_name,
        argdefs=tuple(defaults) if isinstance(defaults, list) else defaults,
        closure=None if closure is None else tuple(cell(v) for v in closure),
    )
