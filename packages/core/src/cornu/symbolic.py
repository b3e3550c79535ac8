"""Symbolic tensors and the op graph used to build Functional models.

A ``KerasTensor`` carries a shape (``None`` for unknown dimensions, usually
the batch) and a dtype, and remembers which layer call produced it
(``_keras_history = (layer, node_index, tensor_index)``).  Each symbolic layer
call records a ``Node``; a Functional model is the graph of nodes between its
inputs and outputs.

``Operation`` (``keras.Operation``) is the base of what a graph node calls: cornu's
layers and its op nodes are Operations (``isinstance(cornu.layers.Dense(2),
cornu.Operation)``), and a subclass with ``call`` (and ``compute_output_spec``) is a
custom op that works on tensors and on symbolic tensors.  ``Function``
(``keras.Function``) is the graph between symbolic inputs and outputs, called on real
tensors: a Functional model without weights tracking and without the Layer API.
"""
import abc
import sys

from cornu import backend as _backend
from cornu import naming, tree
from cornu import scopes as _scopes
from cornu.dtypes import BITS as _DTYPE_NAMES


class KerasTensor:
    """A placeholder with a shape and dtype, produced by ``cornu.Input`` or a layer call."""

    def __init__(self, shape, dtype="float32", sparse=False, name=None, ragged=False):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        if dtype is not None and (type(dtype) is not str or dtype not in _DTYPE_NAMES):
            # A framework or numpy dtype (``KerasTensor(x.shape, x.dtype)`` of a torch
            # tensor), a Python type or an alias: its Keras name, as Keras stores.
            dtype = _backend.standardize_dtype(dtype)
        self.dtype = dtype
        self.sparse = sparse
        # Keras's flag for a ragged placeholder (``Input(ragged=True)``, TensorFlow only).
        self.ragged = bool(ragged)
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


# -- Operation and Function (keras.Operation, keras.Function) ------------------------------
def _subclass_of(cls, module_name, attr):
    module = sys.modules.get(module_name)  # not imported: no instance of it can exist
    klass = getattr(module, attr, None) if module is not None else None
    return klass is not None and issubclass(cls, klass)


class Operation(metaclass=abc.ABCMeta):  # noqa: B024  (an ABC for its virtual subclasses)
    """The base class of the operations a graph is made of (``keras.Operation``).

    Calling an operation on tensors runs ``call``; calling it on symbolic tensors
    (``KerasTensor``) runs ``compute_output_spec`` (by default: ``call`` traced on
    placeholders) and records a node of the graph, so that a ``cornu.Function`` or a
    Functional model built on its outputs runs it.

    ``cornu.Layer`` and cornu's op nodes (what a ``cornu.ops`` call on symbolic tensors
    records) are Operations too: ``isinstance(layer, cornu.Operation)`` holds, while
    Layer's own bases (the backend's ``torch.nn.Module`` / TensorFlow trackable) are
    left alone (they are virtual subclasses).

    Args:
        name: the operation's name (default: unique, from the class name).
    """

    def __init__(self, name=None):
        if name is None:
            name = naming.uniquify(naming.to_snake_case(type(self).__name__))
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name} (of type {type(name)})")
        self.name = name
        self._inbound_nodes = []
        self._outbound_nodes = []

    @classmethod
    def __subclasshook__(cls, klass):
        if cls is Operation and (_subclass_of(klass, "cornu.layer", "Layer")
                                 or _subclass_of(klass, "cornu.ops._symbolic", "Operation")):
            return True
        return NotImplemented

    def __call__(self, *args, **kwargs):
        if any_symbolic(args, kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args, **kwargs):
        """The symbolic outputs for symbolic inputs, recorded as a node of the graph."""
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, call_args=args, call_kwargs=kwargs, outputs=outputs)
        return outputs

    def call(self, *args, **kwargs):
        raise NotImplementedError(
            f"Operation {type(self).__name__} does not implement call()")

    def compute_output_spec(self, *args, **kwargs):
        """The output ``KerasTensor``s: ``call`` traced on placeholders of the inputs."""
        try:
            with _scopes.SymbolicScope():
                return _backend.get_backend().core.compute_output_spec(
                    self.call, *args, **kwargs)
        except Exception as e:
            raise type(e)(
                "Could not automatically infer the output shape / dtype of "
                f"'{self.name}' (of type {type(self).__name__}). Either the "
                f"`{type(self).__name__}.call()` method is incorrect, or you need to "
                f"implement the `{type(self).__name__}.compute_output_spec() / "
                f"compute_output_shape()` method. Error encountered:\n\n{e}"
            ).with_traceback(e.__traceback__) from None

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<Operation name={self.name}>"

    @property
    def input(self):
        """The symbolic input(s) of the operation's first symbolic call."""
        return self._node_attribute(0, "input_tensors", "input")

    @property
    def output(self):
        """The symbolic output(s) of the operation's first symbolic call."""
        return self._node_attribute(0, "outputs", "output")

    def _node_attribute(self, node_index, attr, attr_name):
        if not self._inbound_nodes:
            raise AttributeError(
                f"The layer {self.name} has never been called and thus has no defined "
                f"{attr_name}.")
        if not len(self._inbound_nodes) > node_index:
            raise ValueError(
                f"Asked to get {attr_name} at node {node_index}, but the operation has "
                f"only {len(self._inbound_nodes)} inbound nodes.")
        values = getattr(self._inbound_nodes[node_index], attr)
        return values[0] if isinstance(values, list) and len(values) == 1 else values


