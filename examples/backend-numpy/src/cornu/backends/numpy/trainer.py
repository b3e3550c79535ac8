"""Test and predict steps on NumPy; training is refused with a clear error."""
import numpy as np
from cornu import tree
from cornu.backends.numpy._utils import as_tensor


class TrainingNotSupportedError(RuntimeError):
    """The numpy backend runs models forward only."""


def make_slicer(data):
    """Batches of ``data`` (a structure of arrays) for the given batch starts."""
    flat = tree.flatten(data)
    simple = isinstance(data, tuple) and all(not tree.is_nested(d) for d in data)

    def slicer(starts, batch_size, num_samples, perm):
        for start in starts:
            start = int(start)
            stop = min(start + batch_size, num_samples)
            if perm is None:
                parts = [None if a is None else a[start:stop] for a in flat]
            else:
                index = perm[start:stop]
                parts = [None if a is None else as_tensor(np.take(a, index, axis=0))
                         for a in flat]
            yield tuple(parts) if simple else tree.pack_sequence_as(data, parts)

    return slicer


def _batch_size(x):
    first = x if isinstance(x, np.ndarray) else tree.flatten(x)[0]
    return first.shape[0]


def make_train_function(model):
    raise TrainingNotSupportedError(
        f"The numpy backend cannot train: it has no automatic differentiation, so "
        f"{type(model).__name__}.fit()/train_on_batch() are unavailable. It runs "
        "predict() and evaluate(). Train with CORNU_BACKEND=torch or tensorflow, save "
        "the model, and load it here for inference."
    )


def make_test_function(model):
    tracker = model._loss_tracker
    metrics = model._compile_metrics
    has_metrics = metrics is not None and bool(metrics.metrics)

    def test_step(batch):
        x, y, sample_weight = batch
        y_pred = model(x, training=False)
        loss = model.compute_loss(x, y, y_pred, sample_weight, training=False)
        n = _batch_size(x)
        tracker.total.assign_add(np.asarray(loss) * n)
        tracker.count.assign_add(n)
        if has_metrics:
            metrics.update_state(y, y_pred, sample_weight)
        return loss

    return test_step


def make_predict_function(model):
    def predict_step(batch):
        return model(batch[0], training=False)

    return predict_step


def concat_to_numpy(outputs):
    joined = outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=0)
    return np.asarray(joined)
