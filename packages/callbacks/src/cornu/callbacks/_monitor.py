"""Shared logic for callbacks that watch a logged quantity (EarlyStopping, ModelCheckpoint)."""
import operator
import warnings

_MAX_HINTS = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2", "correlation")


def monitor_op(monitor, mode, owner):
    """``operator.lt`` or ``operator.gt`` for ``mode`` ("auto" guesses from the name)."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner}: mode {mode!r} is unknown, falling back to 'auto'", stacklevel=3)
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
            stacklevel=3,
        )
    return value
