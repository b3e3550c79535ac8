"""``clone_model``: the same architecture with new layers (new weights), as in Keras 3."""
from cornu import tree
from cornu.models.functional import Functional
from cornu.models.input_layer import Input, InputLayer
from cornu.models.sequential import Sequential
from cornu.symbolic import KerasTensor


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """Clone a Sequential or Functional model (or a subclassed one, from its config).

    Args:
        model: the model to clone.
        input_tensors: symbolic tensors (the structure of ``model.input``) to build
            the clone on; new ``Input``s by default.
        clone_function: ``fn(layer) -> layer`` applied to every non-input layer;
            by default ``layer.__class__.from_config(layer.get_config())`` (new
            weights).  Return the layer itself to share it.
        call_function: ``fn(layer, *args, **kwargs) -> outputs`` used to call each
            cloned layer (Functional models only), e.g. to insert layers.
        recursive: clone nested Sequential/Functional models with ``clone_model``
            (the same functions) instead of ``clone_function``.

    A compiled model's clone is compiled with the same compile config (a fresh
    optimizer).  Subclassed models are rebuilt from ``get_config()`` and accept
    none of the arguments above.
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs.keys())}")
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models. In a "
                "Sequential model, layers aren't called at model-construction time (they're "
                "merely listed). Use `call_function` with Functional models only. Received "
                f"model of type '{type(model).__name__}', with call_function={call_function}"
            )
        clone = _wrap(clone_function, None, recursive, cache)
        return _compiled_like(model, _clone_sequential(model, clone, input_tensors))
    if isinstance(model, Functional) and (
        type(model).get_config is Functional.get_config or clone_function or input_tensors
        or call_function
    ):
        clone = _wrap(clone_function, call_function, recursive, cache)
        return _compiled_like(model, _clone_functional(model, clone, input_tensors,
                                                       call_function))
    if clone_function or input_tensors:
        raise ValueError(
            "Arguments `clone_function` and `input_tensors` are only supported for "
            "Sequential models or Functional models. Received model of type "
            f"'{type(model).__name__}', with clone_function={clone_function} and "
            f"input_tensors={input_tensors}"
        )
    if call_function is not None:
        raise ValueError(
            "Argument `call_function` is only supported for Functional models. Received "
            f"model of type '{type(model).__name__}', with call_function={call_function}"
        )
    from cornu.serialization import deserialize_cornu_object, serialize_cornu_object

    config = serialize_cornu_object(model)
    return deserialize_cornu_object(config, custom_objects={type(model).__name__: type(model)})


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def _wrap(clone_function, call_function, recursive, cache):
    """Clone each layer once (shared layers stay shared), recursing into inner models."""
    clone_function = clone_function or _default_clone
    cache = {} if cache is None else cache

    def wrapped(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, Sequential):
            clone = clone_model(layer, clone_function=clone_function, recursive=True,
                                cache=cache)
        elif recursive and isinstance(layer, Functional):
            clone = clone_model(layer, clone_function=clone_function,
                                call_function=call_function, recursive=True, cache=cache)
        else:
            clone = clone_function(layer)
        cache[id(layer)] = clone
        return clone

    return wrapped


def _compiled_like(model, clone):
    if getattr(model, "compiled", False):
        config = model.get_compile_config()
        if config is not None:
            clone.compile_from_config(config)
    return clone


def _as_input(tensor):
    if not isinstance(tensor, KerasTensor):
        raise ValueError(
            "All entries in `input_tensors` must be KerasTensors. Received invalid values: "
            f"input_tensors={tensor!r}"
        )
    if tensor._keras_history is None:
        return Input(tensor=tensor)
    return tensor


def _clone_sequential(model, clone, input_tensors):
    layers = [clone(layer) for layer in model.layers]
    ref = model._input_layer
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(
                "Argument `input_tensors` must be a KerasTensor. Received invalid value: "
                f"input_tensors={input_tensors!r}"
            )
        layers = [InputLayer(input_tensor=input_tensors,
                             name=None if ref is None else ref.name)] + layers
    elif ref is not None:
        layers = [InputLayer(batch_shape=ref.batch_shape, dtype=ref.dtype, name=ref.name,
                             optional=ref.optional)] + layers
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _clone_functional(model, clone, input_tensors, call_function):
    if input_tensors is not None:
        try:
            flat_new = tree.flatten(input_tensors)
            if len(flat_new) != len(model.inputs):
                raise ValueError
        except (TypeError, ValueError):
            raise ValueError(
                "`input_tensors` must have the same structure as model.input\nReference "
                f"structure: {model.input}\nReceived structure: {input_tensors}"
            ) from None
        flat_new = [_as_input(t) for t in flat_new]
    else:
        flat_new = [
            Input(batch_shape=t.shape, dtype=t.dtype, name=t._keras_history[0].name)
            for t in model.inputs
        ]
    values = {id(old): new for old, new in zip(model.inputs, flat_new)}
    for entry in model._plan:
        layer, args, kwargs, output_ids = entry[0], entry[1], entry[2], entry[4]
        is_op = len(entry) > 5 and entry[5]  # a cornu.ops call recorded in the graph
        new_layer = layer if is_op else clone(layer)
        call_args, call_kwargs = tree.map_structure(
            lambda a: values[id(a)] if isinstance(a, KerasTensor) else a, [list(args), kwargs]
        )
        if call_function is not None and not is_op:
            outputs = call_function(new_layer, *call_args, **call_kwargs)
        else:
            outputs = new_layer(*call_args, **call_kwargs)
        flat = tree.flatten(outputs) if tree.is_nested(outputs) else [outputs]
        for oid, out in zip(output_ids, flat):
            values[oid] = out
    inputs = tree.pack_sequence_as(model._inputs_struct, flat_new) \
        if tree.is_nested(model._inputs_struct) else flat_new[0]
    outputs = tree.pack_sequence_as(
        model._outputs_struct, [values[id(t)] for t in model.outputs]
    ) if tree.is_nested(model._outputs_struct) else values[id(model.outputs[0])]
    from cornu.models.model import _functional_like_constructor

    if type(model) is not Functional and _functional_like_constructor(type(model)):
        # A Functional subclass (``CustomModel(inputs, outputs)``) clones as its class.
        clone = type(model)(inputs, outputs, name=model.name)
        if not model.trainable:
            clone.trainable = False
        return clone
    return Functional(inputs, outputs, name=model.name, trainable=model.trainable)
