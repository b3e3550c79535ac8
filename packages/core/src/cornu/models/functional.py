"""Functional models: a graph of layer calls between symbolic inputs and outputs."""
import numpy as np

from cornu import tree
from cornu.layer import Layer, attach_mask, set_keras_mask
from cornu.models._keras_order import keras_operation_order
from cornu.models.input_layer import InputLayer
from cornu.models.model import Model
from cornu.ops._symbolic import Operation, deserialize_value, is_op_record, serialize_value
from cornu.symbolic import KerasTensor


class Functional(Model):
    """A model defined by ``cornu.Model(inputs, outputs)``.

    ``inputs`` and ``outputs`` may be single tensors, lists or dicts of tensors
    returned by ``cornu.Input`` and layer calls.
    """

    def __new__(cls, *args, **kwargs):
        return Layer.__new__(cls)

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        for t in tree.flatten(inputs):
            if not isinstance(t, KerasTensor) or t._keras_history is None:
                raise ValueError(
                    f"Functional model '{self.name}': every input must be a tensor returned "
                    f"by cornu.Input, received {t!r}"
                )
        for t in tree.flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    f"Functional model '{self.name}': every output must be a symbolic tensor "
                    f"produced by layer calls, received {t!r}"
                )
        if isinstance(inputs, dict):
            self._input_names = list(inputs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._single_output_list = isinstance(outputs, (list, tuple)) and len(outputs) == 1
        self.inputs = tree.flatten(inputs)
        self.outputs = tree.flatten(outputs)
        self._plan, operations, nodes = _build_plan(self.inputs, self.outputs)
        self._node_ids = {id(n) for n in nodes}
        self._tracking = False  # (tracking would list the layers in call order)
        self._operations = operations  # layers and op nodes (cornu.ops calls), in order
        # ``layers`` in Keras's order (depth, then discovery): get_weights, the
        # optimizer's slots and the weight paths of saved files follow it.
        for layer in keras_operation_order(self.inputs, self.outputs):
            if isinstance(layer, Operation):
                continue  # op nodes are no layers: no weights, not in ``model.layers``
            self._track(layer)  # once each (also names it for the backend's base)
        self._tracking = True
        self.built = True
        self._build_shapes = tree.map_structure(lambda t: t.shape, inputs)
        self._single_io = (
            isinstance(inputs, KerasTensor) or (isinstance(inputs, (list, tuple)) and len(inputs) == 1)
        )
        # What ``_standardize_inputs`` needs on every call, computed once.
        self._input_ranks = tuple(len(t.shape) for t in self.inputs)
        self._flat_input_names = [t.name for t in self.inputs]
        self._one_input = len(self.inputs) == 1 and not isinstance(inputs, dict)
        # A dict of inputs also takes a list in its sorted-key order (Keras 3's rule).
        self._dict_takes_list = isinstance(inputs, dict) and list(inputs) == sorted(inputs)
        # Keras 3: the names of the layers that produce the outputs, in the outputs' order.
        self.output_names = [t._keras_history[0].name for t in self.outputs]

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_shape(self):
        """The inputs' shapes, in ``inputs`` order (one shape for a single input)."""
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        """The outputs' shapes, in ``outputs`` order (one shape for a single output)."""
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def call(self, inputs, training=None, mask=None):
        values = {}
        flat_inputs = self._standardize_inputs(inputs)
        if mask is not None:  # masks travel on the tensors (``_keras_mask``)
            masks = tree.flatten(mask) if tree.is_nested(mask) else [mask]
            masks = masks + [None] * (len(flat_inputs) - len(masks))
            flat_inputs = [x if m is None else attach_mask(x, m)
                           for x, m in zip(flat_inputs, masks)]
        for t, x in zip(self.inputs, flat_inputs):
            values[id(t)] = x
        for layer, args, kwargs, simple_input, outputs, op in self._plan:
            if simple_input is not None:
                result = layer(values[simple_input], training=training)
            else:
                call_args, call_kwargs = tree.map_structure(
                    lambda a: values[id(a)] if isinstance(a, KerasTensor) else a, [args, kwargs]
                )
                if op:  # a cornu.ops call: the backend function, config bound
                    result = layer(*call_args, **call_kwargs)
                else:
                    if layer._call_has_training or not isinstance(layer, Model):
                        call_kwargs["training"] = training
                    result = layer(*call_args, **call_kwargs)
            if len(outputs) == 1:
                values[outputs[0]] = result if not tree.is_nested(result) else tree.flatten(result)[0]
            else:
                for oid, r in zip(outputs, tree.flatten(result)):
                    values[oid] = r
        flat = [values[id(t)] for t in self.outputs]
        if getattr(self, "_single_output_list", False):
            return flat[0]  # Keras: a concrete call unpacks ``outputs=[o]`` to ``o``
        return tree.pack_sequence_as(self._outputs_struct, flat)

    def _standardize_inputs(self, inputs):
        """The inputs as a flat list in ``self.inputs`` order, as Keras 3 takes them: a
        dict is matched to the inputs by name (a dict of inputs: by key), and an input
        one rank short of its ``Input`` whose last dimension is 1 gets that axis (one
        rank over with a last dimension of 1 loses it)."""
        if self._one_input and not isinstance(inputs, (dict, list, tuple)):
            shape = getattr(inputs, "shape", None)  # the common case: one check
            if shape is None or len(shape) == self._input_ranks[0]:
                return [inputs]
            return self._adjust_input_rank([inputs])
        struct = self._inputs_struct
        if isinstance(inputs, dict):
            names = list(struct) if isinstance(struct, dict) else self._flat_input_names
            missing = [name for name in names if name not in inputs]
            if missing:
                raise ValueError(
                    f'Missing data for input "{missing[0]}" of model \'{self.name}\'. You '
                    f"passed a data dictionary with keys {sorted(inputs)}. Expected the "
                    f"following keys: {names}"
                )
            if isinstance(struct, dict):
                flat = tree.flatten({k: inputs[k] for k in struct})
            else:
                flat = [inputs[name] for name in names]
        elif isinstance(struct, dict) and not self._dict_takes_list:
            raise ValueError(
                f"The structure of `inputs` doesn't match the expected structure of model "
                f"'{self.name}'. Expected: a dict with keys {list(struct)}; received: "
                f"{type(inputs).__name__}. Pass a dict keyed by the input names."
            )
        else:
            flat = tree.flatten(inputs) if tree.is_nested(inputs) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self.inputs)} input(s), but it received "
                f"{len(flat)} input tensors."
            )
        for x, rank in zip(flat, self._input_ranks):
            shape = getattr(x, "shape", None)
            if shape is not None and len(shape) != rank:
                return self._adjust_input_rank(flat)
        return flat

    def _adjust_input_rank(self, flat):
        return [x if x is None else adjust_input_rank(x, ref.shape, ref.name, self.name)
                for x, ref in zip(flat, self.inputs)]

    def compute_output_spec(self, inputs, training=None, mask=None):
        spec = Layer.compute_output_spec(self, inputs)
        if getattr(self, "_single_output_list", False) and not tree.is_nested(spec):
            # a symbolic call keeps the structure ``outputs=[o]`` was given in (Keras)
            spec = type(self._outputs_struct)([spec])
        return spec

    def get_config(self):
        from cornu.models.model import _functional_like_constructor

        if not _functional_like_constructor(type(self)):
            # A subclass with its own constructor: its graph cannot be passed back to it,
            # so (as in Keras 3) its config is a subclassed model's.
            return Model.get_config(self)
        layer_ids = {}
        layer_configs = []
        for layer in self._operations:
            layer_ids[id(layer)] = layer.name
        from cornu.serialization import serialize_cornu_object

        for layer in self._operations:
            if isinstance(layer, Operation):
                record = layer.serialize()
            else:
                record = serialize_cornu_object(layer)
            record["name"] = layer.name
            nodes = []
            for node in layer._inbound_nodes:
                if not node.input_tensors or not _node_in_model(node, self):
                    continue
                nodes.append({
                    "args": _serialize_args(node.call_args, self),
                    "kwargs": _serialize_args(node.call_kwargs, self),
                })
            record["inbound_nodes"] = nodes
            layer_configs.append(record)

        def ref(t):
            layer, node_index, tensor_index = t._keras_history
            return [layer.name, _node_position(layer, node_index, self), tensor_index]

        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": _map_refs(self._inputs_struct, ref),
            "output_layers": _map_refs(self._outputs_struct, ref),
        }

    # ``from_config`` is Model's: a Functional config revives a Functional model, or a
    # subclass whose constructor takes Functional's arguments.


