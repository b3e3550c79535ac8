"""Evaluate, predict and save with the optimizer's exponential moving average of the weights."""
from cornu.engine.callbacks import Callback


def _to_numpy(variable):
    # A copy: a view of the torch parameter would change with the first assign below.
    return variable.numpy()


class SwapEMAWeights(Callback):
    """Swap the model's weights with the optimizer's EMA weights around evaluation.

    The optimizer must be built with ``use_ema=True``: it keeps the averages in
    ``optimizer._model_variables_moving_average`` (one per trainable variable, in
    the order of ``optimizer._trainable_variables``).  During ``evaluate``,
    validation and ``predict`` the model holds the EMA weights; training continues
    on the raw weights.

    Args:
        swap_on_epoch: also hold the EMA weights between epochs (from the end of an
            epoch to the start of the next), so that callbacks that run at the end
            of an epoch (e.g. ``ModelCheckpoint``) see and save them.  Put
            ``SwapEMAWeights`` before such callbacks.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self):
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if hasattr(optimizer, "optimizers"):
            found = [o for o in optimizer.optimizers if getattr(o, "use_ema", False)]
            if not found:
                raise ValueError(
                    "SwapEMAWeights must be used when at least one inner optimizer has "
                    "`use_ema=True` set. Received a MultiOptimizer with all inner "
                    "optimizers having `use_ema=False`."
                )
        else:
            found = [optimizer]
        for o in found:
            if getattr(o, "_model_variables_moving_average", None) is None:
                raise ValueError(
                    "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer "
                    f"(and the optimizer is built). Received: use_ema="
                    f"{getattr(o, 'use_ema', None)}"
                )
        return found

    def _swap_variables(self):
        for optimizer in self._ema_optimizers():
            pairs = zip(optimizer._trainable_variables,
                        optimizer._model_variables_moving_average)
            for variable, average in pairs:
                current = _to_numpy(variable)
                variable.assign(_to_numpy(average))
                average.assign(current)

    def _finalize_ema_values(self):
        for optimizer in self._ema_optimizers():
            pairs = zip(optimizer._trainable_variables,
                        optimizer._model_variables_moving_average)
            for variable, average in pairs:
                average.assign(_to_numpy(variable))

    def _swap_in(self):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _swap_out(self):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            if epoch == self.params.get("epochs", 0) - 1:
                # fit's finalize_variable_values copies the averages in: keep them equal.
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        self._swap_in()

    def on_test_end(self, logs=None):
        self._swap_out()

    def on_predict_begin(self, logs=None):
        self._swap_in()

    def on_predict_end(self, logs=None):
        self._swap_out()

    def get_config(self):
        return {"swap_on_epoch": self.swap_on_epoch}
