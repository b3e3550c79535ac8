"""Unique default names for layers and models (``dense``, ``dense_1``, ...)."""
import collections
import re

_counts = collections.defaultdict(int)


def to_snake_case(name):
    """Keras's rule: ``Conv2DTranspose`` -> ``conv2d_transpose``, ``MaxPooling2D`` ->
    ``max_pooling2d`` (a digit does not start a new word), ``ReLU`` -> ``re_lu``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name.lstrip("_") or "layer"


def class_key(cls):
    """The snake-case key of a class in default names and weights files.

    Keras derives both from its class's ``__name__``; a cornu class whose public name
    differs from the name of Keras's class (``GroupQueryAttention``, whose Keras class is
    ``GroupedQueryAttention``) sets ``_keras_class_name`` so the files line up.
    """
    return to_snake_case(getattr(cls, "_keras_class_name", None) or cls.__name__)


def uniquify(prefix):
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ..."""
    count = _counts[prefix]
    _counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset():
    _counts.clear()


class name_scope:
    """``with cornu.name_scope("block"):``: a named scope, as ``keras.name_scope``.

    Scopes nest (``current_path()`` is ``"outer/inner"``); a scope whose name equals
    the enclosing one is not repeated when ``deduplicate`` (Keras's default).  cornu
    names weights by the layers that own them, so the scopes only record the path
    (``current_path()``); they do not rename variables.
    """

    _stack = []

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                f"Argument `name` must be a string without '/'. Received: name={name!r}")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self):
        stack = name_scope._stack
        if self.deduplicate and stack and stack[-1].name == self.name:
            return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc):
        if self._pushed:
            name_scope._stack.pop()
            self._pushed = False
        return False


def current_path():
    """The ``/``-joined names of the active ``name_scope``s (``""`` outside any)."""
    parts = []
    for scope in name_scope._stack:
        if scope.override_parent is not None:
            parts = [p for p in scope.override_parent.split("/") if p]
        parts.append(scope.name)
    return "/".join(parts)
