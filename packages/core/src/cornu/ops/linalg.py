"""``cornu.ops.linalg``: bound to the active backend's ``linalg`` namespace on first use."""
from cornu.ops._front import bind_front

__getattr__ = bind_front(__name__, ("linalg",))
