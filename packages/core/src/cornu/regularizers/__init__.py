"""``cornu.regularizers``: weight penalties added to the training loss."""
from cornu import ops
from cornu.serialization import make_kind_api


class Regularizer:
    """Base class: ``regularizer(weight) -> scalar penalty``."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty = ops.multiply(self.l1, ops.sum(ops.abs(x)))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(self.l2, ops.sum(ops.square(x))))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1=0.01):
        self.l1 = float(l1)

    def __call__(self, x):
        return ops.multiply(self.l1, ops.sum(ops.abs(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2=0.01):
        self.l2 = float(l2)

    def __call__(self, x):
        return ops.multiply(self.l2, ops.sum(ops.square(x)))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2D kernel."""

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: mode must be rows or columns, received {mode!r}")
        self.factor = float(factor)
        self.mode = mode

    def __call__(self, x):
        if len(x.shape) != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2D input, received shape {tuple(x.shape)}")
        if self.mode == "columns":
            x = ops.transpose(x)
        norm = ops.sqrt(ops.sum(ops.square(x), axis=1, keepdims=True))
        x = ops.divide(x, ops.maximum(norm, 1e-12))
        product = ops.matmul(x, ops.transpose(x))
        size = x.shape[0]
        off = ops.subtract(product, ops.eye(size, dtype=product.dtype))
        return ops.multiply(self.factor, ops.divide(ops.sum(ops.abs(off)), size * (size - 1)))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer
ALL_REGULARIZERS = (L1, L2, L1L2, OrthogonalRegularizer)
ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}
serialize, deserialize, get = make_kind_api("regularizer", Regularizer)
