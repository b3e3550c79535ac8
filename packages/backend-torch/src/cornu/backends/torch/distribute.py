"""Data parallelism on ``torch.distributed``: one process per device, DDP for the gradients.

Launch with ``torchrun --nproc-per-node N script.py`` (or several nodes with
``--nnodes`` and a rendezvous); ``cornu.distribution.initialize()`` joins the
process group (gloo on CPU, nccl on CUDA).  Each process trains on its shard of
every global batch; the trainable weights are driven by
``DistributedDataParallel``, which broadcasts them from process 0 once and
averages the gradients in buckets while backward runs.  A shard's loss is
weighted by its share of the global batch, so the averaged gradient is exactly
the gradient of the global batch's mean loss even when the last batch does not
split evenly.
"""
import contextlib
import os

import numpy as np
import torch
import torch.distributed as dist

from cornu import tree
from cornu.backends.torch import trainer as _trainer
from cornu.backends.torch.core import DEFAULT_DEVICE


def initialize(job_addresses=None, num_processes=None, process_id=None):
    if dist.is_initialized():
        return
    if job_addresses:
        host, port = job_addresses.split(",")[0].strip().rsplit(":", 1)
        os.environ.setdefault("MASTER_ADDR", host)
        os.environ.setdefault("MASTER_PORT", port)
    if num_processes is not None:
        os.environ["WORLD_SIZE"] = str(num_processes)
    if process_id is not None:
        os.environ["RANK"] = str(process_id)
    missing = [k for k in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
               if k not in os.environ]
    if missing:
        raise ValueError(
            f"cornu.distribution.initialize: {', '.join(missing)} not set. Launch the "
            "script with torchrun (e.g. `torchrun --nproc-per-node 2 train.py`) or pass "
            "job_addresses='host:port', num_processes and process_id."
        )
    use_cuda = DEFAULT_DEVICE.type == "cuda"
    if use_cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    store, rank, world_size = next(dist.rendezvous("env://"))
    # After torchrun restarts a failed job, the store still holds the dead processes'
    # addresses: a key prefix per restart keeps the new ranks from dialling them.
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    store = dist.PrefixStore(f"cornu/attempt-{attempt}", store)
    dist.init_process_group("nccl" if use_cuda else "gloo", store=store, rank=rank,
                            world_size=world_size)


def num_processes():
    return dist.get_world_size() if dist.is_initialized() else 1


def process_id():
    return dist.get_rank() if dist.is_initialized() else 0


def list_devices(device_type=None):
    kind = (device_type or DEFAULT_DEVICE.type).lower()
    if kind in ("gpu", "cuda"):
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return ["cpu:0"]


def shard_bounds(n, index, count):
    """Rows ``[lo, hi)`` of a batch of ``n`` that replica ``index`` of ``count`` gets."""
    return n * index // count, n * (index + 1) // count


class _ModuleView(torch.nn.Module):
    """The model's trainable Parameters (the very same tensors) as a torch Module, for DDP."""

    def __init__(self, model, params):
        super().__init__()
        self.weights = torch.nn.ParameterList(params)
        self._call = _trainer._forward(model)

    def forward(self, x, training):
        return self._call(x, training=training)


class DataParallelImpl:
    def __init__(self, devices=None):
        if devices is not None and len(devices) > 1:
            raise ValueError(
                "DataParallel on torch runs one device per process; launch one process per "
                f"device with torchrun instead of devices={devices}."
            )
        self.num_processes = num_processes()
        self.process_id = process_id()
        self.num_replicas = self.num_processes
        self.batch_weight = 1.0  # this shard's rows * replicas / global rows

    def scope(self):
        return contextlib.nullcontext()

    def shard(self, batch):
        flat = [a for a in tree.flatten(batch) if a is not None]
        n = int(flat[0].shape[0]) if flat else 0
        lo, hi = shard_bounds(n, self.process_id, self.num_processes)
        self.batch_weight = (hi - lo) * self.num_processes / n if n else 1.0
        return tree.map_structure(lambda a: None if a is None else a[lo:hi], batch)

    def all_reduce_sum(self, tensors):
        if self.num_processes == 1:
            return list(tensors)
        flat = torch.cat([torch.as_tensor(t, dtype=torch.float64).reshape(-1) for t in tensors])
        dist.all_reduce(flat)
        out, start = [], 0
        for t in tensors:
            size = int(np.prod(np.shape(t)))
            out.append(flat[start:start + size].reshape(np.shape(t)))
            start += size
        return out

    # -- steps ---------------------------------------------------------------------
    def make_train_function(self, model):
        trainable = model.trainable_variables
        params = [v.value for v in trainable]
        view = _ModuleView(model, params)  # parameters only: no buffers to broadcast
        ddp = torch.nn.parallel.DistributedDataParallel(view) if self.num_processes > 1 \
            else view
        optimizer = model.optimizer
        tracker = model._loss_tracker
        total, count = tracker.total.value, tracker.count.value
        metrics = model._compile_metrics
        has_metrics = metrics is not None and bool(metrics.metrics)
        compute_loss = model.compute_loss
        scale_loss = optimizer.scale_loss if getattr(optimizer, "loss_scale_factor", None) \
            else None

        def train_step(batch):
            x, y, sample_weight = self.shard(batch)
            y_pred = ddp(x, training=True)
            loss = compute_loss(x, y, y_pred, sample_weight)
            scaled = loss if scale_loss is None else scale_loss(loss)
            (scaled * self.batch_weight).backward(inputs=params)
            optimizer.apply([p.grad for p in params], trainable)
            for p in params:
                p.grad = None
            with torch.no_grad():
                n = _trainer._batch_size(x)
                total.add_(loss.detach(), alpha=n)
                count.add_(n)
                if has_metrics:
                    metrics.update_state(
                        y, tree.map_structure(torch.Tensor.detach, y_pred)
                        if tree.is_nested(y_pred) else y_pred.detach(), sample_weight)
            return loss

        return train_step

    def make_test_function(self, model):
        step = _trainer.make_test_function(model)
        return lambda batch: step(self.shard(batch))
