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


def value_and_grad(fn, variables):
    """Gradients need automatic differentiation, which this backend does not have."""
    raise TrainingNotSupportedError(
        "The numpy backend cannot train: it has no automatic differentiation, so "
        "fit()/train_on_batch() are unavailable. It runs predict() and evaluate(). Train "
        "with CORNU_BACKEND=torch or tensorflow, save the model, and load it here for "
        "inference."
    )


def make_step(step, model, training=True):
    """``run(batches)``: ``step(batch)`` on each batch of a group, in plain Python."""

    def run(batches):
        result = None
        for batch in batches:
            result = step(batch)
        return result

    return run


def concat_to_numpy(outputs):
    first = outputs[0]
    if tree.is_nested(first):  # one joined array per output of a structured model
        flat = [tree.flatten(o) for o in outputs]
        return tree.pack_sequence_as(
            first, [concat_to_numpy([f[i] for f in flat]) for i in range(len(flat[0]))])
    joined = first if len(outputs) == 1 else np.concatenate(outputs, axis=0)
    return np.asarray(joined)
