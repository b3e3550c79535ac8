"""Save the model or its weights during training, atomically."""
import os

from cornu.callbacks._monitor import (
    BatchSaveCounter,
    check_save_freq,
    get_monitor_value,
    monitor_op,
)
from cornu.engine.callbacks import Callback
from cornu.utils import io_utils


class ModelCheckpoint(Callback):
    """Save the model (``.keras``) or its weights (``.weights.h5``) while training.

    Every save goes to a temporary file beside the target and is renamed over it
    only once complete, so a crash mid-save never replaces the last good file.

    Args:
        filepath: the target path; may contain ``{epoch:02d}``, ``{batch}`` and
            logged values such as ``{val_loss:.2f}``.
        monitor: the logged quantity compared when ``save_best_only``.
        verbose: 1 prints a line per save decision.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: save weights (``.weights.h5``) instead of the whole model.
        mode: "min", "max" or "auto" (inferred from the name).
        save_freq: "epoch", or an int: save every that many batches.
        initial_value_threshold: the value ``monitor`` must beat for the first save.
    """

    _chief_only = True  # writes files / sends logs: the chief process only

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.monitor_op = monitor_op(monitor, mode, "ModelCheckpoint")
        self.best = initial_value_threshold
        self._current_epoch = 0
        self._batches = BatchSaveCounter(check_save_freq(save_freq, "ModelCheckpoint"))
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError(
                "ModelCheckpoint: with save_weights_only=True the filepath must end in "
                f".weights.h5, received {self.filepath!r}"
            )
        if not save_weights_only and not self.filepath.endswith(".keras"):
            raise ValueError(
                "ModelCheckpoint: the filepath must end in .keras (or use "
                f"save_weights_only=True with .weights.h5), received {self.filepath!r}"
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._batches.step():
            logs = {k: float(v) for k, v in (logs or {}).items()}
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _format_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" not in self.filepath:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as err:
            raise KeyError(
                f"ModelCheckpoint: the filepath {self.filepath!r} uses {err}, which is not in "
                f"the logs (available: epoch, batch, {', '.join(sorted(logs))})"
            ) from None

    def _save(self, epoch, batch, logs):
        path = self._format_path(epoch, batch, logs)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_best_only:
            current = get_monitor_value(logs, self.monitor, "Can save best model only with")
            if current is None:
                return
            if self.best is not None and not self.monitor_op(current, self.best):
                if self.verbose > 0:
                    io_utils.print_msg(
                        f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                        f"{self.best:.5f}"
                    )
                return
            if self.verbose > 0:
                previous = "inf" if self.best is None else f"{self.best:.5f}"
                io_utils.print_msg(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {previous} to "
                    f"{current:.5f}, saving model to {path}"
                )
            self.best = current
        elif self.verbose > 0:
            io_utils.print_msg(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)

    def get_config(self):
        return {"filepath": self.filepath, "monitor": self.monitor, "verbose": self.verbose,
                "save_best_only": self.save_best_only,
                "save_weights_only": self.save_weights_only, "save_freq": self.save_freq}
