"""Every callback hook receives a ``logs`` dict, with Keras 3's keys.

A recording callback runs through fit (with validation), evaluate and predict:
each hook's ``logs`` is a dict (``{}`` where Keras passes an empty dict, never
None), and the sequence of hooks with their log keys is the one Keras 3 records
for the same program.
"""
import numpy as np
import pytest

import cornu
from cornu import layers
from cornu.engine.callbacks import Callback, CallbackList

HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


def _recorder_class(base):
    """A callback class (on ``base``) recording ``(hook, sorted log keys)`` and the logs."""

    def make_hook(name):
        indexed = "epoch" in name or "batch" in name  # (epoch or batch, logs)

        def hook(self, *args, **kwargs):
            positional = args[1:] if indexed else args
            logs = positional[0] if positional else kwargs.get("logs")
            self.types.append((name, type(logs)))
            self.events.append((name, tuple(sorted(logs)) if isinstance(logs, dict) else logs))

        hook.__name__ = name
        return hook

    namespace = {name: make_hook(name) for name in HOOKS}

    def __init__(self):
        base.__init__(self)
        self.events = []
        self.types = []

    namespace["__init__"] = __init__
    return type("Recorder", (base,), namespace)


class AliasRecorder(Callback):
    """Overrides only the Keras 2 aliases, which the train batch hooks forward to."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_batch_begin(self, batch, logs=None):
        self.seen.append(("on_batch_begin", logs))

    def on_batch_end(self, batch, logs=None):
        self.seen.append(("on_batch_end", logs))


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = (x.sum(-1) > 0).astype("float32")
    return x, y


def _program(lib, recorder_base):
    """fit (2 epochs, validation) + evaluate + predict with a recorder; its events."""
    x, y = _data()
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=["accuracy", lib.metrics.AUC(name="auc")])
    recorder = _recorder_class(recorder_base)()
    model.fit(x, y, batch_size=8, epochs=2, validation_data=(x[:16], y[:16]),
              callbacks=[recorder], verbose=0)
    model.evaluate(x, y, batch_size=12, callbacks=[recorder], verbose=0)
    model.predict(x, batch_size=12, callbacks=[recorder], verbose=0)
    return recorder


def test_every_hook_gets_a_dict():
    recorder = _program(cornu, Callback)
    assert {name for name, _ in recorder.types} == set(HOOKS)
    bad = [(name, t) for name, t in recorder.types if t is not dict]
    assert not bad, f"hooks called without a logs dict: {bad}"
    begins = [e for e in recorder.events if e[0].endswith("_begin")]
    assert all(keys == () for _, keys in begins), begins  # empty dicts, not None
    assert ("on_predict_end", ()) in recorder.events
    assert ("on_predict_batch_end", ("outputs",)) in recorder.events
    assert ("on_train_batch_end", ("accuracy", "auc", "loss")) in recorder.events
    assert ("on_epoch_end", ("accuracy", "auc", "loss", "val_accuracy", "val_auc",
                             "val_loss")) in recorder.events


def test_aliases_get_dicts():
    x, y = _data()
    model = cornu.Sequential([cornu.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    alias = AliasRecorder()
    model.fit(x, y, batch_size=8, epochs=1, callbacks=[alias], verbose=0)
    assert [name for name, _ in alias.seen] == ["on_batch_begin", "on_batch_end"] * 3
    assert all(isinstance(logs, dict) for _, logs in alias.seen)
    assert alias.seen[0][1] == {} and set(alias.seen[1][1]) == {"loss"}


def test_callback_list_called_without_logs():
    recorder = _recorder_class(Callback)()
    cbs = CallbackList([recorder])
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_begin(0)
    cbs.on_train_batch_end(0)
    cbs.on_epoch_end(0)
    cbs.on_test_begin()
    cbs.on_test_batch_begin(0)
    cbs.on_test_batch_end(0)
    cbs.on_test_end()
    cbs.on_predict_begin()
    cbs.on_predict_batch_begin(0)
    cbs.on_predict_batch_end(0)
    cbs.on_predict_end()
    cbs.on_train_end()
    assert len(recorder.types) == len(HOOKS)
    assert all(t is dict for _, t in recorder.types)
    # each call gets its own dict: a callback filling one does not leak into the next
    first = _recorder_class(Callback)()

    class Filler(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            logs["seen"] = epoch

    cbs = CallbackList([Filler(), first])
    cbs.on_epoch_begin(0)
    cbs.on_epoch_begin(1)
    assert first.events == [("on_epoch_begin", ("seen",)), ("on_epoch_begin", ("seen",))]
    cbs.on_train_begin()
    assert first.events[-1] == ("on_train_begin", ())


def test_hooks_and_keys_match_keras():
    keras = pytest.importorskip("keras")
    ours = _program(cornu, Callback)
    theirs = _program(keras, keras.callbacks.Callback)
    assert all(t is dict for _, t in theirs.types)
    assert ours.events == theirs.events
