"""Set the optimizer's learning rate from a function of the epoch."""
import numpy as np

from cornu.callbacks._monitor import to_float
from cornu.engine.callbacks import Callback
from cornu.utils import io_utils


def _optimizers(model):
    optimizer = model.optimizer
    return list(optimizer.optimizers) if hasattr(optimizer, "optimizers") else [optimizer]


def _log_learning_rates(model, logs):
    """Add ``learning_rate`` (``learning_rate_<name>`` per inner optimizer) to ``logs``."""
    if logs is None:
        return
    optimizer = model.optimizer
    if hasattr(optimizer, "optimizers"):
        for opt in optimizer.optimizers:
            logs[f"learning_rate_{opt.name}"] = to_float(opt.learning_rate)
    else:
        logs["learning_rate"] = to_float(optimizer.learning_rate)


class LearningRateScheduler(Callback):
    """At the start of every epoch, set the learning rate to ``schedule(epoch, lr)``.

    Args:
        schedule: a function ``(epoch, lr) -> float`` (epoch counted from 0, ``lr``
            the current rate); a function of ``epoch`` alone is accepted too.
        verbose: 1 prints the new rate every epoch.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, to_float(optimizer.learning_rate))
        except TypeError:  # schedule(epoch)
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate}"
            )
        optimizer.learning_rate = learning_rate
        return learning_rate

    def on_epoch_begin(self, epoch, logs=None):
        for optimizer in _optimizers(self.model):
            learning_rate = self._update(optimizer, epoch)
            if self.verbose > 0:
                name = f" {optimizer.name}" if hasattr(self.model.optimizer, "optimizers") else ""
                io_utils.print_msg(
                    f"\nEpoch {epoch + 1}: LearningRateScheduler setting{name} learning "
                    f"rate to {learning_rate}."
                )

    def on_epoch_end(self, epoch, logs=None):
        _log_learning_rates(self.model, logs)
