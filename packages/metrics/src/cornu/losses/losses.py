"""Loss functions (per-sample values) and the ``Loss`` classes that reduce them.

Keras 3 names, arguments, defaults and configs.  The functions return one value
per sample (the last axis reduced); the classes weight and reduce them.

Targets and predictions whose ranks differ by one trailing axis of size 1
(labels ``(N,)`` against a ``(N, 1)`` sigmoid output, or the reverse) are
aligned first, as Keras's ``LossFunctionWrapper`` aligns them
(``squeeze_or_expand_to_same_rank``): a static rank comparison, nothing when
the ranks agree.  Every element-wise function aligns, also those that Keras 3
leaves to its loss classes (where the bare Keras function raises or broadcasts
to ``(N, N)``); the label-index losses (sparse categorical, CTC, circle,
generalized crossentropy) handle their own label shapes.
"""
import warnings

from cornu import CornuWarning, config, ops
from cornu.losses.loss import Loss, set_mask, squeeze_or_expand_to_same_rank


def _pair(y_true, y_pred):
    """``y_pred`` as a tensor and ``y_true`` as a tensor of the same dtype."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    return y_true, y_pred


def _check_axis(axis):
    if isinstance(axis, bool):
        raise ValueError(
            f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}"
        )


def _l2_normalize(x, axis=-1):
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    inv_norm = ops.minimum(ops.rsqrt(square_sum), 1.0 / config.epsilon())
    return ops.multiply(x, inv_norm)


# -- regression ----------------------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred),
                              ops.maximum(ops.abs(y_true), config.epsilon())))
    return ops.multiply(100.0, ops.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    eps = config.epsilon()
    first_log = ops.log(ops.add(ops.maximum(y_pred, eps), 1.0))
    second_log = ops.log(ops.add(ops.maximum(y_true, eps), 1.0))
    return ops.mean(ops.square(ops.subtract(first_log, second_log)), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = _l2_normalize(y_pred, axis=axis)
    y_true = _l2_normalize(y_true, axis=axis)
    return ops.negative(ops.sum(ops.multiply(y_true, y_pred), axis=axis))


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for ``|error| <= delta``, linear beyond; mean over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    delta = ops.convert_to_tensor(delta, dtype=ops.dtype(y_pred))
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(0.5, ops.square(error))
    linear = ops.subtract(ops.multiply(delta, abs_error), ops.multiply(0.5, ops.square(delta)))
    return ops.mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    x = ops.subtract(y_pred, y_true)
    log2 = 0.6931471805599453
    value = ops.subtract(ops.add(x, ops.softplus(ops.multiply(x, -2.0))), log2)
    return ops.mean(value, axis=-1)


# -- probabilistic -------------------------------------------------------------------
def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to [eps, 1]."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    eps = config.epsilon()
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(
        ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, config.epsilon())))),
        axis=-1,
    )


def _smooth_categorical(y_true, label_smoothing):
    num_classes = y_true.shape[-1]
    if num_classes is None:
        num_classes = ops.cast(ops.shape(y_true)[-1], ops.dtype(y_true))
    return ops.add(ops.multiply(y_true, 1.0 - label_smoothing),
                   ops.divide(label_smoothing, num_classes))


class _SingleClassWarning(CornuWarning, SyntaxWarning):
    """A probabilistic loss given one class (a SyntaxWarning in Keras, so caught as one)."""


def _warn_single_class(name, y_pred):
    if y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {name}, expected y_pred.shape to be (batch_size, num_classes) "
            f"with num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            _SingleClassWarning,
            stacklevel=3,
        )


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or soft) ``y_true`` and ``y_pred``.

    Args:
        from_logits: whether ``y_pred`` holds logits (else probabilities, which
            are renormalized and clipped to ``[eps, 1 - eps]``).
        label_smoothing: in [0, 1]; ``y_true * (1 - s) + s / num_classes``.
        axis: the class axis.
    Returns:
        The per-sample losses (``axis`` reduced).
    """
    _check_axis(axis)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _warn_single_class("categorical_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing)
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical crossentropy scaled by ``alpha * (1 - p) ** gamma`` per class."""
    _check_axis(axis)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    output = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    eps = config.epsilon()
    output = ops.clip(output, eps, 1.0 - eps)
    cce = ops.multiply(ops.negative(y_true), ops.log(output))
    modulating_factor = ops.power(ops.subtract(1.0, output), gamma)
    focal_cce = ops.multiply(ops.multiply(modulating_factor, alpha), cce)
    return ops.sum(focal_cce, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy between integer labels ``y_true`` and ``y_pred``.

    Args:
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label value whose samples get loss 0 and are masked out of
            the reduction (the per-sample output carries the mask).
        axis: the class axis of ``y_pred``.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[axis] == 1:
        y_true = ops.squeeze(y_true, axis=axis)
    valid_mask = None
    if ignore_class is not None:
        valid_mask = ops.not_equal(y_true, ops.cast(ignore_class, ops.dtype(y_true)))
        y_true = ops.where(valid_mask, y_true, ops.zeros_like(y_true))
        y_pred = ops.where(ops.expand_dims(valid_mask, axis), y_pred, ops.zeros_like(y_pred))
    res = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    if valid_mask is not None:
        res = ops.where(valid_mask, res, ops.zeros_like(res))
        set_mask(res, valid_mask)
    return res


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over ``axis`` of the element-wise binary crossentropy.

    Args:
        from_logits: whether ``y_pred`` holds logits (else probabilities clipped
            to ``[eps, 1 - eps]``).
        label_smoothing: ``y_true * (1 - s) + 0.5 * s``.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy scaled by ``(1 - p_t) ** gamma`` (and ``alpha`` if balancing)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = ops.add(ops.multiply(y_true, y_pred),
                  ops.multiply(ops.subtract(1.0, y_true), ops.subtract(1.0, y_pred)))
    focal_bce = ops.multiply(ops.power(ops.subtract(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        weight = ops.add(ops.multiply(y_true, alpha),
                         ops.multiply(ops.subtract(1.0, y_true), 1.0 - alpha))
        focal_bce = ops.multiply(weight, focal_bce)
    return ops.mean(focal_bce, axis=axis)


# -- hinge ---------------------------------------------------------------------------
def _convert_binary_labels_to_hinge(y_true):
    """Labels in {0, 1} become {-1, 1}; anything else is left as is (graph-safe)."""
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)))
    return ops.where(is_binary, ops.subtract(ops.multiply(y_true, 2.0), 1.0), y_true)


def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels become -1/1."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true = _convert_binary_labels_to_hinge(y_true)
    return ops.mean(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true = _convert_binary_labels_to_hinge(y_true)
    return ops.mean(
        ops.square(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0)), axis=-1
    )


def categorical_hinge(y_true, y_pred):
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


# -- segmentation --------------------------------------------------------------------
def dice(y_true, y_pred, axis=None):
    """``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)``."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    denominator = ops.add(ops.add(ops.sum(y_true, axis=axis), ops.sum(y_pred, axis=axis)),
                          config.epsilon())
    return ops.subtract(1.0, ops.divide(ops.multiply(2.0, intersection), denominator))


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - TP / (TP + alpha * FP + beta * FN + eps)`` (soft counts)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    fp = ops.sum(ops.multiply(ops.subtract(1.0, y_pred), y_true), axis=axis)
    fn = ops.sum(ops.multiply(y_pred, ops.subtract(1.0, y_true)), axis=axis)
    denominator = ops.add(
        ops.add(ops.add(intersection, ops.multiply(fp, alpha)), ops.multiply(fn, beta)),
        config.epsilon(),
    )
    return ops.subtract(1.0, ops.divide(intersection, denominator))


