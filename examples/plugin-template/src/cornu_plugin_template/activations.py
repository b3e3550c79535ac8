"""An activation: the bent identity, ``(sqrt(x^2 + 1) - 1) / 2 + x``."""
from cornu import ops


def bent_identity(x):
    """Bent identity: smooth, unbounded, with slope in (0.5, 1.5)."""
    x = ops.convert_to_tensor(x)
    return ops.add(ops.divide(ops.subtract(ops.sqrt(ops.add(ops.square(x), 1.0)), 1.0), 2.0), x)
