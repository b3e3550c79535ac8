"""``model.summary()``: Keras 3's table, rendered with rich as Keras renders it.

The same columns, widths, markup and totals as Keras 3.15, so that a summary
printed by cornu reads (and, captured with ``print_fn``, compares) like Keras's:

* a Sequential, a subclassed model, or a functional model whose graph is one chain
  gets three columns (88 characters); any other functional model adds "Connected
  to" (108); ``show_trainable`` adds "Trainable" (12 more); the width never exceeds
  the terminal's less 4, and ``positions`` (fractions of the line) split it;
* ``expand_nested`` lists the layers of nested models under their parent (``└``),
  ``layer_range=(first, last)`` (names or regular expressions) the slice between;
* the totals count the trainable, non-trainable and (once built) optimizer
  variables, with their memory at each dtype's width;
* with ``print_fn`` the whole table is captured without colour and passed to it in
  one call, as Keras does; without it, rich prints to the terminal (or, with
  interactive logging off, the table goes to cornu's logger).
"""
import math
import re
import shutil


def _number(x):
    return f"[color(45)]{x}[/]" if x is None else f"[color(34)]{x}[/]"


def _bold(text, color=None):
    return f"[bold][color({color})]{text}[/][/]" if color else f"[bold]{text}[/]"


def _shape(shape):
    return "(" + ", ".join(_number(d) for d in shape) + ")"


def _output_shape(layer):
    """The shapes of the layer's outputs at its last call in a graph, else what its
    build shape implies, else "?"."""
    from cornu import tree

    nodes = getattr(layer, "_inbound_nodes", None) or []
    if nodes:
        shapes = tree.map_structure(lambda t: _shape(t.shape), nodes[-1].outputs)
    else:
        build_shapes = getattr(layer, "_build_shapes", None)
        if build_shapes is None:
            return "?"
        try:
            shapes = tree.map_shape_structure(_shape, layer.compute_output_shape(build_shapes))
        except (NotImplementedError, TypeError, ValueError, AttributeError):
            return "?"
    flat = tree.flatten(shapes)
    if len(flat) == 1:
        return flat[0]
    return str(shapes).replace("'", "")


def _bits(dtype):
    from cornu.dtypes import BITS, dtype_name

    return BITS[dtype_name(dtype)]


def _count(weights):
    return int(sum(math.prod(w.shape) for w in weights))


def _memory(weights):
    unique = {id(w): w for w in weights}.values()
    return sum(math.prod(w.shape) * _bits(w.dtype) for w in unique) / 8


def _memory_text(size):
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _layer_slice(layers, layer_range):
    """``[start, stop)`` of the layers between the first match of ``layer_range[0]`` and
    the last match of ``layer_range[1]`` (both inclusive)."""
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError("summary: layer_range must be a list or tuple of 2 layer names, "
                         f"received {layer_range!r} of length {len(layer_range)}")
    if not all(isinstance(name, str) for name in layer_range):
        raise ValueError(f"summary: layer_range must hold strings, received {layer_range!r}")
    first = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    last = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not first or not last:
        raise ValueError(f"summary: layer_range {layer_range!r} matches no layer name of "
                         f"the model (its layers: {[layer.name for layer in layers]})")
    if min(first) > max(last):
        return min(last), max(first) + 1
    return min(first), max(last) + 1


