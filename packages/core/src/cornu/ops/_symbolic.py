"""``cornu.ops`` on symbolic tensors: op nodes of a Functional graph.

A ``cornu.ops`` function called with a ``KerasTensor`` (see ``_front``) ends
up in :func:`symbolic_call`: the backend function is traced on placeholders of
the inputs' shapes and dtypes (``backend.core.compute_op_spec``: a TensorFlow
graph with ``None`` dimensions, or torch meta tensors), and the call is
recorded as an :class:`Operation` node so that a Functional model runs it.

An ``Operation`` serializes the Keras 3 way: the tensor arguments are the
node's ``args``, the non-tensor arguments after the last tensor argument are
the op's ``config``; the record names the op by its Keras class
(``{"module": "keras.src.ops.numpy", "class_name": "Sum", ...}``), so cornu
reads the op nodes of Keras files and Keras reads cornu's.
"""
import functools
import importlib
import inspect

import numpy as np

from cornu import naming, tree
from cornu.symbolic import KerasTensor, Node

NAMESPACES = ("core", "numpy", "nn", "math", "linalg", "image")

# Ops answered from the symbolic tensor itself, without a node (as in Keras).
_STATIC = {
    "shape": lambda x: tuple(x.shape),
    "dtype": lambda x: x.dtype,
    "ndim": lambda x: len(x.shape),
    "is_tensor": lambda x: False,
}

# Ops that read values: meaningless on a placeholder.
_VALUE_OPS = frozenset({"convert_to_numpy"})

# Backend functions that are not ops: a file may never name them.
_NOT_OPS = frozenset({
    "make_variable", "set_trainable", "assign", "assign_add", "assign_sub",
    "convert_to_numpy", "device_name", "compute_output_spec", "compute_op_spec",
    "custom_gradient", "vectorize",
})


def symbolic_call(key, fn, args, kwargs, op=None):
    """Outputs of ``fn(*args, **kwargs)`` for symbolic inputs, recorded as a graph node.

    ``key`` is ``(namespace, name)``: where the op lives in ``cornu.ops``.
    ``op`` reuses an existing :class:`Operation` (a model being rebuilt from its config).
    """
    namespace, name = key
    static = _STATIC.get(name)
    if static is not None and args and isinstance(args[0], KerasTensor):
        return static(args[0])
    if name in _VALUE_OPS:
        raise ValueError(
            f"cornu.ops.{name}: a symbolic KerasTensor has no value; it is a placeholder "
            "used to build a Functional model. Call the model on real arrays instead."
        )
    from cornu.backend import get_backend

    try:
        outputs = get_backend().core.compute_op_spec(fn, args, kwargs)
    except Exception as err:
        raise _spec_error(name, args, kwargs, err) from err
    if not any(isinstance(t, KerasTensor) for t in tree.flatten(outputs)):
        return outputs  # a python value (a shape, a dtype): nothing to record
    if op is None:
        op = Operation(namespace, name)
    node_args, node_kwargs = op._bind(fn, args, kwargs)
    outputs = tree.map_structure(
        lambda t: KerasTensor(t.shape, dtype=t.dtype) if isinstance(t, KerasTensor) else t,
        outputs,
    )
    Node(op, call_args=node_args, call_kwargs=node_kwargs, outputs=outputs)
    return outputs


def _spec_error(name, args, kwargs, err):
    specs = [f"{t.shape} {t.dtype}" for t in tree.flatten([list(args), kwargs])
             if isinstance(t, KerasTensor)]
    message = (
        f"cornu.ops.{name} cannot be applied to the symbolic inputs of shapes/dtypes "
        f"{', '.join(specs)}: {type(err).__name__}: {err}"
    )
    return (TypeError if isinstance(err, TypeError) else ValueError)(message)


def _has_symbolic(value):
    return any(isinstance(t, KerasTensor) for t in tree.flatten(value))


