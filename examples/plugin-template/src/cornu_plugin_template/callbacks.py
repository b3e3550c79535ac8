"""A callback: stop training once a monitored value falls below a threshold."""
from cornu.callbacks import Callback


class StopAtLoss(Callback):
    """Stop ``fit`` at the end of the first epoch where ``logs[monitor] < threshold``.

    Args:
        threshold: the value to get below.
        monitor: the log to watch (default "loss"; "val_loss" works with validation data).

    Attributes:
        stopped_epoch: the epoch at which training stopped (None if it did not).
    """

    def __init__(self, threshold, monitor="loss"):
        super().__init__()
        self.threshold = float(threshold)
        self.monitor = monitor
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"StopAtLoss: no {self.monitor!r} in the logs "
                           f"(available: {sorted(logs or {})})")
        if float(value) < self.threshold:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def get_config(self):
        return {"threshold": self.threshold, "monitor": self.monitor}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
