"""A callback built from plain functions."""
from cornu.engine.callbacks import Callback

_HOOKS = frozenset({
    "on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end", "on_batch_begin",
    "on_batch_end", "on_train_batch_begin", "on_train_batch_end", "on_test_begin",
    "on_test_end", "on_test_batch_begin", "on_test_batch_end", "on_predict_begin",
    "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
})


class LambdaCallback(Callback):
    """A callback whose hooks are the given functions (Keras ``LambdaCallback``).

    Each function takes the hook's positional arguments: ``(epoch, logs)`` for the
    epoch hooks, ``(batch, logs)`` for the batch hooks, ``(logs)`` for the others.
    Hooks not named in the signature (``on_test_begin``, ...) are keyword arguments.

    Example::

        LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - _HOOKS)
        if unknown:
            raise TypeError(
                f"LambdaCallback: unknown hook(s) {', '.join(unknown)}; the hooks are "
                f"{', '.join(sorted(_HOOKS))}"
            )
        hooks = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)  # CallbackList sees instance hooks too