# Parameter names that hold tensors in cornu.ops signatures.
_TENSOR_PARAMS = frozenset({"x", "x1", "x2", "x3", "y", "a", "b", "condition", "inputs",
                            "xs", "elements", "target", "output", "indices", "values",
                            "updates", "tensor", "operand", "key"})


@functools.lru_cache(maxsize=None)
def _signature(fn):
    return inspect.signature(fn)


def keras_class_name(fn_name):
    """Keras's class name of an op: ``expand_dims`` -> ``ExpandDims``."""
    return "".join(part[:1].upper() + part[1:] for part in fn_name.split("_"))


class Operation:
    """One call of a ``cornu.ops`` function on symbolic tensors (a Functional graph node).

    Args:
        namespace: the ``cornu.ops`` namespace of the op (``"numpy"``, ``"nn"``, ...).
        fn_name: the op's name in that namespace (``"sum"``).
        config: the op's non-tensor arguments, by parameter name.
        name: the node's unique name (default: ``fn_name``, ``fn_name_1``, ...).
    """

    _call_has_training = False
    built = True  # what model.summary() reads: an op has no weights
    trainable = False

    def count_params(self):
        return 0

    @property
    def class_name(self):
        return keras_class_name(self.fn_name)

    def __init__(self, namespace, fn_name, config=None, name=None):
        self.namespace = namespace
        self.fn_name = fn_name
        self.config = dict(config or {})
        self.name = name or naming.uniquify(fn_name)
        self._inbound_nodes = []
        self._outbound_nodes = []

    @property
    def front(self):
        """The public ``cornu.ops`` function (symbolic-aware)."""
        return getattr(importlib.import_module(f"cornu.ops.{self.namespace}"), self.fn_name)

    def __call__(self, *args, **kwargs):
        kwargs = {**self.config, **kwargs}
        backend_fn = getattr(self.front, "__wrapped__", self.front)
        if any(_has_symbolic(a) for a in (args, kwargs)):
            return symbolic_call((self.namespace, self.fn_name), backend_fn, args, kwargs, op=self)
        return backend_fn(*args, **kwargs)

    def _bind(self, fn, args, kwargs):
        """Split a call into the node's (tensor) arguments and the op's config."""
        try:
            sig = _signature(fn)
            bound = sig.bind(*args, **kwargs)
        except (TypeError, ValueError):
            self.config = {}
            return tuple(args), dict(kwargs)
        bound.apply_defaults()
        params = list(sig.parameters.values())
        values = bound.arguments
        # Node arguments run up to the last tensor argument (or the last required
        # tensor-named parameter: ``add(x, 2.0)`` keeps 2.0 as an argument, as Keras).
        last = -1
        for i, p in enumerate(params):
            value = values.get(p.name)
            if (_has_symbolic(value) or (p.kind is p.VAR_POSITIONAL and value)
                    or (p.name in _TENSOR_PARAMS and p.default is p.empty)):
                last = i
        node_args, node_kwargs, config = [], {}, {}
        for i, p in enumerate(params):
            if p.name not in values:
                continue
            value = values[p.name]
            if p.kind is p.VAR_POSITIONAL:
                node_args.extend(value)
            elif p.kind is p.VAR_KEYWORD:
                node_kwargs.update(value)
            elif i > last and p.kind is not p.POSITIONAL_ONLY:
                config[p.name] = value
            elif p.kind is p.KEYWORD_ONLY:
                node_kwargs[p.name] = value
            else:
                node_args.append(value)
        self.config = config
        return tuple(node_args), node_kwargs

    def bound_call(self):
        """The op with the config applied: what a Functional model runs (the public,
        symbolic-aware function, so that ``clone_model`` can replay it on new inputs)."""
        return functools.partial(self.front, **self.config) if self.config else self.front

    # -- serialization (the Keras 3 record of an op) ------------------------------
    def get_config(self):
        config = {"name": self.name}
        for key, value in self.config.items():
            config[key] = serialize_value(value, where=f"op '{self.name}' argument {key!r}")
        return config

    def serialize(self):
        class_name = self.class_name
        return {
            "module": f"keras.src.ops.{self.namespace}",
            "class_name": class_name,
            "config": self.get_config(),
            "registered_name": class_name,
        }

    @classmethod
    def from_record(cls, record):
        """Rebuild from a record written by cornu or by Keras 3 (``is_op_record``)."""
        module = record.get("module") or ""
        namespace = module.rsplit(".", 1)[-1]
        class_name = record.get("registered_name") or record["class_name"]
        namespace, fn_name = _find_op(namespace, class_name)
        config = dict(record.get("config") or {})
        name = config.pop("name", None) or record.get("name")
        # Shapes and axes come back as lists from JSON; the ops take them as tuples.
        config = {k: _tuples(deserialize_value(v)) for k, v in config.items()}
        return cls(namespace, fn_name, config=config, name=name)

    def __repr__(self):
        return f"<Operation {self.namespace}.{self.fn_name} name={self.name}>"


