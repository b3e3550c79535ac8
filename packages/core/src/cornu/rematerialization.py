"""Rematerialization (gradient checkpointing): ``cornu.remat`` and ``cornu.RematScope``.

A rematerialized function keeps none of its intermediate activations for the backward
pass; they are recomputed there, trading compute for memory.  The backend supplies the
mechanism (``core.remat``); a backend without one runs the function unchanged, which
gives the same values and gradients, only without the memory saving.
"""
import collections
import math

from cornu import tree

#: What ``get_current_remat_mode()`` returns inside a ``RematScope``.
RematMode = collections.namedtuple("RematMode", ["mode", "output_size_threshold",
                                                 "layer_names"])

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_stack = []


class RematScope:
    """Rematerialize the layers created inside this scope (when they are called).

    Args:
        mode: ``"full"`` (every layer), ``"activations"`` (the ``activation`` of layers
            that have one), ``"larger_than"`` (layers whose output has more than
            ``output_size_threshold`` elements), ``"list_of_layers"`` (the layers named
            in ``layer_names``) or ``None`` (none: turns an outer scope off).
        output_size_threshold: the element count for ``"larger_than"``.
        layer_names: the layer names for ``"list_of_layers"``.
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(
                f"RematScope: invalid mode {mode!r}; expected one of 'full', "
                "'activations', 'larger_than', 'list_of_layers' or None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self):
        _stack.append(self)
        return self

    def __exit__(self, *exc):
        _stack.remove(self)


def get_current_remat_mode():
    """The innermost ``RematScope``'s settings as a ``RematMode``, or ``None``."""
    if not _stack:
        return None
    scope = _stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f):
    """``f`` (a function or a layer) rematerialized: same outputs and gradients, its
    activations recomputed in the backward pass."""
    from cornu.backend import get_backend

    backend_remat = getattr(get_backend().core, "remat", None)
    return f if backend_remat is None else backend_remat(f)


def rematerialized_call(layer, call, args, kwargs):
    """``layer``'s ``call`` as the layer's remat mode (captured at its creation) says."""
    mode = layer._remat_mode
    if mode is None or mode.mode is None:
        return call
    if mode.mode == "full":
        return remat(call)
    if mode.mode == "list_of_layers":
        return remat(call) if layer.name in mode.layer_names else call
    if mode.mode == "activations":
        activation = getattr(layer, "activation", None)
        if activation is None:
            return call

        def with_remat_activation(*a, **k):
            layer.activation = remat(activation)
            try:
                return call(*a, **k)
            finally:
                layer.activation = activation

        return with_remat_activation
    # "larger_than": the output's element count, from the layer's output shape
    shapes = tree.map_structure(lambda x: tuple(getattr(x, "shape", ())), args[0])
    try:
        out = layer.compute_output_shape(shapes)
    except Exception:  # noqa: BLE001 - a layer without a shape rule is left as it is
        return call
    sizes = tree.map_shape_structure(lambda s: math.prod(d or 1 for d in s), out)
    return remat(call) if sum(tree.flatten(sizes)) > mode.output_size_threshold else call


__all__ = ["RematMode", "RematScope", "get_current_remat_mode", "remat"]
