"""``Sum``, ``Mean`` and ``MeanMetricWrapper``: weighted running reductions."""
from cornu import ops
from cornu.losses.loss import apply_mask, get_mask, squeeze_or_expand_to_same_rank
from cornu.metrics.metric import Metric


def _axes(start, stop):
    return list(range(start, stop))


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Weight ``values`` and reduce them to one value per sample (Keras 3 semantics).

    Returns ``(values, sample_weight)``: values of shape ``(batch,)`` (or a
    scalar), weighted when ``sample_weight`` is given, and the weights reduced
    the same way.
    """
    mask = get_mask(values)
    values = ops.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype=dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = len(sample_weight.shape)
        values_ndim = len(values.shape)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=_axes(weight_ndim, values_ndim))
        if tuple(sample_weight.shape) != tuple(values.shape):
            sample_weight = ops.broadcast_to(sample_weight, ops.shape(values))
        values = ops.multiply(values, sample_weight)
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=_axes(1, weight_ndim))
    values_ndim = len(values.shape)
    if values_ndim > 1:
        values = reduce_fn(values, axis=_axes(1, values_ndim))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the given values.

    Args:
        name: the metric name.
        dtype: the dtype of the accumulator and result.
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        self.total.assign_add(ops.sum(values))

    def reset_state(self):
        self.total.assign(ops.zeros((), dtype=self.total.dtype))

    def result(self):
        return ops.cast(ops.copy(self.total.value), self.dtype)


class Mean(Metric):
    """The (weighted) mean of the given values: ``total / count``.

    Values of rank > 1 are first averaged to one value per sample.

    Args:
        name: the metric name.
        dtype: the dtype of the accumulators and result.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="count")

    def update_state(self, values, sample_weight=None):
        if (sample_weight is None and len(getattr(values, "shape", ())) == 1
                and getattr(values, "_keras_mask", None) is None):
            # The common per-batch case: one unweighted value per sample.
            self.total.assign_add(ops.sum(values))
            self.count.assign_add(values.shape[0] if values.shape[0] is not None
                                  else ops.cast(ops.shape(values)[0], self.dtype))
            return
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, ops.mean, self.dtype
        )
        self.total.assign_add(ops.sum(values))
        if sample_weight is not None:
            num_samples = ops.sum(sample_weight)
        elif len(values.shape) >= 1:
            num_samples = ops.shape(values)[0]  # a Python int unless the batch is dynamic
        else:
            num_samples = 1
        if not isinstance(num_samples, (int, float)):
            num_samples = ops.cast(num_samples, self.dtype)
        self.count.assign_add(num_samples)

    def reset_state(self):
        zero = ops.zeros((), dtype=self.total.dtype)
        self.total.assign(zero)
        self.count.assign(zero)

    def result(self):
        return ops.divide_no_nan(self.total, ops.cast(self.count, self.dtype))


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: the metric (or loss) function.
        name: the metric name.
        dtype: the dtype of the accumulators and result.
        **kwargs: keyword arguments passed to ``fn`` on every call.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        self._direction = "down" if _is_loss(fn) else None

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = get_mask(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype=self.dtype, reduction="sum")
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        from cornu.losses._serialization import serialize_function

        config = super().get_config()
        config["fn"] = serialize_function(self._fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        from cornu.losses._serialization import deserialize_function

        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize_function(config["fn"], kind="metric")
        return cls(**config)


def _is_loss(fn):
    from cornu.losses import Loss
    from cornu.losses.losses import ALL_LOSS_FUNCTIONS

    return fn in ALL_LOSS_FUNCTIONS or isinstance(fn, Loss)


__all__ = ["Sum", "Mean", "MeanMetricWrapper", "reduce_to_samplewise_values"]
