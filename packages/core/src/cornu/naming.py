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
