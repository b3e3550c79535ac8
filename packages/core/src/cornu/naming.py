"""Unique default names for layers and models (``dense``, ``dense_1``, ...)."""
import collections
import re

_counts = collections.defaultdict(int)


def to_snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return name.lstrip("_") or "layer"


def uniquify(prefix):
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ..."""
    count = _counts[prefix]
    _counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset():
    _counts.clear()