def _tuples(value):
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def is_op_record(record):
    module = record.get("module") or ""
    return module.startswith("keras.src.ops.") or module.startswith("cornu.ops")


def _op_names(namespace):
    from cornu.backend import get_backend

    module = getattr(get_backend(), namespace)
    names = {}
    for attr in dir(module):
        if attr.startswith("_") or attr in _NOT_OPS:
            continue
        fn = getattr(module, attr)
        if inspect.isfunction(fn) and (fn.__module__ or "").startswith("cornu."):
            names[attr.replace("_", "").lower()] = attr
    return names


def _find_op(namespace, class_name):
    """``(namespace, function name)`` of a Keras op class name (``ExpandDims``)."""
    wanted = class_name.replace("_", "").lower()
    order = [namespace] if namespace in NAMESPACES else []
    order += [n for n in NAMESPACES if n not in order]
    for ns in order:
        found = _op_names(ns).get(wanted)
        if found is not None:
            return ns, found
    raise ValueError(
        f"Unknown op {class_name!r} (module {namespace!r}) in a model config: cornu.ops has "
        "no function of that name"
    )


# -- values in op configs and node arguments ---------------------------------------
def serialize_value(value, where="value"):
    """JSON-able form of an op argument (Keras 3's markers for slices and arrays)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {
            "start": serialize_value(value.start, where),
            "stop": serialize_value(value.stop, where),
            "step": serialize_value(value.step, where)}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, (list, tuple)):  # JSON lists, as Keras writes them
        return [serialize_value(v, where) for v in value]
    if isinstance(value, dict):
        return {k: serialize_value(v, where) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__",
                "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if hasattr(value, "shape") and hasattr(value, "dtype") and not callable(value):
        from cornu import ops

        array = np.asarray(ops.convert_to_numpy(value))
        return {"class_name": "__tensor__",
                "config": {"value": array.tolist(), "dtype": ops.standardize_dtype(value.dtype)}}
    if isinstance(value, np.dtype) or type(value).__name__ in ("DType", "dtype"):
        return str(getattr(value, "name", value))
    raise TypeError(
        f"Cannot serialize {where}: {value!r} of type {type(value).__name__} (a function "
        "or an object cannot be saved in a model config)"
    )


def deserialize_value(value):
    if isinstance(value, list):
        return [deserialize_value(v) for v in value]
    if isinstance(value, dict):
        marker = value.get("class_name")
        config = value.get("config", {})
        if marker == "__slice__":
            return slice(deserialize_value(config.get("start")),
                         deserialize_value(config.get("stop")),
                         deserialize_value(config.get("step")))
        if marker == "__ellipsis__":
            return Ellipsis
        if marker == "__tuple__":
            return tuple(deserialize_value(v) for v in config["value"])
        if marker in ("__numpy__", "__tensor__"):
            array = np.asarray(config["value"], dtype=config.get("dtype"))
            if marker == "__numpy__":
                return array
            from cornu import ops

            return ops.convert_to_tensor(array)
        return {k: deserialize_value(v) for k, v in value.items()}
    return value
