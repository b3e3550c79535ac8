"""Shared logic for callbacks that watch a logged quantity (EarlyStopping, ModelCheckpoint,
OrbaxCheckpoint, ReduceLROnPlateau), read numbers from logs, or save every N batches."""
import operator
import warnings

import numpy as np

from cornu import CornuWarning

_MAX_HINTS = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2", "correlation")


def monitor_op(monitor, mode, owner):
    """``operator.lt`` or ``operator.gt`` for ``mode`` ("auto" guesses from the name)."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner}: mode {mode!r} is unknown, falling back to 'auto'", stacklevel=3, category=CornuWarning)
        mode = "auto"
    if mode == "min":
        return operator.lt
    if mode == "max":
        return operator.gt
    name = monitor.removeprefix("val_")
    if "loss" in name:
        return operator.lt
    if any(hint in name for hint in _MAX_HINTS):
        return operator.gt
    return operator.lt


def get_monitor_value(logs, monitor, owner):
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(
            f"{owner} is conditioned on metric `{monitor}` which is not available. "
            f"Available metrics are: {','.join(sorted(logs or {}))}",
            stacklevel=3, category=CornuWarning)
    return value


def is_improvement(op, value, reference, min_delta):
    """Whether ``value`` beats ``reference`` by more than ``min_delta`` (None: always)."""
    if reference is None:
        return True
    delta = -abs(min_delta) if op is operator.lt else abs(min_delta)
    return op(value - delta, reference)


def to_float(value):
    """A Python float for a logged scalar or a learning rate (float, numpy or tensor)."""
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, (np.ndarray, np.generic)):
        from cornu.backend import get_backend

        if hasattr(value, "value") and not hasattr(value, "shape"):
            value = value.value
        value = get_backend().core.convert_to_numpy(value)
    return float(np.asarray(value))


def check_save_freq(save_freq, owner):
    """Raise unless ``save_freq`` is ``"epoch"`` or a positive int (not a bool)."""
    if save_freq != "epoch" and not (
        isinstance(save_freq, int) and not isinstance(save_freq, bool) and save_freq > 0
    ):
        raise ValueError(
            f"{owner}: save_freq must be 'epoch' or a positive int, received {save_freq!r}"
        )
    return save_freq


class BatchSaveCounter:
    """Counts training batches for ``save_freq=N`` callbacks: ``step()`` after each
    batch returns True every ``N``-th batch; ``total`` counts all batches seen."""

    def __init__(self, save_freq, total=0):
        self.save_freq = save_freq
        self.since_last_save = 0
        self.total = total

    def step(self):
        self.total += 1
        if self.save_freq == "epoch":
            return False
        self.since_last_save += 1
        if self.since_last_save >= self.save_freq:
            self.since_last_save = 0
            return True
        return False
