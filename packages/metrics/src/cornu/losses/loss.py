"""The ``Loss`` base class and the reduction helpers shared by losses and metrics.

Everything here is written against ``cornu.ops`` and branches only on static
shapes and dtypes, so it runs eagerly on torch and inside a ``tf.function`` on
tensorflow.
"""
from cornu import config, ops, tree
from cornu.naming import to_snake_case, uniquify

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction):
    """Validate a ``reduction`` argument (Keras 3 spellings)."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{set(REDUCTIONS)}. Received: reduction={reduction!r}"
        )
    return reduction


def standardize_dtype(dtype):
    """A dtype string from ``None`` (floatx), a string, or a Keras-style policy object."""
    if dtype is None:
        return config.floatx()
    compute = getattr(dtype, "compute_dtype", None)  # a DTypePolicy-like object
    if compute is not None:
        return compute
    if isinstance(dtype, str):
        return dtype
    from cornu.backend import get_backend

    return get_backend().core.standardize_dtype(dtype)


def auto_name(class_name):
    """``MeanSquaredError`` -> ``mean_squared_error``, then ``_1``, ``_2`` if taken."""
    return uniquify(to_snake_case(class_name))


# -- masks ---------------------------------------------------------------------------
# A loss function may attach a boolean mask to its per-sample output (as Keras does with
# ``_keras_mask``): ``sparse_categorical_crossentropy(ignore_class=...)`` uses it, and a
# masked ``y_pred`` (from a masking layer) is honoured the same way.
def get_mask(x):
    return getattr(x, "_keras_mask", None)


def set_mask(x, mask):
    try:
        x._keras_mask = mask
    except (AttributeError, TypeError):  # a tensor type without a __dict__
        pass
    return x


def num_elements(x):
    """The number of elements of ``x``: a Python int when static, else a scalar tensor."""
    return ops.size(x)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Squeeze or expand the last axis when the ranks differ by exactly one."""
    x1_rank = len(x1.shape)
    x2_rank = len(x2.shape)
    if x1_rank == x2_rank:
        return x1, x2
    if x1_rank == x2_rank + 1 and x1.shape[-1] == 1:
        if x2_rank == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, axis=-1)
        else:
            x1 = ops.squeeze(x1, axis=-1)
    if x2_rank == x1_rank + 1 and x2.shape[-1] == 1:
        if x1_rank == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, axis=-1)
        else:
            x2 = ops.squeeze(x2, axis=-1)
    return x1, x2




def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce already weighted per-sample values to the loss (see ``Loss``)."""
    if reduction is None or reduction == "none":
        return values
    shape = tuple(values.shape)
    if shape == () or shape == (0,):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return ops.divide_no_nan(ops.sum(values), ops.cast(ops.sum(sample_weight), values.dtype))
    # "sum_over_batch_size" / "mean": sum over the number of elements.
    count = num_elements(values)
    if isinstance(count, int):  # static: one mean kernel, no division by zero possible
        return ops.mean(values) if count else ops.sum(values)
    return ops.divide_no_nan(ops.sum(values), ops.cast(count, values.dtype))


def apply_mask(sample_weight, mask, dtype, reduction):
    """Merge a boolean mask into the sample weights (Keras 3 semantics)."""
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        # Valid entries get weight total/valid so that the mean over all entries
        # equals the mean over the valid ones.
        total = ops.cast(num_elements(mask), dtype)
        valid = ops.sum(ops.cast(mask, dtype))
        mask_weight = ops.divide_no_nan(total, valid)
        float_mask = ops.where(ops.cast(mask, "bool"), mask_weight, ops.zeros_like(mask_weight))
    else:
        float_mask = ops.cast(mask, dtype)
    if sample_weight is not None:
        sample_weight = ops.cast(sample_weight, dtype)
        float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
        return ops.multiply(sample_weight, float_mask)
    return float_mask


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None):
    """Weight per-sample ``values`` by ``sample_weight`` (and ``mask``), then reduce."""
    reduction = standardize_reduction(reduction)
    values = ops.convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        sample_weight = ops.cast(sample_weight, values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of the losses: ``__call__`` computes, weights and reduces.

    Subclasses implement ``call(y_true, y_pred)`` returning per-sample losses.

    Args:
        name: the loss name (default: the snake_case class name).
        reduction: ``"sum_over_batch_size"`` (default; the weighted sum divided by
            the number of elements), ``"sum"``, ``"mean"`` (same as the default),
            ``"mean_with_sample_weight"`` (divided by the sum of the sample
            weights), or ``"none"``/``None`` (per-sample values).
        dtype: the computation dtype (default ``cornu.config.floatx()``).
    """

    #: Whether ``__call__`` converts ``y_true`` to ``dtype`` (sparse labels need not be).
    _cast_y_true = True

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = standardize_dtype(dtype)

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = get_mask(y_pred)
        # Nested targets and predictions (a dict of labels and a mask, as KerasRS's
        # ranking losses take) are converted leaf by leaf, as Keras's Loss does.
        y_pred = tree.map_structure(lambda x: ops.convert_to_tensor(x, dtype=self._dtype),
                                    y_pred)
        true_dtype = self._dtype if self._cast_y_true else None
        y_true = tree.map_structure(lambda x: ops.convert_to_tensor(x, dtype=true_dtype),
                                    y_true)
        losses = self.call(y_true, y_pred)
        out_mask = get_mask(losses)
        if in_mask is not None and out_mask is not None:
            mask = ops.logical_and(in_mask, out_mask)
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(
            losses, sample_weight=sample_weight, mask=mask,
            reduction=self.reduction, dtype=self._dtype,
        )

    def call(self, y_true, y_pred):
        """Per-sample losses; implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__}.call() is not implemented")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


__all__ = [
    "Loss", "apply_mask", "reduce_values", "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank", "standardize_reduction",
]
