"""Argument normalization shared by every backend's op modules (no framework import)."""


def standardize_tuple(value, n, name="value"):
    """``value`` (an int, or one or ``n`` ints) as a tuple of ``n`` ints."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1 and n > 1:
        value = value * n
    if len(value) != n:
        raise ValueError(f"`{name}` must be an int or a tuple of {n} ints, received {value}")
    return value


def canonical_axis(axis, ndim):
    """``axis`` (int, tuple or None) as a tuple of non-negative ints (None -> all)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(a % ndim if ndim else a for a in axis)


def shape_text(shape):
    """A static shape (a tuple, ``None`` entries unknown; ``None`` for an unknown rank)
    as error messages show it."""
    return "<unknown>" if shape is None else str(tuple(shape))