# -- sequences -----------------------------------------------------------------------
def ctc(y_true, y_pred):
    """Connectionist temporal classification loss, one value per sample.

    Args:
        y_true: ``(batch, max_label_length)`` integer labels; 0 is the blank and
            pads each label sequence at its end (a label never uses class 0).
        y_pred: ``(batch, time_steps, num_classes)`` logits (not softmaxed); all
            time steps are used.
    Returns:
        ``(batch,)`` negative log-likelihoods of the labels.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` "
            f"in integer format. Received: y_true.shape={tuple(y_true.shape)}"
        )
    if len(y_pred.shape) != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            f"`(batch_size, max_length, num_classes)`. Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    y_true = ops.cast(y_true, "int32")
    blank = 0
    label_length = ops.sum(ops.cast(ops.not_equal(y_true, blank), "int32"), axis=-1)
    logit_length = ops.multiply(ops.ones_like(label_length), ops.shape(y_pred)[1])
    return ops.ctc_loss(y_true, y_pred, label_length, logit_length, mask_index=blank)


# -- metric learning -----------------------------------------------------------------
def _pair_masks(query_labels, key_labels, remove_diagonal=True):
    """Boolean ``(queries, keys)`` masks of same-label and different-label pairs."""
    if len(query_labels.shape) == 1:
        query_labels = ops.reshape(query_labels, (-1, 1))
    if len(key_labels.shape) == 1:
        key_labels = ops.reshape(key_labels, (-1, 1))
    positive = ops.equal(query_labels, ops.transpose(key_labels))
    negative = ops.logical_not(positive)
    if remove_diagonal:
        off_diagonal = ops.logical_not(ops.eye(ops.size(query_labels), ops.size(key_labels),
                                               dtype="bool"))
        positive = ops.logical_and(positive, off_diagonal)
    return positive, negative


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80,
           margin=0.4):
    """Circle loss (Sun et al., 2020) between integer labels and L2-normalized embeddings.

    With ``d`` the cosine distances between each embedding and the reference
    embeddings (clipped at 0), positives ``P`` (same label, not itself when
    ``remove_diagonal``) and negatives ``N`` (another label)::

        a_p = max(margin + d, 0),        a_n = max(1 + margin - d, 0)
        loss = softplus(logsumexp_P(-gamma * a_p * (margin - d))
                        + logsumexp_N(gamma * a_n * (1 - margin - d)))

    Args:
        y_true: ``(batch,)`` integer labels.
        y_pred: ``(batch, dim)`` L2-normalized embeddings.
        ref_labels, ref_embeddings: the references (default: the batch itself).
        remove_diagonal: whether a sample is not its own positive (default True).
        gamma: the scale (default 80).
        margin: the relaxation margin (default 0.4).
    Returns:
        ``(batch,)`` losses; samples whose loss is 0 are masked out of the
        reduction (the result carries the mask).
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, "int32")
    ref_embeddings = (y_pred if ref_embeddings is None
                      else ops.convert_to_tensor(ref_embeddings, dtype=ops.dtype(y_pred)))
    ref_labels = y_true if ref_labels is None else ops.cast(ref_labels, "int32")
    distances = ops.maximum(
        ops.subtract(1.0, ops.matmul(y_pred, ops.transpose(ref_embeddings))), 0.0)
    positive, negative = _pair_masks(y_true, ref_labels, remove_diagonal=remove_diagonal)
    dtype = ops.dtype(distances)
    pos_weights = ops.maximum(
        ops.multiply(ops.add(distances, margin), ops.cast(positive, dtype)), 0.0)
    neg_weights = ops.maximum(
        ops.multiply(ops.subtract(1.0 + margin, distances), ops.cast(negative, dtype)), 0.0)
    pos_logits = ops.multiply(ops.multiply(-gamma, pos_weights), ops.subtract(margin, distances))
    neg_logits = ops.multiply(ops.multiply(gamma, neg_weights),
                              ops.subtract(1.0 - margin, distances))
    neg_inf = float("-inf")
    p_loss = ops.logsumexp(ops.where(positive, pos_logits, neg_inf), axis=1)
    n_loss = ops.logsumexp(ops.where(negative, neg_logits, neg_inf), axis=1)
    loss = ops.softplus(ops.add(p_loss, n_loss))
    return set_mask(loss, ops.greater(loss, 0.0))


