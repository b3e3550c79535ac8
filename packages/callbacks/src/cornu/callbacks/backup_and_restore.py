"""Back up the whole training state, so that a killed ``fit`` resumes where it stopped."""
import json
import os
import shutil
import warnings

import h5py
import numpy as np

from cornu import CornuWarning
from cornu.engine.callbacks import Callback
from cornu.saving.atomic import atomic_path
from cornu.saving.weights import read_weights, write_weights

_FORMAT = 1


def _backend_random():
    from cornu.backend import get_backend

    return get_backend().random


def _framework_rng_state():
    """The backend's global RNG state (a numpy array), or None: asked of the backend's
    ``random.get_global_state()``, an optional part; a backend without it has no
    framework RNG state to save."""
    get_state = getattr(_backend_random(), "get_global_state", None)
    state = None if get_state is None else get_state()
    return None if state is None else np.asarray(state)


def _set_framework_rng_state(state):
    set_state = getattr(_backend_random(), "set_global_state", None)
    if state is not None and set_state is not None:
        set_state(np.asarray(state))


def _seed_generators(model):
    """The backend SeedGenerators held by the model's layers (e.g. Dropout's), in order."""
    from cornu.backend import get_backend

    cls = get_backend().random.SeedGenerator
    found, seen, stack = [], set(), [model]
    while stack:
        layer = stack.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        for value in vars(layer).values():
            if isinstance(value, cls):
                found.append(value)
        stack.extend(getattr(layer, "_layers", []))
    return found


def _seed_generator_states(model):
    """{index: {key: numpy array}} for every SeedGenerator of the model whose backend
    class has ``get_state()`` (an optional part of the backend's ``random``)."""
    states = {}
    for i, gen in enumerate(_seed_generators(model)):
        get_state = getattr(gen, "get_state", None)
        if get_state is not None:
            states[i] = {key: np.asarray(value) for key, value in get_state().items()}
    return states


def _set_seed_generator_states(model, states):
    for i, gen in enumerate(_seed_generators(model)):
        state = states.get(str(i))
        set_state = getattr(gen, "set_state", None)
        if state is not None and set_state is not None:
            set_state({key: np.asarray(value) for key, value in state.items()})


def _numpy_state_to_file(state):
    kind, keys, pos, has_gauss, cached = state
    return np.asarray(keys), {"kind": kind, "pos": int(pos), "has_gauss": int(has_gauss),
                              "cached_gaussian": float(cached)}


