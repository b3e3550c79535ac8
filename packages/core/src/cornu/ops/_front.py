"""Bind an op namespace module to the backend's module of the same name.

A front module defines ``__getattr__ = bind_front(__name__, ("numpy", ...))``.
The first access to ``cornu.ops.matmul`` looks the function up in the
backend and stores it in the front module's globals, so every later access is
a plain module attribute read: no registry, no pluggy on the hot path.

What is stored for an op is a *front function*: generated once, with the
backend function's own signature, it calls the backend function inside a
``try``.  The eager path therefore costs one Python call with positional
arguments and nothing else (a ``try`` block is free until it raises).  Symbolic
tensors (``KerasTensor``) are only looked for when the backend function has
failed, which it always does on one (``KerasTensor.__array__`` raises): then
the op is traced on placeholders and recorded as a node of the Functional
graph (``cornu.ops._symbolic``), inside a ``cornu.SymbolicScope``.

A front module lists its names: ``dir(module)`` is every name of the backend's
surface it binds (the ops of ``cornu.backend_spec`` the backend has, and any
public function a backend namespace defines besides), and ``module.__all__``
(computed on first access, which binds the backend) is its ops, so that
``from cornu.ops import *`` imports every op.  The backend plumbing the spec
also lists (``make_variable``, ``assign``, ``compute_op_spec``...) is in
``dir`` but not in ``__all__``.
"""
import inspect
import sys

_FRONTS = {}  # (backend, namespace, name) -> front function, shared by cornu.ops and its namespaces

#: Names the spec lists in the op namespaces that are backend plumbing, not ops: they
#: resolve (and ``dir`` shows them), but ``from cornu.ops import *`` does not import them.
PLUMBING = frozenset({
    "make_variable", "set_trainable", "assign", "assign_add", "assign_sub",
    "compute_output_spec", "compute_op_spec", "device_name", "init_scope", "device_scope",
    "traceback_excluded_paths", "unwrap_exception", "remat",
    "make_default_seed", "set_global_seed", "get_global_state", "set_global_state",
    "draw_seed", "global_seed_generator",
})


def surface_names(backend_modules):
    """The names a front over the backend namespaces ``backend_modules`` binds: the
    spec's functions and classes of those namespaces that the backend has, and the
    public functions and classes the namespaces define that the spec does not list."""
    from cornu import backend_spec
    from cornu.backend import get_backend

    backend = get_backend()
    names = set()
    for sub in backend_modules:
        namespace = getattr(backend, sub, None)
        if namespace is None:
            continue
        names.update(n for n in backend_spec.op_names(sub) if hasattr(namespace, n))
        names.update(backend_spec._own_functions(namespace))
    return names


def bind_front(module_name, backend_modules, symbolic=None, submodules=()):
    """``__getattr__`` for a front module; ``symbolic`` (default: the ``cornu.ops``
    fronts) wraps the backend's functions so that they accept symbolic tensors.
    It also gives the module its ``__dir__`` and its ``__all__`` (see the module
    docstring); ``submodules`` are names of the front's own subpackages (the
    ``cornu.ops`` namespaces) that both list."""
    module = sys.modules[module_name]
    if symbolic is None:
        symbolic = module_name == "cornu.ops" or module_name.startswith("cornu.ops.")
    submodules = tuple(submodules)

    def __getattr__(name):
        if name.startswith("__"):
            if name == "__all__":
                names = sorted(surface_names(backend_modules) - PLUMBING) + list(submodules)
                module.__all__ = names
                return names
            raise AttributeError(name)
        from cornu.backend import get_backend

        backend = get_backend()
        for sub in backend_modules:
            namespace = getattr(backend, sub)
            fn = getattr(namespace, name, None)
            if fn is not None:
                if symbolic and not name.startswith("_") and inspect.isfunction(fn):
                    fn = front_function(backend.NAME, sub, name, fn)
                setattr(module, name, fn)
                return fn
        raise AttributeError(
            f"{module_name}.{name} does not exist (backend {backend.NAME!r})"
        )

    def __dir__():
        own = {n for n in vars(module) if not n.startswith("_")}
        return sorted(own | surface_names(backend_modules) | set(submodules))

    module.__dir__ = __dir__
    return __getattr__


