"""``to_categorical`` and ``normalize`` (Keras's ``keras.utils`` numerics)."""
import numpy as np

__all__ = ["normalize", "to_categorical"]


def _is_backend_tensor(x):
    return not isinstance(x, (np.ndarray, list, tuple, int, float)) and hasattr(x, "shape")


def to_categorical(x, num_classes=None):
    """One-hot encodes integer class labels.

    Args:
        x: integer labels, any shape (a trailing axis of size 1 is dropped).
        num_classes: the number of classes; ``max(x) + 1`` when None.

    Returns:
        A float32 array of shape ``x.shape + (num_classes,)``: numpy for numpy or
        list input, a backend tensor for a backend tensor.
    """
    if _is_backend_tensor(x):
        from cornu import ops

        x = ops.convert_to_tensor(x)
        if x.shape and x.shape[-1] == 1 and len(x.shape) > 1:
            x = ops.squeeze(x, axis=-1)
        if num_classes is None:
            num_classes = int(ops.convert_to_numpy(ops.max(x))) + 1
        return ops.one_hot(ops.cast(x, "int32"), num_classes)
    x = np.asarray(x, dtype="int64")
    shape = x.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise ValueError(
            f"to_categorical: labels must be in [0, {num_classes}) for "
            f"num_classes={num_classes}; received labels from {x.min()} to {x.max()}."
        )
    out = np.zeros((x.shape[0], num_classes), dtype="float32")
    out[np.arange(x.shape[0]), x] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scales ``x`` to unit ``order``-norm along ``axis`` (zero vectors stay zero).

    Numpy input gives numpy output; a backend tensor gives a backend tensor.
    """
    if _is_backend_tensor(x):
        from cornu import ops

        return ops.nn.normalize(x, axis=axis, order=order)
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
