"""Data parallelism on ``torch.distributed``: one process per device.

Launch with ``torchrun --nproc-per-node N script.py`` (or several nodes with
``--nnodes`` and a rendezvous); ``cornu.distribution.initialize()`` joins the
process group (gloo on CPU, nccl on CUDA).  Each process runs the model's own
default step (``Model.train_step``'s work, in the core) on its shard of every
global batch; this module supplies the step's gradient primitive: the trainable
weights are broadcast from process 0 once, and each step's gradients are summed
over the processes in one flat all-reduce.  A shard's loss is weighted by its
share of the global batch, so the summed gradient is exactly the gradient of the
global batch's mean loss even when the last batch does not split evenly.
State that layers update in the step from their shard alone (BatchNormalization's
moving statistics: the float non-trainable variables) is averaged over the
processes after each step, as tensorflow's strategies average it, so that every
process holds the same model.
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
        """The model's default step on this process's shard, with gradients reduced here."""
        self._broadcast([v.value for v in model.trainable_variables])
        vars(model)["_step_primitives"] = self  # the core's step asks it for gradients
        step = _trainer.make_step(model._default_train_step, model, training=True)
        state = [v.value for v in model.non_trainable_variables
                 if v.value.is_floating_point()]
        if self.num_processes == 1 or not state:
            return lambda batch: step((self.shard(batch),))

        def train(batch):
            logs = step((self.shard(batch),))
            self._average(state)
            return logs

        return train

    def make_test_function(self, model):
        step = _trainer.make_step(model._default_test_step, model, training=False)
        return lambda batch: step((self.shard(batch),))

    def value_and_grad(self, fn, variables):
        """The gradient primitive of the step: the global batch's mean-loss gradient."""
        share = self.batch_weight / self.num_processes  # this shard's rows / global rows

        def weighted():
            target, aux = fn()
            return target * share, aux

        aux, grads = _trainer.value_and_grad(weighted, variables)
        if self.num_processes == 1:
            return aux, grads
        grads = [torch.zeros_like(v.value) if g is None else g for g, v in zip(grads, variables)]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        out, start = [], 0
        for g in grads:
            out.append(flat[start:start + g.numel()].view_as(g))
            start += g.numel()
        return aux, out

    def _average(self, tensors):
        """Each tensor replaced by its mean over the processes (one flat all-reduce)."""
        with torch.no_grad():
            flat = torch.cat([t.detach().reshape(-1).to(torch.float64) for t in tensors])
            dist.all_reduce(flat)
            flat /= self.num_processes
            start = 0
            for t in tensors:
                t.copy_(flat[start:start + t.numel()].view_as(t))
                start += t.numel()

    def _broadcast(self, params):
        """Process 0's values for ``params`` in every process (once, before training)."""
        if self.num_processes == 1 or not params:
            return
        with torch.no_grad():
            flat = torch.cat([p.detach().reshape(-1) for p in params])
            dist.broadcast(flat, src=0)
            start = 0
            for p in params:
                p.copy_(flat[start:start + p.numel()].view_as(p))
                start += p.numel()
