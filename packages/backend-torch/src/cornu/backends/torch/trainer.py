"""Train/test/predict steps on PyTorch: autograd, fused optimizer updates, no host copies."""
import logging
import statistics
import time

import numpy as np
import torch

from cornu import tree
from cornu.backends.torch.core import DEFAULT_DEVICE, convert_to_numpy


def make_slicer(data):
    """Batches of ``data`` (a structure of tensors) for the given batch starts."""
    flat = tree.flatten(data)
    simple = isinstance(data, tuple) and all(not tree.is_nested(d) for d in data)

    def slicer(starts, batch_size, num_samples, perm):
        perm_t = None if perm is None else torch.from_numpy(perm).to(DEFAULT_DEVICE)
        for start in starts:
            start = int(start)
            stop = min(start + batch_size, num_samples)
            if perm_t is None:
                parts = [None if a is None else a[start:stop] for a in flat]
            else:
                index = perm_t[start:stop]
                parts = [None if a is None else _take(a, index) for a in flat]
            yield tuple(parts) if simple else tree.pack_sequence_as(data, parts)

    return slicer


def _take(a, index):
    if isinstance(a, np.ndarray):
        return a[index.cpu().numpy()]
    return a.index_select(0, index)


def _batch_size(x):
    first = x if isinstance(x, torch.Tensor) else tree.flatten(x)[0]
    return first.shape[0]


def value_and_grad(fn, variables):
    """``fn() -> (target, aux)``; returns ``(aux, grads of target w.r.t. variables)``.

    ``backward()`` into ``.grad`` measured faster than ``torch.autograd.grad`` on CPU;
    ``inputs=`` keeps frozen parameters out, and the grads are dropped again after
    they are read, so a custom step that calls ``backward()`` itself starts clean.
    """
    params = [v.value for v in variables]
    target, aux = fn()
    target.backward(inputs=params)
    grads = [p.grad for p in params]
    for p in params:
        p.grad = None
    return aux, grads


def make_step(step, model, training=True):
    """``run(batches)``: ``step(batch)`` on each batch of a group, in order; returns the
    last step's result.  Evaluation and prediction run without autograd.

    Under ``jit_compile`` the whole step (forward, loss, backward, update) goes through
    ``torch.compile``, falling back to eager, with one warning, where it cannot; the
    compiled and the eager step are then timed against each other on a few batches and
    the faster one runs the rest (on a CPU the compiled step often loses)."""
    if getattr(model, "jit_compile", False):
        step = FasterOf(_compiled(step, model), step, model.name,
                        sync=torch.cuda.synchronize if DEFAULT_DEVICE.type == "cuda" else None)
    if training:
        def run(batches):
            result = None
            for batch in batches:
                result = step(batch)
            return result
    else:
        def run(batches):
            result = None
            with torch.no_grad():
                for batch in batches:
                    result = step(batch)
            return result
    return run


def _compiled(step, model):
    compiled = torch.compile(step)
    state = {"fn": compiled}

    def run(batch):
        try:
            return state["fn"](batch)
        except Exception as err:  # noqa: BLE001 - any compiler failure falls back
            if state["fn"] is step:
                raise
            import warnings

            from cornu import CornuWarning

            warnings.warn(
                f"jit_compile=True: torch.compile could not compile the step of model "
                f"'{model.name}' ({type(err).__name__}: {str(err).splitlines()[0][:200]}); "
                "running it eagerly.", stacklevel=2, category=CornuWarning)
            state["fn"] = step
            for v in model.trainable_variables:  # a graph that ran before the failure
                v.value.grad = None                # may have left gradients behind
            return step(batch)

    return run


class FasterOf:
    """Runs ``compiled`` for ``warmup`` batches (compilation and any recompile for a
    new shape happen there), then ``compiled`` and ``eager`` alternately for
    ``2 * probes`` batches, each timed; the one with the lower median time runs every
    later batch.  Both are the same step, so which one ran a batch changes nothing but
    the time it took.  ``choice`` and ``timings`` (seconds per step) say what was
    measured; the choice is logged on the ``cornu`` logger."""

    def __init__(self, compiled, eager, name, warmup=3, probes=8, sync=None):
        self.compiled, self.eager, self.name = compiled, eager, name
        self.warmup, self.probes, self.sync = warmup, probes, sync
        self.calls = 0
        self.timings = {"compiled": [], "eager": []}
        self.choice = None
        self._fn = compiled

    def __call__(self, batch):
        if self.choice is not None:
            return self._fn(batch)
        self.calls += 1
        if self.calls <= self.warmup:
            return self.compiled(batch)
        kind = "eager" if self.calls % 2 else "compiled"
        fn = self.eager if kind == "eager" else self.compiled
        if self.sync is not None:
            self.sync()
        start = time.perf_counter()
        result = fn(batch)
        if self.sync is not None:
            self.sync()
        self.timings[kind].append(time.perf_counter() - start)
        if self.calls >= self.warmup + 2 * self.probes:
            self._decide()
        return result

    def _decide(self):
        compiled = statistics.median(self.timings["compiled"])
        eager = statistics.median(self.timings["eager"])
        self.choice = "compiled" if compiled <= eager else "eager"
        self._fn = self.compiled if self.choice == "compiled" else self.eager
        logging.getLogger("cornu").info(
            "jit_compile=True: model '%s' runs the %s step (median %.3f ms compiled, "
            "%.3f ms eager per step on %s)", self.name, self.choice, compiled * 1e3,
            eager * 1e3, DEFAULT_DEVICE.type)


def concat_to_numpy(outputs):
    """The per-batch outputs of ``predict`` as numpy: one concatenation on the device
    and one copy to the host per output (``outputs``: tensors, or structures of them)."""
    first = outputs[0]
    if tree.is_nested(first):
        flat = [tree.flatten(o) for o in outputs]
        return tree.pack_sequence_as(
            first, [concat_to_numpy([f[i] for f in flat]) for i in range(len(flat[0]))])
    joined = first if len(outputs) == 1 else torch.cat(outputs, dim=0)
    return convert_to_numpy(joined)  # bfloat16 included
