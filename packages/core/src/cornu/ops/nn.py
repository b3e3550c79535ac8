"""``cornu.ops.nn``: bound to the active backend's ``nn`` namespace on first use."""
from cornu.ops._front import bind_front

__getattr__ = bind_front(__name__, ("nn",))
