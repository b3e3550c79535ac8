"""Tiny helpers for nested structures (lists, tuples, dicts) of tensors."""


def flatten(structure):
    """Leaves of a nested list/tuple/dict structure, dicts in sorted-key order."""
    if isinstance(structure, (list, tuple)):
        out = []
        for item in structure:
            out.extend(flatten(item))
        return out
    if isinstance(structure, dict):
        out = []
        for key in sorted(structure):
            out.extend(flatten(structure[key]))
        return out
    return [structure]


def map_structure(fn, structure):
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def pack_sequence_as(structure, flat):
    """Inverse of ``flatten``: rebuild ``structure`` from the flat list of leaves."""
    it = iter(flat)

    def build(s):
        if isinstance(s, list):
            return [build(x) for x in s]
        if isinstance(s, tuple):
            return tuple(build(x) for x in s)
        if isinstance(s, dict):
            built = {k: build(s[k]) for k in sorted(s)}
            return {k: built[k] for k in s}
        return next(it)

    return build(structure)


def is_nested(structure):
    return isinstance(structure, (list, tuple, dict))