# -- noisy labels --------------------------------------------------------------------
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross entropy (Zhang & Sabuncu, 2018): ``(1 - p ** q) / q``.

    ``p`` is the predicted probability of the true class; ``q`` in (0, 1) moves
    the loss from crossentropy (``q -> 0``) towards mean absolute error (``q = 1``),
    which makes it robust to noisy labels.

    Args:
        y_true: ``(batch,)`` or ``(batch, 1)`` integer class indices.
        y_pred: ``(batch, num_classes)`` probabilities.
        q: the noise parameter.
    Returns:
        ``(batch,)`` losses.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    num_classes = y_pred.shape[-1] or ops.shape(y_pred)[-1]
    one_hot = ops.one_hot(ops.cast(y_true, "int32"), num_classes, dtype=ops.dtype(y_pred))
    p = ops.sum(ops.multiply(y_pred, one_hot), axis=-1)
    return ops.divide(ops.subtract(1.0, ops.power(p, q)), q)


# -- classes -------------------------------------------------------------------------
class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: the loss function.
        reduction, name, dtype: see ``Loss``.
        **kwargs: keyword arguments passed to ``fn`` on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        from cornu.losses._serialization import serialize_function

        config = super().get_config()
        config["fn"] = serialize_function(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        from cornu.losses._serialization import deserialize_function

        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors between labels and predictions."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute differences between labels and predictions."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error between labels and predictions."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error between labels and predictions."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the prediction error."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class Hinge(LossFunctionWrapper):
    """Hinge loss; labels in {0, 1} become {-1, 1}."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss; labels in {0, 1} become {-1, 1}."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss for one-hot labels."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence between labels and predictions."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class Poisson(LossFunctionWrapper):
    """Poisson loss between labels and predictions."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity between labels and predictions along ``axis``."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype,
                         axis=axis)

    def get_config(self):
        return Loss.get_config(self)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for small errors, linear beyond ``delta``."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)

    def get_config(self):
        return Loss.get_config(self)