def front_function(backend_name, namespace, name, fn):
    """The symbolic-aware front of backend function ``fn`` (built once per name)."""
    key = (backend_name, namespace, name)
    front = _FRONTS.get(key)
    if front is None:
        front = _make_front(fn, (namespace, name))
        _FRONTS[key] = front
    return front


def _make_front(fn, key):
    from cornu.symbolic import any_symbolic

    env = {"_cornu_fn": fn, "_cornu_key": key, "_cornu_any": any_symbolic,
           "_cornu_symbolic": _symbolic_call}
    source = _front_source(fn, env)
    exec(compile(source, f"<cornu.ops front of {fn.__module__}.{fn.__name__}>", "exec"), env)
    front = env["_cornu_front"]
    front.__name__ = key[1]
    front.__qualname__ = key[1]
    front.__doc__ = fn.__doc__
    front.__module__ = f"cornu.ops.{key[0]}"  # where pickle (and help) find it
    front.__wrapped__ = fn  # inspect.signature and help() show the backend function's
    front._cornu_op = key
    return front


def _symbolic_call(key, fn, args, kwargs):
    """The op on symbolic tensors (``cornu.ops._symbolic``), in a ``SymbolicScope``."""
    from cornu.ops._symbolic import symbolic_call
    from cornu.scopes import SymbolicScope

    with SymbolicScope():
        return symbolic_call(key, fn, args, kwargs)


def _front_source(fn, env):
    """Source of ``_cornu_front``: same parameters as ``fn``, forwarded as they came."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = None
    if params is None or any(p.name.startswith("_cornu_") for p in params):
        decl, pos, kw = "*args, **kwargs", "*args", "**kwargs"
        sym_args, sym_kwargs = "args", "kwargs"
    else:
        decl_parts, pos_parts, kw_parts = [], [], []
        star_done = False
        for i, p in enumerate(params):
            default = ""
            if p.default is not inspect.Parameter.empty:
                env[f"_cornu_d{i}"] = p.default
                default = f"=_cornu_d{i}"
            if p.kind is p.POSITIONAL_ONLY:
                decl_parts.append(p.name + default)
                pos_parts.append(p.name)
                if i + 1 == len(params) or params[i + 1].kind is not p.POSITIONAL_ONLY:
                    decl_parts.append("/")
            elif p.kind is p.POSITIONAL_OR_KEYWORD:
                decl_parts.append(p.name + default)
                pos_parts.append(p.name)
            elif p.kind is p.VAR_POSITIONAL:
                decl_parts.append("*" + p.name)
                pos_parts.append("*" + p.name)
                star_done = True
            elif p.kind is p.KEYWORD_ONLY:
                if not star_done:
                    decl_parts.append("*")
                    star_done = True
                decl_parts.append(p.name + default)
                kw_parts.append(f"{p.name}={p.name}")
            else:  # VAR_KEYWORD
                decl_parts.append("**" + p.name)
                kw_parts.append("**" + p.name)
        decl = ", ".join(decl_parts)
        pos = ", ".join(pos_parts)
        kw = ", ".join(kw_parts)
        sym_args = "(" + pos + ("," if pos_parts else "") + ")"
        sym_kwargs = "dict(" + kw + ")"
    call = ", ".join(part for part in (pos, kw) if part)
    return (
        f"def _cornu_front({decl}):\n"
        f"    try:\n"
        f"        return _cornu_fn({call})\n"
        f"    except Exception:\n"
        f"        if not _cornu_any({sym_args}, {sym_kwargs}):\n"
        f"            raise\n"
        f"    return _cornu_symbolic(_cornu_key, _cornu_fn, {sym_args}, {sym_kwargs})\n"
    )
