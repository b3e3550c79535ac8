"""``model.summary()`` in the Keras 3 table layout."""
import math


def _shape_text(layer):
    nodes = [n for n in getattr(layer, "_inbound_nodes", []) if n.outputs]
    if not nodes:
        return "?"
    outputs = nodes[-1].outputs
    texts = []
    for t in outputs:
        dims = ", ".join("None" if d is None else str(d) for d in t.shape)
        texts.append(f"({dims},)" if len(t.shape) == 1 else f"({dims})")
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"




def _param_count(weights):
    return int(sum(math.prod(w.shape) for w in weights))


def _bytes(weights):
    import numpy as np

    return int(sum(math.prod(w.shape) * np.dtype(w.dtype).itemsize for w in weights))


def _bytes_text(n):
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024.0


def print_summary(model, line_length=None, positions=None, print_fn=None, show_trainable=False):
    if print_fn is None:
        from cornu.utils.io_utils import print_msg as print_fn
    from cornu.models.functional import Functional

    layers = getattr(model, "_operations", None) or model.layers  # op nodes too, as Keras
    # As Keras 3: a functional model whose graph is one chain prints like a Sequential.
    is_functional = isinstance(model, Functional) and not _sequential_like(model)
    headers = ["Layer (type)", "Output Shape", "Param #"]
    if is_functional:
        headers.append("Connected to")
    if show_trainable:
        headers.append("Trainable")
    rows = []
    for layer in layers:
        built = layer.built
        params = str(f"{layer.count_params():,}") if built else "0 (unbuilt)"
        kind = getattr(layer, "class_name", None) or type(layer).__name__
        row = [f"{layer.name} ({kind})", _shape_text(layer), params]
        if is_functional:
            row.append(_connections(layer, model))
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    line_length = line_length or (79 if not is_functional else 98)
    if is_functional:
        widths = [31, 22, 10, line_length - 31 - 22 - 10 - 5]
    else:
        widths = [31, 22, 13]
    if show_trainable:
        widths.append(9)
    if positions:
        widths = [int(p * line_length) if p <= 1 else int(p) for p in positions]

    def border(left, mid, right, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def fmt(cells):
        out = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            cell = cell if len(cell) <= w else cell[: w - 1] + "…"
            out.append(" " + (cell.rjust(w) if headers[i] == "Param #" else cell.ljust(w)) + " ")
        return out

    print_fn(f'Model: "{model.name}"')
    print_fn(border("┏", "┳", "┓", "━"))
    print_fn("┃" + "┃".join(fmt(headers)) + "┃")
    print_fn(border("┡", "╇", "┩", "━"))
    for i, row in enumerate(rows):
        print_fn("│" + "│".join(fmt(row)) + "│")
        if i < len(rows) - 1:
            print_fn(border("├", "┼", "┤", "─"))
    print_fn(border("└", "┴", "┘", "─"))
    weights = model.weights if model.built else []
    trainable = model.trainable_weights if model.built else []
    non_trainable = model.non_trainable_weights if model.built else []
    total = _param_count(weights)
    print_fn(f" Total params: {total:,} ({_bytes_text(_bytes(weights))})")
    print_fn(f" Trainable params: {_param_count(trainable):,} ({_bytes_text(_bytes(trainable))})")
    print_fn(
        f" Non-trainable params: {_param_count(non_trainable):,} "
        f"({_bytes_text(_bytes(non_trainable))})"
    )
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        opt_vars = list(getattr(optimizer, "variables", []))
        print_fn(f" Optimizer params: {_param_count(opt_vars):,} ({_bytes_text(_bytes(opt_vars))})")


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
            parts.append(f"{src.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) if parts else "-"
