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


def _forward(model):
    call = model.__call__
    if getattr(model, "jit_compile", False):
        call = torch.compile(call)
    return call


def make_train_function(model):
    trainable = model.trainable_variables
    params = [v.value for v in trainable]
    optimizer = model.optimizer
    tracker = model._loss_tracker
    total, count = tracker.total.value, tracker.count.value
    metrics = model._compile_metrics
    forward = _forward(model)
    compute_loss = model.compute_loss
    has_metrics = metrics is not None and bool(metrics.metrics)
    # Mixed precision: the optimizer scales the loss up and its gradients back down.
    scale_loss = optimizer.scale_loss if getattr(optimizer, "loss_scale_factor", None) else None

    def train_step(batch):
        x, y, sample_weight = batch
        y_pred = forward(x, training=True)
        loss = compute_loss(x, y, y_pred, sample_weight)
        scaled = loss if scale_loss is None else scale_loss(loss)
        # backward() into .grad measured faster than torch.autograd.grad on CPU; inputs=
        # keeps frozen parameters out, and the grads are dropped again after the update.
        scaled.backward(inputs=params)
        grads = [p.grad for p in params]
        optimizer.apply(grads, trainable)
        for p in params:
            p.grad = None
        with torch.no_grad():
            n = _batch_size(x)
            total.add_(loss.detach(), alpha=n)
            count.add_(n)
            if has_metrics:
                metrics.update_state(y, tree.map_structure(torch.Tensor.detach, y_pred)
                                     if tree.is_nested(y_pred) else y_pred.detach(), sample_weight)
        return loss

    return train_step


def make_test_function(model):
    tracker = model._loss_tracker
    total, count = tracker.total.value, tracker.count.value
    metrics = model._compile_metrics
    forward = _forward(model)
    has_metrics = metrics is not None and bool(metrics.metrics)

    def test_step(batch):
        x, y, sample_weight = batch
        with torch.no_grad():
            y_pred = forward(x, training=False)
            loss = model.compute_loss(x, y, y_pred, sample_weight, training=False)
            n = _batch_size(x)
            total.add_(loss, alpha=n)
            count.add_(n)
            if has_metrics:
                metrics.update_state(y, y_pred, sample_weight)
        return loss

    return test_step


def make_predict_function(model):
    forward = _forward(model)

    def predict_step(batch):
        with torch.no_grad():
            return forward(batch[0], training=False)

    return predict_step


def concat_to_numpy(outputs):
    """One concatenation on the device, one copy to the host."""
    joined = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=0)
    return joined.detach().cpu().numpy()
