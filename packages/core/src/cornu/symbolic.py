"""Symbolic tensors and the op graph used to build Functional models.

A ``KerasTensor`` carries a shape (``None`` for unknown dimensions, usually
the batch) and a dtype, and remembers which layer call produced it
(``_keras_history = (layer, node_index, tensor_index)``).  Each symbolic layer
call records a ``Node``; a Functional model is the graph of nodes between its
inputs and outputs.
"""
from cornu import backend as _backend
from cornu import tree


class KerasTensor:
    """A placeholder with a shape and dtype, produced by ``cornu.Input`` or a layer call."""

    def __init__(self, shape, dtype="float32", sparse=False, name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.sparse = sparse
        self.name = name
        self._keras_history = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise ValueError(
            "A symbolic KerasTensor has no value: it is a placeholder used to "
            "build a Functional model. Pass real arrays to the model instead."
        )

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a Python bool")

    def __hash__(self):
        return id(self)

    # Python operators build op nodes, as the same ``cornu.ops`` calls would.
    __array_ufunc__ = None  # ``ndarray + KerasTensor`` defers to ``__radd__``

    def __int__(self):
        raise TypeError("A symbolic KerasTensor cannot be converted to a Python int")

    def __float__(self):
        raise TypeError("A symbolic KerasTensor cannot be converted to a Python float")

    def __iter__(self):
        if not self.shape or self.shape[0] is None:
            raise TypeError(
                f"Cannot iterate over a symbolic KerasTensor of shape {self.shape}: the "
                "first dimension must be known"
            )
        return (self[i] for i in range(self.shape[0]))

    def reshape(self, newshape):
        return _ops().reshape(self, newshape)

    def squeeze(self, axis=None):
        return _ops().squeeze(self, axis=axis)

    def __getitem__(self, key):
        return _ops().get_item(self, key)

    def __round__(self, ndigits=None):
        return _ops().round(self, decimals=ndigits or 0)

    def __neg__(self):
        return _ops().negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops().absolute(self)

    def __invert__(self):
        return _ops().logical_not(self) if self.dtype == "bool" else _ops().bitwise_invert(self)


def _ops():
    from cornu import ops

    return ops


def _binary(op_name, reflected=False):
    def method(self, other):
        fn = getattr(_ops(), op_name)
        return fn(other, self) if reflected else fn(self, other)

    method.__name__ = op_name
    return method


for _name, _op in (
    ("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("matmul", "matmul"),
    ("truediv", "true_divide"), ("div", "true_divide"), ("floordiv", "floor_divide"),
    ("mod", "mod"), ("pow", "power"), ("and", "logical_and"), ("or", "logical_or"),
    ("xor", "logical_xor"),
):
    setattr(KerasTensor, f"__{_name}__", _binary(_op))
    setattr(KerasTensor, f"__r{_name}__", _binary(_op, reflected=True))
for _name, _op in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                   ("ge", "greater_equal"), ("ne", "not_equal")):
    setattr(KerasTensor, f"__{_name}__", _binary(_op))
del _name, _op

# ``cornu.backend.is_keras_tensor`` (``keras.backend.is_keras_tensor``) answers for this
# class without importing this module: cornu.backend is a leaf of the import graph.
_backend._keras_tensor_types = (KerasTensor,)


def is_symbolic(x):
    return isinstance(x, KerasTensor)


def any_symbolic(args, kwargs=None):
    for x in tree.flatten(args):
        if isinstance(x, KerasTensor):
            return True
    if kwargs:
        for x in tree.flatten(list(kwargs.values())):
            if isinstance(x, KerasTensor):
                return True
    return False


class Node:
    """One call of ``operation`` on symbolic arguments, producing ``outputs``."""

    def __init__(self, operation, call_args=(), call_kwargs=None, outputs=None):
        self.operation = operation
        self.call_args = call_args
        self.call_kwargs = call_kwargs or {}
        self.outputs = tree.flatten(outputs) if outputs is not None else []
        self.input_tensors = [
            x for x in tree.flatten([call_args, self.call_kwargs]) if isinstance(x, KerasTensor)
        ]
        node_index = len(operation._inbound_nodes)
        operation._inbound_nodes.append(self)
        for i, t in enumerate(self.outputs):
            t._keras_history = (operation, node_index, i)
        for t in self.input_tensors:
            if t._keras_history is not None:
                t._keras_history[0]._outbound_nodes.append(self)

    @property
    def is_input(self):
        return not self.input_tensors

    @property
    def parent_nodes(self):
        parents = []
        for t in self.input_tensors:
            if t._keras_history is not None:
                op, node_index, _ = t._keras_history
                parents.append(op._inbound_nodes[node_index])
        return parents


def get_source_inputs(tensor):
    """The ``Input`` tensors that ``tensor`` is computed from (``keras.utils.get_source_inputs``):
    a list, each once, in the order first met walking back through the layers that
    produced it.  A tensor without a history is returned as it is."""
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return tensor if not isinstance(tensor, KerasTensor) else [tensor]
    operation, node_index, _ = history
    nodes = getattr(operation, "_inbound_nodes", None)
    if not nodes:
        return [tensor]
    node = nodes[node_index]
    if not node.input_tensors:  # an input node: the walk stops here
        return list(node.outputs)
    sources = []
    for x in node.input_tensors:
        for source in get_source_inputs(x):
            if all(source is not s for s in sources):
                sources.append(source)
    return sources