class BackupAndRestore(Callback):
    """Back up the training state while ``fit`` runs; a restarted ``fit`` resumes from it.

    One backup is one file, ``<backup_dir>/latest.weights.h5``, written atomically
    (a temporary file renamed over the last good backup once complete): the model's
    weights, the optimizer's variables, the epoch and the batches of it done, the
    running metric values, numpy's global RNG state as of the start of the epoch
    (the array adapter shuffles with it, so a resumed epoch sees the same batches),
    the backend's global RNG state (torch's CPU generator, the TensorFlow backend's
    global ``SeedGenerator``) and the states of the layers' ``SeedGenerator``s
    (Dropout's).  The RNG states are asked of the backend: its ``random`` namespace's
    optional ``get_global_state()`` / ``set_global_state(state)`` and its
    ``SeedGenerator``'s ``get_state()`` / ``set_state(state)`` (numpy arrays); a
    backend without them gets a backup without those states.  On a restart,
    ``on_train_begin`` restores all of it and ``fit`` continues with the epoch and
    batch after the backup, ending with the same weights and epoch logs as an
    uninterrupted run.  As in Keras, the ``History`` of the restarted ``fit`` holds
    the epochs it ran itself.

    Args:
        backup_dir: a directory used only by this callback.
        save_freq: "epoch" (back up at the end of each epoch) or an int: back up
            every that many batches (then mid-epoch).
        double_checkpoint: keep the previous backup as ``latest.weights.h5.bkp`` and
            fall back to it when the latest one cannot be read.
        delete_checkpoint: remove ``backup_dir`` when training ends normally.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and not (
            isinstance(save_freq, int) and not isinstance(save_freq, bool) and save_freq > 0
        ):
            raise ValueError(
                "Invalid value for argument `save_freq`. "
                f"Received: save_freq={save_freq}. "
                "Expected either 'epoch' or an integer value."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._batches_seen_since_last_saving = 0
        self._current_epoch = 0
        self._epoch_numpy_state = None
        self._pending_metrics = None

    # -- restore -------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._batches_seen_since_last_saving = 0
        self._pending_metrics = None
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you "
                f"call `fit()`. Model {self.model.name!r} is unbuilt. You can build it "
                "beforehand by calling it on a batch of data."
            )
        candidates = [p for p in (self._weights_path, self._prev_weights_path)
                      if os.path.exists(p) and (p == self._weights_path or self.double_checkpoint)]
        for i, path in enumerate(candidates):
            try:
                self._restore(path)
                return
            except (OSError, KeyError, ValueError) as err:
                if i == len(candidates) - 1:
                    raise
                warnings.warn(f"BackupAndRestore: cannot read {path} ({err}); restoring the "
                              f"previous backup {candidates[i + 1]}", stacklevel=2, category=CornuWarning)

    def _restore(self, path):
        with h5py.File(path, "r") as f:
            group = f["backup"]
            meta = json.loads(group.attrs["metadata"])
            if meta.get("format") != _FORMAT:
                raise ValueError(f"unknown backup format {meta.get('format')!r}")
            numpy_keys = np.asarray(group["numpy_rng_keys"][()])
            framework = (np.asarray(group["framework_rng"][()])
                         if "framework_rng" in group else None)
            metrics = [np.asarray(group["metrics"][str(i)][()])
                       for i in range(len(group["metrics"]))] if "metrics" in group else None
            seeds = {i: {k: np.asarray(d[()]) for k, d in g.items()}
                     for i, g in group["seed_generators"].items()} \
                if "seed_generators" in group else {}
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is not None and not getattr(optimizer, "built", False):
                optimizer.build(self.model.trainable_variables)
            read_weights(self.model, f)
        _set_framework_rng_state(framework)
        _set_seed_generator_states(self.model, seeds)
        np_meta = meta["numpy_rng"]
        np.random.set_state((np_meta["kind"], numpy_keys, np_meta["pos"], np_meta["has_gauss"],
                             np_meta["cached_gaussian"]))
        self._current_epoch = meta["epoch"]
        self.model._restored_history = meta.get("history")
        self.model._initial_epoch = meta["epoch"]
        self.model._initial_step = meta["step"]
        self._pending_metrics = metrics if meta["step"] else None

    # -- back up -------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        # The array adapter draws this epoch's shuffle after this hook: a mid-epoch
        # backup stores the state from before it, so a resumed epoch reshuffles alike.
        self._epoch_numpy_state = np.random.get_state()
        if self._pending_metrics is not None:  # resuming mid-epoch: the running means
            # A data-parallel backup holds the states summed over the processes: the
            # chief takes them and the others start from zero, so the sums stay right.
            chief = self._distribution() is None or self._distribution().is_chief
            for variable, value in zip(self.model.metrics_variables, self._pending_metrics):
                variable.assign(value if chief else np.zeros_like(value))
            self._pending_metrics = None

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen_since_last_saving += 1
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save_model(self._current_epoch, batch + 1, self._epoch_numpy_state)

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save_model(epoch + 1, 0, np.random.get_state(), finished=(epoch, logs))

    def _distribution(self):
        return getattr(self.model, "_distribution", None)

    def _save_model(self, epoch, step, numpy_state, finished=None):
        # Every process arrives here at the same step; the running metric states are
        # summed over the processes (a collective), then only the chief writes.
        metrics = None
        if step:
            metrics = [np.asarray(v.numpy()) for v in self.model.metrics_variables]
            dist = self._distribution()
            if dist is not None and dist.num_processes > 1:
                metrics = [np.asarray(m).astype(v.dtype) for m, v in
                           zip(dist.all_reduce_sum(metrics), self.model.metrics_variables)]
        if self._distribution() is not None and not self._distribution().is_chief:
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            with atomic_path(self._prev_weights_path) as tmp:
                shutil.copyfile(self._weights_path, tmp)
        with atomic_path(self._weights_path) as tmp:
            with h5py.File(tmp, "w") as f:
                self._write_backup(f, epoch, step, numpy_state, finished, metrics)

    def _write_backup(self, h5file, epoch, step, numpy_state, finished=None, metrics=None):
        """Write one complete backup into the open (temporary) h5 file."""
        write_weights(self.model, h5file)
        group = h5file.create_group("backup")
        keys, np_meta = _numpy_state_to_file(numpy_state)
        group.create_dataset("numpy_rng_keys", data=keys)
        framework = _framework_rng_state()
        if framework is not None:
            group.create_dataset("framework_rng", data=framework)
        seeds = group.create_group("seed_generators")  # layers' own random streams
        for i, state in _seed_generator_states(self.model).items():
            entry = seeds.create_group(str(i))
            for key, value in state.items():
                entry.create_dataset(key, data=value)
        if step:
            if metrics is None:
                metrics = [np.asarray(v.numpy()) for v in self.model.metrics_variables]
            stored = group.create_group("metrics")
            for i, value in enumerate(metrics):
                stored.create_dataset(str(i), data=value)
        history = getattr(self.model, "history", None)
        past = None
        if history is not None:  # the epochs completed so far, restored into History
            epochs = [int(e) for e in history.epoch]
            values = {k: np.asarray(v).tolist() for k, v in history.history.items()}
            if finished is not None and finished[0] not in epochs:
                # History records this epoch after the callbacks before it have run.
                epochs.append(int(finished[0]))
                for key, value in (finished[1] or {}).items():
                    values.setdefault(key, []).append(np.asarray(value).tolist())
            past = {"epoch": epochs, "history": values}
        group.attrs["metadata"] = json.dumps(
            {"format": _FORMAT, "epoch": int(epoch), "step": int(step), "numpy_rng": np_meta,
             "history": past}
        )

    def on_train_end(self, logs=None):
        dist = self._distribution()
        if dist is not None and not dist.is_chief:
            return  # the chief deletes the shared backup
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)

    def get_config(self):
        return {"backup_dir": self.backup_dir, "save_freq": self.save_freq,
                "double_checkpoint": self.double_checkpoint,
                "delete_checkpoint": self.delete_checkpoint}
