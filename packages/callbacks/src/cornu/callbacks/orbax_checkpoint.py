"""Save the training state as Orbax checkpoints, in the layout of Keras 3's callback."""
import os
import warnings

from cornu import CornuWarning
from cornu.callbacks._monitor import (
    BatchSaveCounter,
    check_save_freq,
    is_improvement,
    monitor_op,
    to_float,
)
from cornu.engine.callbacks import Callback
from cornu.saving import orbax_checkpoint as _orbax
from cornu.utils import io_utils


class OrbaxCheckpoint(Callback):
    """Save the model's state with `Orbax <https://orbax.readthedocs.io>`_ while training.

    Each save is one step folder ``<directory>/<step>/`` written by the
    ``orbax-checkpoint`` library (``pip install orbax-checkpoint``), in Keras 3's
    layout (see ``cornu.saving.orbax_checkpoint``): Keras's
    ``keras.callbacks.OrbaxCheckpoint`` writes the same, so each reads the other's.
    The step is the epoch (0-based) with ``save_freq="epoch"``, else the number of
    batches trained so far (counted from the optimizer's iterations).  Read a
    checkpoint back with ``model.load_weights(directory)`` (the latest step, or name a
    step folder) or, unless ``save_weights_only``, ``cornu.saving.load_model(directory)``.

    Saves run in Orbax's background threads when ``save_on_background``; the state is
    copied to host memory before ``fit`` goes on, and ``on_train_end`` waits for the
    pending saves (``wait_until_finished()`` waits at any time).

    Args:
        directory: the checkpoint root directory.
        monitor: the logged quantity compared when ``save_best_only``.
        verbose: 1 prints a line per save decision.
        save_best_only: save only when ``monitor`` improves on the best so far.
        mode: "min", "max" or "auto" (inferred from the name), for ``save_best_only``.
        save_freq: "epoch", or an int: save every that many batches.
        initial_value_threshold: the value ``monitor`` must beat for the first save.
        max_to_keep: keep only the latest that many steps (None: keep all).
        save_on_background: save asynchronously (True) or before ``fit`` goes on.
        save_weights_only: save the trainable and non-trainable variables only (no
            optimizer or metric state, no model config).
    """

    _chief_only = True  # writes files: the chief process only

    def __init__(self, directory, monitor="val_loss", verbose=0, save_best_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None, max_to_keep=1,
                 save_on_background=True, save_weights_only=False):
        super().__init__()
        self._ocp = _orbax.import_orbax("OrbaxCheckpoint")
        if not directory:
            raise ValueError(f"OrbaxCheckpoint: directory must be a path, received {directory!r}")
        check_save_freq(save_freq, "OrbaxCheckpoint")
        if max_to_keep is not None and not (
            isinstance(max_to_keep, int) and not isinstance(max_to_keep, bool) and max_to_keep > 0
        ):
            raise ValueError("OrbaxCheckpoint: max_to_keep must be a positive int or None, "
                             f"received {max_to_keep!r}")
        self.directory = os.path.abspath(os.fspath(directory))
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.mode = mode
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.max_to_keep = max_to_keep
        self.save_on_background = save_on_background
        self.save_weights_only = save_weights_only
        self.monitor_op = monitor_op(monitor, mode, "OrbaxCheckpoint")
        self.best = initial_value_threshold
        self._batches = BatchSaveCounter(save_freq)
        self._checkpointer = None
        self._futures = []

    # -- the Orbax checkpointer ---------------------------------------------------------
    @property
    def checkpointer(self):
        """The ``orbax.checkpoint.v1.training.Checkpointer`` writing ``directory``."""
        if self._checkpointer is None:
            training = self._ocp.training
            keep = (None if self.max_to_keep is None
                    else training.preservation_policies.LatestN(self.max_to_keep))
            self._checkpointer = training.Checkpointer(
                directory=self.directory, preservation_policy=keep,
                save_decision_policy=training.save_decision_policies.FixedIntervalPolicy(1))
        return self._checkpointer

    def set_model(self, model):
        super().set_model(model)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:  # a reloaded model goes on counting its batches
            self._batches.total = int(to_float(optimizer.iterations))

    # -- deciding ------------------------------------------------------------------------
    def on_train_batch_end(self, batch, logs=None):
        if self._batches.step():
            self._maybe_save(self._batches.total, logs, f"batch {batch}")

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._maybe_save(epoch, logs, f"epoch {epoch}")

    def _maybe_save(self, step, logs, where):
        if self.save_best_only:
            current = (logs or {}).get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, "
                              f"skipping save at {where}.", stacklevel=3, category=CornuWarning)
                return
            current = to_float(current)
            if not is_improvement(self.monitor_op, current, self.best, 0):
                if self.verbose > 0:
                    io_utils.print_msg(f"\nOrbaxCheckpoint ({where}): {self.monitor} did not "
                                       f"improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                previous = "none" if self.best is None else f"{self.best:.5f}"
                io_utils.print_msg(f"\nOrbaxCheckpoint ({where}): {self.monitor} improved "
                                   f"from {previous} to {current:.5f}")
            self.best = current
        self._save(step)

    def _save(self, step):
        payload = _orbax.checkpointables(self.model, weights_only=self.save_weights_only)
        if self.verbose > 0:
            io_utils.print_msg(f"\nOrbaxCheckpoint: saving step {step} to {self.directory}")
        with self._ocp.Context():
            if self.save_on_background:
                self._futures.append(self.checkpointer.save_checkpointables_async(step, payload))
            else:
                self.checkpointer.save_checkpointables(step, payload)

    # -- waiting ---------------------------------------------------------------------------
    def wait_until_finished(self):
        """Block until every pending background save is written."""
        futures, self._futures = self._futures, []
        for future in futures:
            future.result()
        if self._checkpointer is not None:
            self._checkpointer.wait()

    def on_train_end(self, logs=None):
        # Wait for the background saves and stop Orbax's threads; a later fit with this
        # callback opens a new checkpointer on the same directory.
        try:
            self.wait_until_finished()
        finally:
            checkpointer, self._checkpointer = self._checkpointer, None
            if checkpointer is not None:
                checkpointer.close()

    def get_config(self):
        return {"directory": self.directory, "monitor": self.monitor, "verbose": self.verbose,
                "save_best_only": self.save_best_only, "mode": self.mode,
                "save_freq": self.save_freq,
                "initial_value_threshold": self.initial_value_threshold,
                "max_to_keep": self.max_to_keep, "save_on_background": self.save_on_background,
                "save_weights_only": self.save_weights_only}
