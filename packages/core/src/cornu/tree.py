"""Nested structures (lists, tuples, namedtuples, dicts) of tensors: ``keras.tree``.

The nodes are lists, tuples (namedtuples keep their type) and dicts; everything
else, ``None`` included, is a leaf.  A plain dict's children come in sorted-key
order, an ``OrderedDict``'s in insertion order (Keras 3, optree's rules); rebuilt
dicts keep the keys in the order of the structure they were rebuilt from.
"""
import collections


class MAP_TO_NONE:  # noqa: N801 - Keras's name
    """Returned by a ``traverse`` function to put ``None`` in place of a node."""


def is_nested(structure):
    return isinstance(structure, (list, tuple, dict))


def _is_namedtuple(node):
    return isinstance(node, tuple) and hasattr(type(node), "_fields")


def _keys(node):
    """A dict's keys in flattening order."""
    if isinstance(node, collections.OrderedDict):
        return list(node)
    try:
        return sorted(node)
    except TypeError:  # keys that do not order (mixed types): by their repr, as optree
        return sorted(node, key=repr)


def _children(node):
    """``(keys, children)`` of a node in flattening order (keys are indices for sequences)."""
    if isinstance(node, dict):
        keys = _keys(node)
        return keys, [node[k] for k in keys]
    return list(range(len(node))), list(node)


def _rebuild(node, keys, children):
    """A node of ``node``'s type holding ``children`` (given in ``keys`` order)."""
    if isinstance(node, dict):
        by_key = dict(zip(keys, children))
        items = [(k, by_key[k]) for k in node]  # the original key order
        if type(node) is dict or getattr(node, "_cornu_tracked", None) is dict:
            return dict(items)  # a layer's tracked dict attribute rebuilds as a dict
        if isinstance(node, collections.defaultdict):
            return type(node)(node.default_factory, items)
        return type(node)(items)
    if isinstance(node, list):
        return list(children)
    if _is_namedtuple(node):
        return type(node)(*children)
    if type(node) is tuple:
        return tuple(children)
    return type(node)(children)


def flatten(structure):
    """The leaves of ``structure``, in order (sorted keys for plain dicts)."""
    if isinstance(structure, (list, tuple)):
        out = []
        for item in structure:
            out.extend(flatten(item))
        return out
    if isinstance(structure, dict):
        out = []
        for key in _keys(structure):
            out.extend(flatten(structure[key]))
        return out
    return [structure]


def flatten_with_path(structure):
    """``[(path, leaf), ...]``: each path the tuple of keys and indices down to the leaf."""
    out = []

    def walk(node, path):
        if is_nested(node):
            for key, child in zip(*_children(node)):
                walk(child, path + (key,))
        else:
            out.append((path, node))

    walk(structure, ())
    return out


def _node_type(node):
    # A layer's tracked list or dict attribute is a list or a dict here.
    return getattr(node, "_cornu_tracked", None) or type(node)