class Function(Operation):
    """The computation between symbolic inputs and outputs (``keras.Function``).

    Built from ``KerasTensor`` inputs (``cornu.KerasTensor(shape)`` or ``cornu.Input``)
    and the outputs of ``cornu.ops`` calls, layer calls and ``Operation`` calls on
    them; calling it on tensors (or numpy arrays) of the inputs' structure reruns that
    computation on them.  Unlike a Functional model it tracks no weights and has no
    Layer API (the layers in it keep their own).  A Functional model is a Function
    (``isinstance(model, cornu.Function)``).

    Example::

        a = cornu.KerasTensor((None, 2, 3))
        b = cornu.KerasTensor((None, 2, 3))
        fn = cornu.Function(inputs=[a, b], outputs=cornu.ops.sigmoid(a + b))
        fn([np.ones((4, 2, 3)), np.ones((4, 2, 3))])

    Args:
        inputs: a ``KerasTensor`` or a nested structure of them.
        outputs: a ``KerasTensor`` or a nested structure of them, computable from
            ``inputs`` alone.
        name: the function's name.
    """

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name=name)
        self._inputs_struct = tree.map_structure(lambda x: x, inputs)
        self._outputs_struct = tree.map_structure(lambda x: x, outputs)
        self._inputs = tree.flatten(inputs)
        self._outputs = tree.flatten(outputs)
        if not self._inputs:
            raise ValueError(
                f"`inputs` argument cannot be empty. Received:\ninputs={inputs}\n"
                f"outputs={outputs}")
        if not self._outputs:
            raise ValueError(
                f"`outputs` argument cannot be empty. Received:\ninputs={inputs}\n"
                f"outputs={outputs}")
        for where, tensors in (("inputs", self._inputs), ("outputs", self._outputs)):
            for t in tensors:
                if not isinstance(t, KerasTensor):
                    raise ValueError(
                        f"Function '{self.name}': every element of `{where}` must be a "
                        f"symbolic KerasTensor; received {t!r}")
        self._nodes, self._operations = _map_graph(self._inputs, self._outputs)

    @classmethod
    def __subclasshook__(cls, klass):
        if cls is Function and _subclass_of(klass, "cornu.models.functional", "Functional"):
            return True
        return NotImplemented

    @property
    def operations(self):
        """The operations of the graph (layers, op nodes, Operations), inputs first."""
        return self._operations[:]

    @property
    def inputs(self):
        """The flat list of the symbolic inputs."""
        return self._inputs

    @property
    def outputs(self):
        """The flat list of the symbolic outputs."""
        return self._outputs

    def call(self, inputs):
        """The outputs for new ``inputs`` (the structure of the symbolic inputs)."""
        self._assert_input_compatibility(inputs)
        return self._run_through_graph(inputs)

    def compute_output_spec(self, inputs):
        self._assert_input_compatibility(inputs)
        if all(tuple(x.shape) == tuple(ref.shape) for x, ref in
               zip(tree.flatten(inputs), self._inputs)):
            return tree.map_structure(lambda x: KerasTensor(x.shape, dtype=x.dtype),
                                      self._outputs_struct)
        with _scopes.SymbolicScope():
            return self._run_through_graph(inputs, spec=True)

    def compute_output_shape(self, input_shape):
        specs = tree.map_shape_structure(lambda shape: KerasTensor(shape), input_shape)
        for x, ref in zip(tree.flatten(specs), self._inputs):
            x.dtype, x.sparse = ref.dtype, ref.sparse
        return tree.map_structure(lambda x: x.shape, self.compute_output_spec(specs))

    def _run_through_graph(self, inputs, spec=False):
        values = {id(ref): x for ref, x in zip(self._inputs, tree.flatten(inputs))}

        def fill(a):
            return values[id(a)] if isinstance(a, KerasTensor) and id(a) in values else a

        for node in self._nodes:
            args = tree.map_structure(fill, node.call_args)
            kwargs = tree.map_structure(fill, node.call_kwargs)
            operation = node.operation
            if spec:
                outputs = _spec_of(operation, args, kwargs)
            else:
                outputs = operation(*args, **kwargs)
            for ref, value in zip(node.outputs, tree.flatten(outputs)):
                values[id(ref)] = value
        return tree.pack_sequence_as(self._outputs_struct,
                                     [values[id(t)] for t in self._outputs])

    def _assert_input_compatibility(self, inputs):
        try:
            tree.assert_same_structure(inputs, self._inputs_struct)
        except (ValueError, TypeError):
            raise ValueError(
                "Function was called with an invalid input structure. Expected input "
                f"structure: {self._inputs_struct}\nReceived input structure: {inputs}"
            ) from None
        for x, ref in zip(tree.flatten(inputs), self._inputs):
            shape = tuple(getattr(x, "shape", ()))
            if len(shape) != len(ref.shape) or any(
                    d is not None and r is not None and d != r
                    for d, r in zip(shape, ref.shape)):
                raise ValueError(
                    f"{type(self).__name__} was passed incompatible inputs. For input "
                    f"'{ref.name}', expected shape {ref.shape}, but received instead a "
                    f"tensor with shape {shape}.")

    def get_config(self):
        raise NotImplementedError(
            "A cornu.Function is not serializable; save a Functional model "
            "(cornu.Model(inputs, outputs)) instead")

    def __repr__(self):
        return f"<Function name={self.name}>"