class BinaryCrossentropy(LossFunctionWrapper):
    """Crossentropy for binary (0/1) labels.

    Args:
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: squeezes labels towards 0.5.
        axis: the axis the mean is taken over.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits,
                       "label_smoothing": self.label_smoothing, "axis": self.axis})
        return config


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal crossentropy (Lin et al., 2017)."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self):
        config = Loss.get_config(self)
        config.update({
            "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
            "axis": self.axis, "apply_class_balancing": self.apply_class_balancing,
            "alpha": self.alpha, "gamma": self.gamma,
        })
        return config


class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for one-hot labels.

    Args:
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: ``y_true * (1 - s) + s / num_classes``.
        axis: the class axis.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits,
                       "label_smoothing": self.label_smoothing, "axis": self.axis})
        return config


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal crossentropy."""

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self):
        config = Loss.get_config(self)
        config.update({
            "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
            "axis": self.axis, "alpha": self.alpha, "gamma": self.gamma,
        })
        return config


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for integer labels.

    Args:
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label whose samples are left out of the loss (e.g. padding).
        axis: the class axis of ``y_pred``.
    """

    # Integer labels are used as indices: no round trip through float.
    _cast_y_true = False

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "ignore_class": self.ignore_class})
        return config


class Dice(LossFunctionWrapper):
    """Dice loss (``1 - dice coefficient``), reduced over ``axis``."""

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"axis": self.axis})
        return config


class Tversky(LossFunctionWrapper):
    """Tversky loss (``1 - Tversky index``)."""

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)
        self.alpha = alpha
        self.beta = beta
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"alpha": self.alpha, "beta": self.beta, "axis": self.axis})
        return config


class CTC(LossFunctionWrapper):
    """Connectionist temporal classification loss (see ``ctc``).

    ``y_true`` is ``(batch, max_label_length)`` integer labels padded with 0 (the
    blank); ``y_pred`` is ``(batch, time_steps, num_classes)`` logits.
    """

    _cast_y_true = False  # integer labels

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class Circle(LossFunctionWrapper):
    """Circle loss between integer labels and L2-normalized embeddings (see ``circle``).

    The model should end with a linear ``Dense`` followed by ``UnitNormalization``.

    Args:
        gamma: the scale of the similarity scores (default 80.0).
        margin: the relaxation margin (default 0.4).
        remove_diagonal: whether a sample is not its own positive (default True).
    """

    _cast_y_true = False  # integer labels

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"gamma": self.gamma, "margin": self.margin,
                       "remove_diagonal": self.remove_diagonal})
        return config


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross entropy for integer labels, robust to label noise.

    Args:
        q: in (0, 1) (default 0.5): near 0 it behaves like crossentropy, near 1
            like mean absolute error.
    """

    _cast_y_true = False  # integer labels

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q}")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction,
                         dtype=dtype, q=q)
        self.q = q

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"q": self.q})
        return config


ALL_LOSS_CLASSES = (
    Loss, LossFunctionWrapper,
    KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy,
    CategoricalCrossentropy, CategoricalFocalCrossentropy, SparseCategoricalCrossentropy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCosh, Huber,
    Hinge, SquaredHinge, CategoricalHinge, Dice, Tversky, CTC, Circle,
    CategoricalGeneralizedCrossEntropy,
)

ALL_LOSS_FUNCTIONS = (
    kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy,
    categorical_crossentropy, categorical_focal_crossentropy, sparse_categorical_crossentropy,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, cosine_similarity, log_cosh, huber,
    hinge, squared_hinge, categorical_hinge, dice, tversky, ctc, circle,
    categorical_generalized_cross_entropy,
)

#: Short names (Keras 3's, plus its legacy spellings) -> loss functions.
LOSS_ALIASES = {
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "kullback_leibler_divergence": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "logcosh": log_cosh,
}
