"""A metric: the fraction of predicted values within ``tolerance`` of the target."""
from cornu import ops
from cornu.metrics import Metric


class WithinTolerance(Metric):
    """Mean over samples of the fraction of values with ``|y_pred - y_true| <= tolerance``.

    Args:
        tolerance: the allowed absolute error (default 0.1).
        name, dtype: as for every metric.
    """

    def __init__(self, tolerance=0.1, name="within_tolerance", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.tolerance = float(tolerance)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true = ops.cast(y_true, self.dtype)
        close = ops.cast(ops.less_equal(ops.abs(ops.subtract(y_pred, y_true)), self.tolerance),
                         self.dtype)
        per_sample = ops.mean(close, axis=-1) if len(ops.shape(close)) > 1 else close
        if sample_weight is None:
            self.total.assign_add(ops.sum(per_sample))
            self.count.assign_add(ops.cast(ops.shape(per_sample)[0], self.dtype))
        else:
            weight = ops.cast(ops.reshape(sample_weight, ops.shape(per_sample)), self.dtype)
            self.total.assign_add(ops.sum(ops.multiply(per_sample, weight)))
            self.count.assign_add(ops.sum(weight))

    def result(self):
        return ops.divide(self.total.value, ops.maximum(self.count.value, 1e-12))

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "tolerance": self.tolerance}