def _check_same_node(first, other):
    if _node_type(first) is not _node_type(other):
        expected = collections.namedtuple if _is_namedtuple(first) else type(first)
        raise ValueError(
            f"Node type mismatch; expected {expected}, but got {type(other)}.")
    if isinstance(first, dict):
        if set(first) != set(other):
            missing, extra = set(first) - set(other), set(other) - set(first)
            raise ValueError(f"Node keys mismatch; missing key(s): {missing or '{}'}; "
                             f"extra key(s): {extra or '{}'}.")
    elif len(first) != len(other):
        raise ValueError(f"Node arity mismatch; expected {len(first)}, but got {len(other)}.")


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied to the leaves of one or more structures of the same shape."""
    if not structures:
        raise ValueError("map_structure() needs at least one structure.")
    if len(structures) == 1:
        return _map_one(func, structures[0])

    def build(nodes):
        first = nodes[0]
        if not is_nested(first):
            return func(*nodes)
        for other in nodes[1:]:
            _check_same_node(first, other)
        keys, _ = _children(first)
        parts = [[n[k] for k in keys] for n in nodes]
        return _rebuild(first, keys, [build(list(group)) for group in zip(*parts)])

    return build(list(structures))


def _map_one(func, structure):
    # The common case (one structure), kept to a direct recursion: it is on the hot path.
    if isinstance(structure, list):
        return [_map_one(func, s) for s in structure]
    if type(structure) is tuple:
        return tuple(_map_one(func, s) for s in structure)
    if type(structure) is dict:
        return {k: _map_one(func, v) for k, v in structure.items()}
    if is_nested(structure):
        keys, children = _children(structure)
        return _rebuild(structure, keys, [_map_one(func, c) for c in children])
    return func(structure)


def map_structure_up_to(shallow_structure, func, *structures):
    """``func`` applied to the sub-structures of ``structures`` found at the leaves of
    ``shallow_structure`` (which must be a prefix of each of them)."""

    def build(shallow, nodes):
        if not is_nested(shallow):
            return func(*nodes)
        for node in nodes:
            _check_same_node(shallow, node)
        keys, _ = _children(shallow)
        return _rebuild(nodes[0], keys,
                        [build(shallow[k], [n[k] for n in nodes]) for k in keys])

    return build(shallow_structure, list(structures))


def pack_sequence_as(structure, flat_sequence):
    """The inverse of ``flatten``: ``structure`` rebuilt with the leaves of ``flat_sequence``."""
    flat_sequence = list(flat_sequence)
    expected = len(flatten(structure))
    if len(flat_sequence) != expected:
        raise ValueError(
            f"pack_sequence_as: the flat sequence has {len(flat_sequence)} items but the "
            f"structure holds {expected} leaves.")
    it = iter(flat_sequence)

    def build(s):
        if isinstance(s, list):
            return [build(x) for x in s]
        if type(s) is tuple:
            return tuple(build(x) for x in s)
        if is_nested(s):
            keys, children = _children(s)
            return _rebuild(s, keys, [build(c) for c in children])
        return next(it)

    return build(structure)


def lists_to_tuples(structure):
    """``structure`` with every list turned into a tuple."""

    def build(node):
        if not is_nested(node):
            return node
        keys, children = _children(node)
        children = [build(c) for c in children]
        if isinstance(node, list):
            return tuple(children)
        return _rebuild(node, keys, children)

    return build(structure)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(
        isinstance(e, int) or e is None for e in x) and not _is_namedtuple(x)


def map_shape_structure(func, structure):
    """``map_structure`` where a tuple or list of ints and ``None`` (a shape) is a leaf."""
    if _is_shape(structure) or not is_nested(structure):
        return func(structure)
    keys, children = _children(structure)
    return _rebuild(structure, keys, [map_shape_structure(func, c) for c in children])


def traverse(func, structure, top_down=True):
    """``func`` on every node and leaf.

    Top down: where ``func`` returns ``None`` the walk goes on into the node's children
    (and keeps the node); any other value replaces the node (``MAP_TO_NONE``: ``None``).
    Bottom up: the children are visited first; ``func`` then sees the rebuilt node and
    a ``None`` result keeps it.
    """

    def result(value, default):
        if value is None:
            return default
        return None if value is MAP_TO_NONE else value

    def down(node):
        value = func(node)
        if value is not None:
            return result(value, node)
        if not is_nested(node):
            return node
        keys, children = _children(node)
        return _rebuild(node, keys, [down(c) for c in children])

    def up(node):
        if is_nested(node):
            keys, children = _children(node)
            node = _rebuild(node, keys, [up(c) for c in children])
        return result(func(node), node)

    return down(structure) if top_down else up(structure)


def assert_same_structure(a, b, check_types=None):
    """Raises ValueError unless ``a`` and ``b`` nest the same node types and keys
    (``check_types`` is accepted for Keras 2 code and ignored, as in Keras 3)."""
    del check_types

    def walk(x, y):
        if is_nested(x) != is_nested(y):
            raise ValueError("Structures don't have the same nested structure.")
        if is_nested(x):
            _check_same_node(x, y)
            keys, _ = _children(x)
            for k in keys:
                walk(x[k], y[k])

    walk(a, b)


def assert_same_paths(a, b):
    """Raises ValueError unless ``a`` and ``b`` have the same leaf paths (node types may
    differ: a list and a tuple of two leaves have the same paths)."""
    paths_a = {path for path, _ in flatten_with_path(a)}
    paths_b = {path for path, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        raise ValueError(
            "`a` and `b` don't have the same paths.\n"
            f"Paths in `a` missing in `b`:\n{paths_a - paths_b}\n"
            f"Paths in `b` missing in `a`:\n{paths_b - paths_a}")


__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
           "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
           "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse"]
