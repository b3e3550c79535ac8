"""``plot_model`` and ``model_to_dot``: a model's layer graph in Graphviz DOT.

``model_to_dot`` returns a ``pydot.Dot`` (pydot must be installed) and
``plot_model`` renders it with Graphviz (pydot and the ``dot`` program must be
installed), as in Keras.  cornu writes the DOT source itself, so
``plot_model(model, to_file="model.dot")`` needs neither.
"""
import html
import os
import shutil

_PYDOT_MISSING = "You must install pydot (`pip install pydot`) for `model_to_dot` to work."
_PLOT_MISSING = (
    "You must install pydot (`pip install pydot`) and install graphviz (see instructions at "
    "https://graphviz.gitlab.io/download/) for `plot_model` to work."
)


def _import_pydot():
    try:
        import pydot
    except ImportError:
        return None
    return pydot


def _shape_text(shape):
    from cornu import tree

    if shape is None:
        return "?"
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return ", ".join(_shape_text(s) for s in shape)
    if isinstance(shape, dict):
        return ", ".join(f"{k}: {_shape_text(v)}" for k, v in shape.items())
    return "(" + ", ".join("None" if d is None else str(d) for d in tree.flatten(shape)) + ")"


def _layer_graph(model):
    """``(layers, edges)``: every layer once and (source, target) pairs between them."""
    from cornu.models.functional import Functional
    from cornu.models.sequential import Sequential

    if isinstance(model, Sequential):
        layers = ([model._input_layer] if model._input_layer is not None else []) + model.layers
        return layers, list(zip(layers[:-1], layers[1:]))
    if isinstance(model, Functional):
        layers = [t._keras_history[0] for t in model.inputs]
        for layer in model.layers:
            if not any(layer is seen for seen in layers):
                layers.append(layer)
        edges = []
        from cornu import tree
        from cornu.symbolic import KerasTensor

        for entry in model._plan:
            layer, args, kwargs = entry[0], entry[1], entry[2]
            if not any(layer is seen for seen in layers):
                layers.append(layer)  # a cornu.ops call recorded in the graph

            for t in tree.flatten([list(args), kwargs]):
                if isinstance(t, KerasTensor) and t._keras_history is not None:
                    edge = (t._keras_history[0], layer)
                    if not any(a is edge[0] and b is edge[1] for a, b in edges):
                        edges.append(edge)
        return layers, edges
    return list(model.layers), []


def dot_source(model, show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", dpi=200, show_layer_activations=False, show_trainable=False,
               splines="ortho"):
    """The Graphviz DOT text of ``model``'s layer graph (no pydot needed)."""
    layers, edges = _layer_graph(model)
    ids = {id(layer): f"node_{i}" for i, layer in enumerate(layers)}
    lines = [
        f'digraph "{html.escape(model.name)}" {{',
        f'  graph [rankdir={rankdir}, dpi={int(dpi)}, splines={splines}, concentrate=true];',
        '  node [shape=record, fontname="Helvetica"];',
    ]
    for layer in layers:
        kind = type(layer).__name__
        title = f"{layer.name} ({kind})" if show_layer_names else kind
        rows = [title]
        if show_layer_activations and hasattr(layer, "activation"):
            act = getattr(layer.activation, "__name__", str(layer.activation))
            rows.append(f"activation: {act}")
        if show_shapes:
            inputs = getattr(layer, "_inbound_nodes", [])
            in_shape = out_shape = None
            if inputs:
                node = inputs[0]
                ins = [t.shape for t in node.input_tensors] or None
                in_shape = ins[0] if ins and len(ins) == 1 else ins
                outs = [t.shape for t in node.outputs]
                out_shape = outs[0] if len(outs) == 1 else outs
            rows.append(f"input: {_shape_text(in_shape)} | output: {_shape_text(out_shape)}")
        if show_dtype:
            rows.append(f"dtype: {layer.dtype}")
        if show_trainable:
            rows.append(f"trainable: {'Y' if layer.trainable else 'N'}")
        label = "|".join(html.escape(r).replace("{", "\\{").replace("}", "\\}")
                         .replace("|", "\\|") for r in rows)
        lines.append(f'  {ids[id(layer)]} [label="{{{label}}}"];')
    for source, target in edges:
        if id(source) in ids and id(target) in ids:
            lines.append(f"  {ids[id(source)]} -> {ids[id(target)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho",
                 **kwargs):
    """A ``pydot.Dot`` of the model's layer graph (raises ImportError without pydot)."""
    pydot = _import_pydot()
    if pydot is None:
        raise ImportError(_PYDOT_MISSING)
    text = dot_source(model, show_shapes=show_shapes, show_dtype=show_dtype,
                      show_layer_names=show_layer_names, rankdir=rankdir, dpi=dpi,
                      show_layer_activations=show_layer_activations,
                      show_trainable=show_trainable, splines=splines)
    graphs = pydot.graph_from_dot_data(text)
    return graphs[0]


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho",
               **kwargs):
    """Draw the model's layer graph into ``to_file`` (format from its extension).

    Rendering (png, svg, pdf, ...) needs pydot and Graphviz and raises ImportError
    naming both when either is missing; a ``.dot`` file is written directly.
    """
    to_file = os.fspath(to_file)
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names, rankdir=rankdir, dpi=dpi,
                   show_layer_activations=show_layer_activations,
                   show_trainable=show_trainable, splines=splines)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if extension == "dot":
        from cornu.saving.atomic import atomic_path

        with atomic_path(to_file) as tmp:
            with open(tmp, "w") as f:
                f.write(dot_source(model, **options))
        return None
    pydot = _import_pydot()
    if pydot is None or shutil.which("dot") is None:
        raise ImportError(_PLOT_MISSING)
    graph = model_to_dot(model, expand_nested=expand_nested, **options)
    graph.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display

            return display.Image(filename=to_file)
        except ImportError:
            pass
    return None
