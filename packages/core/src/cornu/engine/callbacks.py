"""The callback infrastructure that fit/evaluate/predict drive: Callback, CallbackList,
History and ProgbarLogger.  Concrete callbacks live in cornu-callbacks."""
from cornu.utils import io_utils
from cornu.utils.progbar import Progbar

_BATCH_HOOKS = (
    "on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
    "on_predict_batch_end",
)


class Callback:
    """Base class for objects called at the moments of training, evaluation and prediction.

    ``self.model`` is the model being trained, ``self.params`` holds
    ``verbose``, ``epochs`` and ``steps``.  ``logs`` dicts hold the Keras keys
    (``loss``, metric names, ``val_`` prefixed validation values).
    """

    #: Under data-parallel training, run only in the chief process (callbacks that
    #: write files or print); the others run in every process.
    _chief_only = False

    def __init__(self):
        self.validation_data = None
        self._model = None
        self.params = {}

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    def on_batch_begin(self, batch, logs=None):
        """Alias of ``on_train_batch_begin`` (Keras compatibility)."""

    def on_batch_end(self, batch, logs=None):
        """Alias of ``on_train_batch_end`` (Keras compatibility)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (training only)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with the epoch's train and validation logs."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of evaluate (and of validation)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of evaluate (and of validation)."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of predict."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of predict; ``logs["outputs"]`` holds the batch outputs."""

    def on_train_begin(self, logs=None):
        """Called once at the start of fit."""

    def on_train_end(self, logs=None):
        """Called once at the end of fit."""

    def on_test_begin(self, logs=None):
        """Called at the start of evaluate (and of validation)."""

    def on_test_end(self, logs=None):
        """Called at the end of evaluate (and of validation)."""

    def on_predict_begin(self, logs=None):
        """Called at the start of predict."""

    def on_predict_end(self, logs=None):
        """Called at the end of predict."""


def _overrides(callback, name):
    if name in vars(callback):  # set on the instance, e.g. by LambdaCallback
        return True
    method = getattr(type(callback), name, None)
    return method is not None and method is not getattr(Callback, name)


class CallbackList(Callback):
    """Dispatches every hook to a list of callbacks.

    Batch-level hooks are dispatched only when some callback overrides them, so a
    fit with no batch-level callback pays nothing per step (logs are built lazily).
    Every hook passes its callbacks a ``logs`` dict, ``{}`` where the caller gave
    none (``on_train_begin()``, ``on_epoch_begin(epoch)``, ...), as Keras 3 does.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        self.callbacks = list(callbacks or [])
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        dist = getattr(model, "_distribution", None)
        if dist is not None and not dist.is_chief:
            # Files and terminal output come from the chief process only.
            self.callbacks = [c for c in self.callbacks if not c._chief_only]
        self._refresh()
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def _refresh(self):
        self._batch_hooks = {
            name: [c for c in self.callbacks if _batch_hook_used(c, name)] for name in _BATCH_HOOKS
        }

    def append(self, callback):
        self.callbacks.append(callback)
        self._refresh()

    def needs(self, hook):
        """Whether any callback implements ``hook`` (a batch-level hook name)."""
        return bool(self._batch_hooks.get(hook))

    def set_params(self, params):
        self.params = params
        for c in self.callbacks:
            c.set_params(params)

    def set_model(self, model):
        self._model = model
        for c in self.callbacks:
            c.set_model(model)

    def _call(self, name, *args):
        # ``args`` ends with ``logs``: a callback always receives a dict, a fresh empty
        # one when the caller passed none (Keras 3 never passes None to a hook).
        if args[-1] is None:
            args = args[:-1] + ({},)
        for c in self.callbacks:
            getattr(c, name)(*args)

    def _call_batch(self, name, batch, logs):
        if logs is None:
            logs = {}
        for c in self._batch_hooks[name]:
            getattr(c, name)(batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("on_predict_batch_end", batch, logs)


def _batch_hook_used(callback, name):
    if isinstance(callback, CallbackList):
        return any(_batch_hook_used(c, name) for c in callback.callbacks)
    if _overrides(callback, name):
        return True
    # on_train_batch_* forward to the on_batch_* aliases by default.
    alias = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}.get(name)
    return alias is not None and _overrides(callback, alias)


class History(Callback):
    """Records the epoch logs: ``history.history["loss"]`` is the list of epoch losses."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        if self.model is None:
            return
        self.model.history = self
        # A callback that resumed an interrupted fit (BackupAndRestore) hands over the
        # history of the epochs trained before, so the History reads as one run.
        restored = getattr(self.model, "_restored_history", None)
        if restored is not None:
            self.history = {key: list(values) for key, values in restored["history"].items()}
            self.epoch = list(restored["epoch"])
            self.model._restored_history = None

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints progress: a live bar per epoch (verbose=1) or one line per epoch (verbose=2).

    Args:
        count_mode: "steps" (the only mode of Keras 3); kept for compatibility.
        stateful_metrics: names displayed as-is rather than averaged.
    """

    _chief_only = True

    def __init__(self, count_mode="steps", stateful_metrics=None):
        super().__init__()
        if count_mode not in ("steps", "samples"):
            raise ValueError(f"ProgbarLogger: unknown count_mode {count_mode!r}")
        self.count_mode = count_mode
        self.stateful_metrics = set(stateful_metrics or ())
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.progbar = None
        self._seen = 0
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _reset(self, target=None):
        self._seen = 0
        self.progbar = Progbar(
            target=target if target is not None else self.target, verbose=self.verbose,
            stateful_metrics=self.stateful_metrics, unit_name="step",
        )

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset(self.params.get("steps"))

    def on_predict_begin(self, logs=None):
        self._reset(self.params.get("steps"))

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()
        if self.verbose and self.epochs > 1:
            io_utils.print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def _update(self, batch, logs):
        target = getattr(self.progbar, "target", None)
        # A short last steps_per_execution group reports its step past the end (Keras).
        self._seen = batch + 1 if target is None else min(batch + 1, target)
        if self.verbose == 1 and self.progbar is not None:
            # The model's metrics are running averages already: display them as-is.
            logs = logs or {}
            self.progbar.stateful_metrics.update(logs)
            self.progbar.update(self._seen, list(logs.items()), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize(logs)

    def on_predict_end(self, logs=None):
        self._finalize(None)

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def _finalize(self, logs):
        if self.progbar is None:
            return
        target = self.progbar.target or self._seen
        self.progbar.target = target
        self.progbar.stateful_metrics = set((logs or {}).keys())
        self.progbar.update(target, list((logs or {}).items()), finalize=True)
