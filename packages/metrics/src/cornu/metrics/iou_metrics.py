"""Intersection-over-union metrics over a running confusion matrix.

``IoU`` keeps a ``(num_classes, num_classes)`` confusion matrix (rows: true
class, columns: predicted class) and adds each batch with one segment sum over
``true * num_classes + pred``: no host copy, no data-dependent shape.  As in
Keras the matrix is integer by default (``dtype="int"``: ``int32``, or ``int64`` on a
backend that keeps 64-bit results, as TensorFlow), so
float sample weights are truncated unless ``dtype`` is a float dtype.
"""
import warnings

from cornu import CornuWarning, config, ops
from cornu.metrics.metric import Metric


def _default_int_dtype():
    """Keras's ``dtype="int"``: 64 bits where the backend keeps 64-bit results
    (``RESULT_TYPE_KEEPS_64BIT``: TensorFlow), else 32."""
    from cornu.backend import standardize_dtype

    return standardize_dtype("int")


def confusion_matrix(labels, predictions, num_classes, weights=None, dtype="int32"):
    """The ``(num_classes, num_classes)`` confusion matrix of 1D labels and predictions.

    Rows are the true labels, columns the predictions; each pair adds its
    weight (default 1).  Ids outside ``[0, num_classes)`` must be masked by the
    caller (their weight set to 0).
    """
    labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
    predictions = ops.cast(ops.reshape(predictions, (-1,)), "int32")
    if weights is None:
        values = ops.ones_like(labels, dtype=dtype)
    else:
        values = ops.cast(ops.broadcast_to(weights, ops.shape(labels)), dtype)
    ids = ops.add(ops.multiply(labels, num_classes), predictions)
    flat = ops.segment_sum(values, ids, num_segments=num_classes * num_classes)
    return ops.reshape(flat, (num_classes, num_classes))


class _IoUBase(Metric):
    """The confusion-matrix state shared by the IoU metrics.

    Args:
        num_classes: the number of classes (the matrix is square).
        ignore_class: a label id whose samples are not counted.
        sparse_y_true: labels are integer ids (else one-hot / scores: argmax).
        sparse_y_pred: predictions are integer ids (else scores: argmax).
        axis: the class axis for the argmax.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or _default_int_dtype())
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(shape=(num_classes, num_classes),
                                          initializer="zeros", dtype=self.dtype,
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's (weighted) confusion matrix."""
        if not self.sparse_y_true:
            y_true = ops.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = ops.argmax(y_pred, axis=self.axis)
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        y_pred = ops.reshape(ops.convert_to_tensor(y_pred, dtype=self.dtype), (-1,))
        if sample_weight is None:
            sample_weight = ops.ones_like(y_true)
        else:
            if ("float" in str(getattr(sample_weight, "dtype", ""))
                    and "int" in str(self.dtype)):
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may "
                    "result in an incorrect weight due to type casting. Consider using "
                    "integer weights.", stacklevel=2, category=CornuWarning)
            sample_weight = ops.convert_to_tensor(sample_weight, dtype=self.dtype)
            rank, labels_rank = len(sample_weight.shape), len(y_true.shape)
            if 0 < rank < labels_rank:  # per-sample weights of per-element labels
                sample_weight = ops.broadcast_to(
                    ops.reshape(sample_weight,
                                tuple(ops.shape(sample_weight)) + (1,) * (labels_rank - rank)),
                    ops.shape(y_true))
        y_true = ops.reshape(y_true, (-1,))
        if len(sample_weight.shape) > 1:
            sample_weight = ops.reshape(sample_weight, (-1,))
        sample_weight = ops.broadcast_to(sample_weight, ops.shape(y_true))
        # Ids out of range (and the ignored class) count for nothing.
        valid = ops.logical_and(
            ops.logical_and(ops.greater_equal(y_true, 0), ops.less(y_true, self.num_classes)),
            ops.logical_and(ops.greater_equal(y_pred, 0), ops.less(y_pred, self.num_classes)),
        )
        if self.ignore_class is not None:
            valid = ops.logical_and(valid, ops.not_equal(y_true, self.ignore_class))
        zero = ops.zeros_like(y_true)
        y_true = ops.where(valid, y_true, zero)
        y_pred = ops.where(valid, y_pred, zero)
        sample_weight = ops.where(valid, sample_weight, ops.zeros_like(sample_weight))
        self.total_cm.assign_add(confusion_matrix(y_true, y_pred, self.num_classes,
                                                  weights=sample_weight, dtype=self.dtype))

    def reset_state(self):
        self.total_cm.assign(ops.zeros(self.total_cm.shape, dtype=self.total_cm.dtype))


class IoU(_IoUBase):
    """The mean IoU ``TP / (TP + FP + FN)`` of the classes ``target_class_ids``.

    Classes that never occur (in labels or predictions) are left out of the mean.

    Args:
        num_classes: the number of classes.
        target_class_ids: the class ids to average over.
        ignore_class: a label id whose samples are not counted.
        sparse_y_true: labels are integer ids (else argmax along ``axis``).
        sparse_y_pred: predictions are integer ids (else argmax along ``axis``).
        axis: the class axis.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, num_classes=num_classes, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis,
                         dtype=dtype)
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes})."
            )
        self.target_class_ids = list(target_class_ids)

    def result(self):
        cm = ops.cast(self.total_cm, "float32")
        true_positives = ops.diag(cm)
        # predicted + actual - intersection = TP + FP + FN
        denominator = ops.subtract(ops.add(ops.sum(cm, axis=0), ops.sum(cm, axis=1)),
                                   true_positives)
        true_positives = ops.take(true_positives, self.target_class_ids, axis=-1)
        denominator = ops.take(denominator, self.target_class_ids, axis=-1)
        valid = ops.greater(denominator, 1e-9)
        iou = ops.divide(true_positives, ops.add(denominator, config.epsilon()))
        iou = ops.where(valid, iou, ops.zeros_like(iou))  # absent classes add 0
        num_valid = ops.sum(ops.cast(valid, "float32"))
        return ops.divide(ops.sum(iou, axis=self.axis), ops.add(num_valid, config.epsilon()))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of binary labels against ``y_pred >= threshold``.

    Args:
        target_class_ids: ``(0, 1)`` (default: the mean of both), ``[0]`` or ``[1]``.
        threshold: predictions at or above it are class 1.
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Threshold the predictions, then add the batch's confusion matrix."""
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, dtype="float32")
        y_pred = ops.cast(ops.greater_equal(y_pred, self.threshold), self.dtype)
        return super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The IoU averaged over all ``num_classes`` classes.

    Args:
        num_classes: the number of classes.
        ignore_class: a label id whose samples are not counted.
        sparse_y_true: labels are integer ids (else argmax along ``axis``).
        sparse_y_pred: predictions are integer ids (else argmax along ``axis``).
        axis: the class axis.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, num_classes=num_classes,
                         target_class_ids=list(range(num_classes)), axis=axis, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """``IoU`` for one-hot labels and per-class scores (both reduced by argmax).

    Args:
        num_classes: the number of classes.
        target_class_ids: the class ids to average over.
        ignore_class: a label id whose samples are not counted.
        sparse_y_pred: predictions are already integer ids.
        axis: the class axis.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot labels and per-class scores (both reduced by argmax).

    Args:
        num_classes: the number of classes.
        ignore_class: a label id whose samples are not counted.
        sparse_y_pred: predictions are already integer ids.
        axis: the class axis.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, axis=axis, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


ALL_IOU_METRICS = (IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU)

__all__ = [c.__name__ for c in ALL_IOU_METRICS] + ["confusion_matrix"]
