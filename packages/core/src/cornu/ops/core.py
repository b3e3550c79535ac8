"""``cornu.ops.core``: bound to the active backend's ``core`` namespace on first use."""
from cornu.ops._front import bind_front

__getattr__ = bind_front(__name__, ("core",))