def adjust_input_rank(x, ref_shape, input_name, model_name):
    """``x`` with the rank of ``ref_shape`` (an ``Input``'s shape), as Keras 3 adjusts a
    model's inputs: a trailing axis of size 1 is added or removed; any other rank
    mismatch raises a ValueError naming the input and the model.  The mask of ``x``
    (``_keras_mask``) is kept."""
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) == len(ref_shape):
        return x
    rank, ref_rank = len(shape), len(ref_shape)
    if rank == ref_rank + 1 and shape[-1] == 1:
        axis_op = "squeeze"
    elif rank == ref_rank - 1 and ref_rank and ref_shape[-1] == 1:
        axis_op = "expand_dims"
    else:
        got = tuple(None if d is None else int(d) for d in shape)
        raise ValueError(
            f"Invalid input shape for input '{input_name}' of model '{model_name}'. "
            f"Expected shape {tuple(ref_shape)}, but input has incompatible shape {got}"
        )
    if isinstance(x, np.ndarray):  # numpy (strings too) stays numpy
        return getattr(np, axis_op)(x, -1)
    from cornu import ops

    out = getattr(ops, axis_op)(x, -1)
    mask = getattr(x, "_keras_mask", None)
    if mask is not None:
        set_keras_mask(out, mask)
    return out


