"""``cornu.ops.numpy``: bound to the active backend's ``numpy`` namespace on first use."""
from cornu.ops._front import bind_front

__getattr__ = bind_front(__name__, ("numpy",))
