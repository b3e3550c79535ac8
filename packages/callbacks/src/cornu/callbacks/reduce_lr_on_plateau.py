"""Lower the learning rate when a monitored quantity stops improving."""
import warnings

import numpy as np

from cornu import CornuWarning
from cornu.callbacks._monitor import is_improvement, monitor_op, to_float
from cornu.callbacks.learning_rate_scheduler import _log_learning_rates, _optimizers
from cornu.engine.callbacks import Callback
from cornu.utils import io_utils


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Args:
        monitor: the logged quantity to watch (default ``"val_loss"``).
        factor: the multiplier, ``new_lr = lr * factor`` (must be < 1).
        patience: epochs without improvement before the rate is reduced.
        verbose: 1 prints a message on every reduction.
        mode: "min", "max" or "auto" (inferred from the name).
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate is never reduced below this.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected arguments {sorted(kwargs)}")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.monitor_op = monitor_op(monitor, mode, "ReduceLROnPlateau")
        self._reset()

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def _reduce(self, optimizer, epoch, name=""):
        old_lr = to_float(optimizer.learning_rate)
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            name = f" {name}" if name else ""
            io_utils.print_msg(
                f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{name} learning rate to "
                f"{new_lr}."
            )
        return True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        _log_learning_rates(self.model, logs)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs)}.", stacklevel=2, category=CornuWarning)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if is_improvement(self.monitor_op, current, self.best, self.min_delta):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                multi = hasattr(self.model.optimizer, "optimizers")
                reduced = False
                for optimizer in _optimizers(self.model):
                    reduced |= self._reduce(optimizer, epoch, optimizer.name if multi else "")
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def get_config(self):
        return {"monitor": self.monitor, "factor": self.factor, "patience": self.patience,
                "verbose": self.verbose, "mode": self.mode, "min_delta": self.min_delta,
                "cooldown": self.cooldown, "min_lr": self.min_lr}