def _node_in_model(node, model):
    return id(node) in model._node_ids


def _node_position(layer, node_index, model):
    """Index of the call among the layer's calls that belong to ``model``."""
    if isinstance(layer, InputLayer):
        return 0
    return sum(1 for n in layer._inbound_nodes[:node_index] if _node_in_model(n, model))


def _map_refs(struct, ref):
    """The config form of a model's inputs or outputs: each tensor as its
    ``[layer, node, tensor]`` reference, nested dicts and lists kept (Keras 3's
    ``tree.map_structure``; KerasRS's models take a dict of dicts)."""
    if isinstance(struct, KerasTensor):
        return ref(struct)
    if isinstance(struct, dict):
        return {k: _map_refs(v, ref) for k, v in struct.items()}
    return [_map_refs(t, ref) for t in struct]


def _serialize_args(obj, model):
    if isinstance(obj, KerasTensor):
        layer, node_index, tensor_index = obj._keras_history
        return {
            "class_name": "__keras_tensor__",
            "config": {
                "shape": list(obj.shape),
                "dtype": obj.dtype,
                "keras_history": [layer.name, _node_position(layer, node_index, model), tensor_index],
            },
        }
    if isinstance(obj, (list, tuple)):
        return [_serialize_args(o, model) for o in obj]
    if isinstance(obj, dict):
        return {k: _serialize_args(v, model) for k, v in obj.items()}
    return serialize_value(obj, where=f"model '{model.name}' node argument")


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a Functional model: create every layer, then replay the recorded calls."""
    from cornu.serialization import deserialize_cornu_object

    layers = {}
    outputs_by_layer = {}  # name -> list of outputs per call
    pending = []
    for record in config["layers"]:
        if is_op_record(record):  # a cornu.ops / keras.ops call
            layer = Operation.from_record(record)
        else:
            layer = deserialize_cornu_object(
                {k: v for k, v in record.items() if k not in ("inbound_nodes", "build_config")},
                custom_objects=custom_objects, kind="layer",
            )
        layers[record["name"]] = layer
        if isinstance(layer, InputLayer):
            outputs_by_layer[record["name"]] = [layer.output]
        else:
            outputs_by_layer[record["name"]] = []
            pending.extend((record["name"], n) for n in record.get("inbound_nodes", []))

    def resolve(obj):
        if isinstance(obj, dict) and obj.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = obj["config"]["keras_history"]
            produced = outputs_by_layer[name]
            if node_index >= len(produced):
                raise LookupError
            return tree.flatten(produced[node_index])[tensor_index]
        if isinstance(obj, list):
            return [resolve(o) for o in obj]
        if isinstance(obj, dict):
            if obj.get("class_name") == "__tuple__":
                return tuple(resolve(o) for o in obj["config"]["value"])
            if str(obj.get("class_name", "")).startswith("__"):
                return deserialize_value(obj)
            return {k: resolve(v) for k, v in obj.items()}
        return obj

    # Replay calls in dependency order (a layer's call waits for its inputs).
    while pending:
        progressed = False
        remaining = []
        for name, node in pending:
            try:
                args = resolve(node.get("args", []))
                kwargs = resolve(node.get("kwargs", {}))
            except LookupError:
                remaining.append((name, node))
                continue
            layer = layers[name]
            if isinstance(layer, Operation):
                args = _keras_item_key(layer, args)
            outputs_by_layer[name].append(layer(*args, **kwargs))
            progressed = True
        if not progressed:
            raise ValueError(
                f"Cannot rebuild model {config.get('name')!r}: unresolvable layer inputs for "
                f"{sorted({n for n, _ in remaining})}"
            )
        pending = remaining

    def ref(r):
        name, node_index, tensor_index = r
        return tree.flatten(outputs_by_layer[name][node_index])[tensor_index]

    def refs(struct):
        if isinstance(struct, dict):
            return {k: refs(v) for k, v in struct.items()}
        if struct and isinstance(struct[0], str):
            return ref(struct)  # one tensor: [layer, node, tensor]
        return [refs(r) for r in struct]

    inputs = refs(config["input_layers"])
    outputs = refs(config["output_layers"])
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    if isinstance(outputs, list) and len(outputs) == 1 and isinstance(config["output_layers"][0], str):
        outputs = outputs[0]
    trainable = config.get("trainable", True)
    import inspect

    spec = inspect.getfullargspec(cls.__init__)
    if spec.varkw is not None or "trainable" in spec.args + spec.kwonlyargs:
        return cls(inputs=inputs, outputs=outputs, name=config.get("name"), trainable=trainable)
    # A subclass whose constructor is ``(inputs, outputs, name)``, as Keras 3 allows.
    model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
    if not trainable:
        model.trainable = False
    return model


def _keras_item_key(op, args):
    """Keras writes a ``get_item`` key tuple as a list: a list of slices is a tuple."""
    if op.fn_name == "get_item" and len(args) == 2 and isinstance(args[1], list) and any(
            k is None or k is Ellipsis or isinstance(k, slice) for k in args[1]):
        return [args[0], tuple(args[1])]
    return args


def _build_plan(inputs, outputs):
    """Topologically ordered layer calls from ``inputs`` to ``outputs``, and the layer list."""
    input_ids = {id(t) for t in inputs}
    order = []
    visited = set()

    def visit(tensor):
        if id(tensor) in input_ids:
            return
        history = tensor._keras_history
        if history is None:
            raise ValueError(f"Tensor {tensor!r} was not produced by a layer call")
        layer, node_index, _ = history
        node = layer._inbound_nodes[node_index]
        if id(node) in visited:
            return
        visited.add(id(node))
        if not node.input_tensors:
            raise ValueError(
                f"Output depends on input '{layer.name}', which is not among the model's inputs"
            )
        for t in node.input_tensors:
            visit(t)
        order.append(node)

    for t in outputs:
        visit(t)

    layers = []
    for t in inputs:
        layer = t._keras_history[0]
        if not any(layer is l for l in layers):
            layers.append(layer)
    plan = []
    for node in order:
        layer = node.operation
        if not any(layer is l for l in layers):
            layers.append(layer)
        is_op = isinstance(layer, Operation)
        simple = None
        if (len(node.call_args) == 1 and not node.call_kwargs
                and isinstance(node.call_args[0], KerasTensor) and not is_op):
            simple = id(node.call_args[0])
        call = layer.bound_call() if is_op else layer
        plan.append((call, node.call_args, node.call_kwargs, simple,
                     [id(t) for t in node.outputs], is_op))
    return plan, layers, order
