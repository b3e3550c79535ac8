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
graph (``cornu.ops._symbolic``).
"""
import inspect
import sys

_FRONTS = {}  # (backend, namespace, name) -> front function, shared by cornu.ops and its namespaces


def bind_front(module_name, backend_modules, symbolic=None):
    """``__getattr__`` for a front module; ``symbolic`` (default: the ``cornu.ops``
    fronts) wraps the backend's functions so that they accept symbolic tensors."""
    module = sys.modules[module_name]
    if symbolic is None:
        symbolic = module_name == "cornu.ops" or module_name.startswith("cornu.ops.")

    def __getattr__(name):
        if name.startswith("__"):
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
    from cornu.ops._symbolic import symbolic_call
    from cornu.symbolic import any_symbolic

    env = {"_cornu_fn": fn, "_cornu_key": key, "_cornu_any": any_symbolic,
           "_cornu_symbolic": symbolic_call}
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
