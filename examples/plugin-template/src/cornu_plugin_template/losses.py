"""A loss: the pseudo-Huber loss, ``delta^2 * (sqrt(1 + ((y_pred - y_true) / delta)^2) - 1)``,
averaged over the last axis."""
from cornu import ops
from cornu.losses import Loss


def pseudo_huber(y_true, y_pred, delta=1.0):
    """Per-sample pseudo-Huber loss (mean over the last axis)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    scaled = ops.divide(ops.subtract(y_pred, y_true), delta)
    per_value = ops.multiply(ops.subtract(ops.sqrt(ops.add(ops.square(scaled), 1.0)), 1.0),
                             delta * delta)
    return ops.mean(per_value, axis=-1)


class PseudoHuber(Loss):
    """The pseudo-Huber loss: quadratic near zero, linear (slope ``delta``) far out.

    Args:
        delta: where the loss turns from quadratic to linear (default 1.0).
        reduction, name, dtype: as for every ``cornu.losses.Loss``.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="pseudo_huber",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if float(delta) <= 0:
            raise ValueError(f"PseudoHuber: delta must be positive, received {delta!r}")
        self.delta = float(delta)

    def call(self, y_true, y_pred):
        return pseudo_huber(y_true, y_pred, self.delta)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}