def print_summary(model, line_length=None, positions=None, print_fn=None,
                  expand_nested=False, show_trainable=False, layer_range=None):
    """Print ``model``'s layer table and parameter totals (see the module docstring)."""
    import rich.console
    import rich.markup
    import rich.table

    from cornu import config
    from cornu.models.functional import Functional
    from cornu.utils import io_utils

    if print_fn is None and not config.is_interactive_logging_enabled():
        print_fn = io_utils.print_msg
    functional = isinstance(model, Functional)
    layers = model._operations if functional else model.layers  # op nodes too, as Keras
    chain = not functional or _sequential_like(model)
    if chain:
        width, fractions = 88, [0.45, 0.80, 1.0]
        header, justify = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        width, fractions = 108, [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        justify = ["left", "left", "right", "left"]
    fractions = list(positions or fractions)
    if show_trainable:
        width += 12
        fractions = [p * 0.90 for p in fractions] + [1.0]
        header.append("Trainable")
        justify.append("center")
    line_length = line_length or min(width, shutil.get_terminal_size().columns - 4)
    absolute = fractions[-1] > 1  # column edges given in characters
    widths, edge = [], 0
    for fraction in fractions:
        column = (int(fraction) if absolute else int(fraction * line_length)) - edge
        if column < 4:
            raise ValueError(
                f"summary: line_length={line_length} with positions={fractions} leaves a "
                f"column {column} characters wide; the least is 4 (a wider line_length)")
        widths.append(column)
        edge += column
    table = rich.table.Table(
        *(rich.table.Column(name, justify=j, width=w)
          for name, j, w in zip(header, justify, widths)),
        width=line_length, show_lines=True)

    def fields(layer, prefix):
        kind = getattr(layer, "class_name", None) or type(layer).__name__
        row = [f"{rich.markup.escape(prefix + layer.name)} "
               f"([color(33)]{rich.markup.escape(kind)}[/])",
               _output_shape(layer)]
        if not hasattr(layer, "built"):
            row.append(_number(0))
        elif not layer.built:
            row.append(f"{_number(0)} (unbuilt)")
        else:
            row.append(_number(f"{layer.count_params():,}"))
        if not chain:
            row.append(_connections(layer, model))
        if show_trainable:
            if getattr(layer, "weights", None):
                row.append(_bold("Y", 34) if layer.trainable else _bold("N", 9))
            else:
                row.append(_bold("-"))
        return row

    def add(layer, depth=0):
        table.add_row(*fields(layer, "   " * depth + "└ " if depth else ""))
        if expand_nested:
            for inner in getattr(layer, "layers", None) or ():
                add(inner, depth + 1)

    start, stop = _layer_slice(layers, layer_range)
    for layer in layers[start:stop]:
        add(layer)

    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    optimizer_vars = list(optimizer.variables) if (
        getattr(model, "compiled", False) and optimizer is not None
        and getattr(optimizer, "built", False)) else None
    totals = [("Trainable params", _count(trainable), _memory(trainable)),
              ("Non-trainable params", _count(non_trainable), _memory(non_trainable))]
    if optimizer_vars is not None:
        totals.append(("Optimizer params", _count(optimizer_vars), _memory(optimizer_vars)))
    totals.insert(0, ("Total params", sum(t[1] for t in totals), sum(t[2] for t in totals)))

    if print_fn is not None:  # captured plain, handed over whole
        console = rich.console.Console(highlight=False, force_terminal=False,
                                       color_system=None)
        console.begin_capture()
    else:
        console = rich.console.Console(highlight=False)
    console.print(_bold(f'Model: "{rich.markup.escape(model.name)}"'))
    console.print(table)
    for label, count, memory in totals:
        console.print(_bold(f" {label}: ") + _number(f"{count:,}")
                      + f" ({_memory_text(memory)})")
    if print_fn is not None:
        text = console.end_capture()
        if print_fn is io_utils.print_msg:
            print_fn(text, line_break=False)
        else:
            print_fn(text)


def _sequential_like(model):
    """Whether a functional model's graph is a single chain: one input, no shared layer,
    no node with several inputs and no node feeding several others (Keras 3's rule for
    leaving out the "Connected to" column)."""
    if len(model.inputs) != 1:
        return False
    consumers = {}
    for layer in model._operations:
        nodes = [n for n in layer._inbound_nodes if id(n) in model._node_ids]
        if len(nodes) > 1:
            return False  # a shared layer
        for node in nodes:
            inputs = list(node.input_tensors)
            if len(inputs) > 1:
                return False  # a merge
            for t in inputs:
                src, node_index, _ = t._keras_history
                key = (id(src), node_index)
                consumers[key] = consumers.get(key, 0) + 1
                if consumers[key] > 1:
                    return False  # a branch
    return True


def _connections(layer, model):
    parts = []
    for node in layer._inbound_nodes:
        if id(node) not in getattr(model, "_node_ids", ()):
            continue
        for t in node.input_tensors:
            src, node_index, tensor_index = t._keras_history
            parts.append(f"{src.name}[{_number(node_index)}][{_number(tensor_index)}]")
    return ", ".join(parts) if parts else "-"