def _spec_of(operation, args, kwargs):
    """The output ``KerasTensor``s of one node's operation, recording no node."""
    op_node = sys.modules.get("cornu.ops._symbolic")
    if op_node is not None and isinstance(operation, op_node.Operation):
        fn = getattr(operation.front, "__wrapped__", operation.front)
        return _backend.get_backend().core.compute_op_spec(
            fn, args, {**operation.config, **kwargs})
    return operation.compute_output_spec(*args, **kwargs)


def _map_graph(inputs, outputs):
    """``(nodes, operations)``: the nodes between ``inputs`` and ``outputs`` in an order
    that computes every node's inputs first, and their operations (each once)."""
    input_ids = {id(t) for t in inputs}
    order = []
    done = set()
    in_progress = set()

    def visit(tensor):
        if id(tensor) in input_ids:
            return
        history = tensor._keras_history
        if history is None:
            raise ValueError(
                f"Graph disconnected: cannot find parent for tensor {tensor}: it is not "
                "among the inputs, and no operation produced it")
        operation, node_index, _ = history
        node = operation._inbound_nodes[node_index]
        if id(node) in done:
            return
        if id(node) in in_progress:
            raise ValueError(
                f"Tensor {tensor} from operation '{operation.name}' is part of a cycle.")
        if node.is_input:
            raise ValueError(
                f"Graph disconnected: cannot find parent for tensor {tensor}: it is the "
                f"input '{operation.name}', which is not among the inputs")
        in_progress.add(id(node))
        for t in node.input_tensors:
            visit(t)
        in_progress.discard(id(node))
        done.add(id(node))
        order.append(node)

    for t in outputs:
        visit(t)
    operations = []
    for t in inputs:
        history = t._keras_history
        if history is not None and history[0]._inbound_nodes[history[1]].is_input:
            if not any(history[0] is o for o in operations):
                operations.append(history[0])
    for node in order:
        if not any(node.operation is o for o in operations):
            operations.append(node.operation)
    return order, operations
