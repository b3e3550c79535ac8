"""``cornu.ops.math``: bound to the active backend's ``math`` namespace on first use."""
from cornu.ops._front import bind_front

__getattr__ = bind_front(__name__, ("math",))
