"""Train/test/predict steps on PyTorch: autograd, fused optimizer updates, no host copies."""
import numpy as np
import torch

from cornu import tree
from cornu.backends.torch.core import DEFAULT_DEVICE


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
    last step's result.  Evaluation and prediction run without autograd; under
    ``jit_compile`` the whole step (forward, loss, backward, update) goes through
    ``torch.compile``, falling back to eager, with one warning, where it cannot."""
    if getattr(model, "jit_compile", False):
        step = _compiled(step, model)
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

            warnings.warn(
                f"jit_compile=True: torch.compile could not compile the step of model "
                f"'{model.name}' ({type(err).__name__}: {str(err).splitlines()[0][:200]}); "
                "running it eagerly.", stacklevel=2)
            state["fn"] = step
            for v in model.trainable_variables:  # a graph that ran before the failure
                v.value.grad = None                # may have left gradients behind
            return step(batch)

    return run


def concat_to_numpy(outputs):
    """One concatenation on the device, one copy to the host."""
    joined = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=0)
    return joined.detach().cpu().numpy()
