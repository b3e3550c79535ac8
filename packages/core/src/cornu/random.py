"""``cornu.random``: random tensors and ``SeedGenerator``, from the active backend."""
from cornu.ops._front import bind_front

__getattr__ = bind_front(__name__, ("random",))
