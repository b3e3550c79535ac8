"""Data parallelism on ``tf.distribute``: ``MirroredStrategy`` in one process,
``MultiWorkerMirroredStrategy`` over several (from ``TF_CONFIG``).

Variables created under ``DataParallel().scope()`` are mirrored on every
replica.  A train step runs the forward and backward pass on every replica
(``strategy.run``) over its shard of the global batch, sums the shard-weighted
gradients with the strategy's collective all-reduce, and applies the update once
in cross-replica context, so every replica's copy takes the same update.  Metric
states are updated in cross-replica context on this process's outputs and
summed over the processes when the logs are read.
"""
import json
import os

import numpy as np
import tensorflow as tf

from cornu import tree
from cornu.backends.tensorflow import trainer as _trainer

_STRATEGY = None  # the MultiWorkerMirroredStrategy of this process, once initialized


def _cluster():
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return None
    config = json.loads(raw)
    cluster, task = config.get("cluster", {}), config.get("task", {})
    workers = list(cluster.get("chief", [])) + list(cluster.get("worker", []))
    index = int(task.get("index", 0)) + (
        len(cluster.get("chief", [])) if task.get("type") == "worker" else 0)
    return len(workers), index


def initialize(job_addresses=None, num_processes=None, process_id=None):
    global _STRATEGY
    if _STRATEGY is not None:
        return
    if job_addresses is not None:
        addresses = [a.strip() for a in str(job_addresses).split(",")]
        os.environ["TF_CONFIG"] = json.dumps({
            "cluster": {"worker": addresses},
            "task": {"type": "worker", "index": int(process_id or 0)}})
    if "TF_CONFIG" not in os.environ:
        raise ValueError(
            "cornu.distribution.initialize: TF_CONFIG is not set. Set it in every process "
            '(e.g. {"cluster": {"worker": ["127.0.0.1:12345", "127.0.0.1:12346"]}, '
            '"task": {"type": "worker", "index": 0}}) or pass job_addresses and process_id.'
        )
    _STRATEGY = tf.distribute.MultiWorkerMirroredStrategy()


def num_processes():
    cluster = _cluster() if _STRATEGY is not None else None
    return cluster[0] if cluster else 1


def process_id():
    cluster = _cluster() if _STRATEGY is not None else None
    return cluster[1] if cluster else 0


def list_devices(device_type=None):
    kind = (device_type or "").upper()
    devices = tf.config.list_logical_devices(kind or None)
    if not kind:
        gpus = [d for d in devices if d.device_type == "GPU"]
        devices = gpus or [d for d in devices if d.device_type == "CPU"]
    return [d.name.split("device:")[-1].lower() for d in devices]


def _bounds(n, index, count):
    return n * index // count, n * (index + 1) // count


class DataParallelImpl:
    def __init__(self, devices=None):
        if _STRATEGY is not None:
            if devices:
                raise ValueError("DataParallel: with several processes each uses its own "
                                 f"devices; do not pass devices={devices}.")
            self.strategy = _STRATEGY
        else:
            self.strategy = tf.distribute.MirroredStrategy(
                [d if "/" in d else f"/{d}" for d in devices] if devices else None)
        self.num_processes = num_processes()
        self.process_id = process_id()
        self.num_replicas = self.strategy.num_replicas_in_sync
        self.local_replicas = self.num_replicas // self.num_processes

    def scope(self):
        return self.strategy.scope()

    def shard(self, batch):
        if isinstance(batch, _trainer.IndexedBatch):
            n = int(batch.index.shape[0])
            lo, hi = _bounds(n, self.process_id, self.num_processes)
            return _trainer.IndexedBatch(batch.data, batch.index[lo:hi]), n
        flat = [a for a in tree.flatten(batch) if a is not None]
        n = int(flat[0].shape[0]) if flat else 0
        lo, hi = _bounds(n, self.process_id, self.num_processes)
        return tree.map_structure(lambda a: None if a is None else a[lo:hi], batch), n

    def all_reduce_sum(self, tensors):
        if self.num_processes == 1:
            return list(tensors)
        if getattr(self, "_sum_fn", None) is None:  # a collective is cheap only in a graph
            self._sum_fn = tf.function(self._sum_over_processes, reduce_retracing=True)
        flat = tf.concat([tf.reshape(tf.cast(t, tf.float64), [-1]) for t in tensors], 0)
        total = np.asarray(self._sum_fn(flat))
        out, start = [], 0
        for t in tensors:
            size = int(np.prod(np.shape(t)))
            out.append(total[start:start + size].reshape(np.shape(t)))
            start += size
        return out

    def _sum_over_processes(self, flat):
        # Each process's value on its first replica only, zeros on the others.
        local = self.local_replicas

        def value(ctx):
            return flat if ctx.replica_id_in_sync_group % local == 0 else tf.zeros_like(flat)

        per_replica = self.strategy.experimental_distribute_values_from_function(value)
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    # -- steps ---------------------------------------------------------------------
    def _split(self, data, weight_of):
        """Per-replica values: replica i of this process gets its rows of ``data``."""
        local = self.local_replicas
        flat = [a for a in tree.flatten(data) if a is not None]
        n = tf.shape(flat[0])[0]

        def value(ctx):
            i = ctx.replica_id_in_sync_group % local
            lo, hi = n * i // local, n * (i + 1) // local
            part = tree.map_structure(lambda a: None if a is None else a[lo:hi], data)
            return part, weight_of(hi - lo)

        return self.strategy.experimental_distribute_values_from_function(value)

    def _local(self, per_replica):
        return self.strategy.experimental_local_results(per_replica)

    def make_train_function(self, model):
        strategy = self.strategy
        trainable = model.trainable_variables
        handles = [v.value for v in trainable]
        optimizer = model.optimizer
        tracker = model._loss_tracker
        total, count = tracker.total.value, tracker.count.value
        metrics = model._compile_metrics
        has_metrics = metrics is not None and bool(metrics.metrics)
        scale_loss = optimizer.scale_loss if getattr(optimizer, "loss_scale_factor", None) \
            else None
        replicas = self.num_replicas

        def replica_step(batch, weight):
            x, y, sample_weight = batch
            with tf.GradientTape() as tape:
                y_pred = model(x, training=True)
                loss = model._compute_loss(x, y, y_pred, sample_weight, True)
                scaled = loss if scale_loss is None else scale_loss(loss)
                # Summed over replicas, shard-weighted grads give the global mean's.
                scaled = scaled * tf.cast(weight, scaled.dtype)
            grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
                     for g in tape.gradient(scaled, handles)]
            grads = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.SUM, grads)
            return grads, y_pred, loss

        def step(data, global_n):
            def weight_of(rows):
                return tf.cast(rows * replicas, tf.float32) / tf.cast(global_n, tf.float32)

            outputs = strategy.run(replica_step, args=self._split(data, weight_of))
            grads = self._local(outputs[0])[0]
            optimizer.apply(list(grads), trainable)
            _update_metrics(self, data, outputs, total, count, metrics, has_metrics)
            return self._local(outputs[2])[0]

        return self._runner(step, model)

    def make_test_function(self, model):
        strategy = self.strategy
        tracker = model._loss_tracker
        total, count = tracker.total.value, tracker.count.value
        metrics = model._compile_metrics
        has_metrics = metrics is not None and bool(metrics.metrics)

        def replica_step(batch, weight):
            x, y, sample_weight = batch
            y_pred = model(x, training=False)
            return None, y_pred, model._compute_loss(x, y, y_pred, sample_weight, False)

        def step(data, global_n):
            outputs = strategy.run(replica_step,
                                   args=self._split(data, lambda rows: tf.constant(1.0)))
            _update_metrics(self, data, outputs, total, count, metrics, has_metrics)
            return self._local(outputs[2])[0]

        return self._runner(step, model)

    def _runner(self, step, model):
        def gathered(data, index, global_n):
            return step(_trainer._gather(data, index), global_n)

        compiled = _trainer._compile(step, model)
        compiled_indexed = _trainer._compile(gathered, model)

        def run(batch):
            local, global_n = self.shard(batch)
            if type(local) is _trainer.IndexedBatch:
                return compiled_indexed(local.data, local.index, global_n)
            return compiled(tuple(local), global_n)

        run.compiled = (compiled, compiled_indexed)
        return run


def _update_metrics(impl, data, outputs, total, count, metrics, has_metrics):
    """The loss tracker and the metrics, in cross-replica context, on this process's rows."""
    x, y, sample_weight = data
    y_preds = impl._local(outputs[1])
    losses = impl._local(outputs[2])
    flat = [a for a in tree.flatten(x) if a is not None]
    n = tf.shape(flat[0])[0]
    local = impl.local_replicas
    for i, loss in enumerate(losses):
        rows = tf.cast(n * (i + 1) // local - n * i // local, tf.float32)
        total.assign_add(tf.cast(loss, tf.float32) * rows)
        count.assign_add(rows)
    if has_metrics:
        if len(y_preds) == 1:
            y_pred = y_preds[0]
        else:  # the replicas' outputs, in row order
            parts = [tree.flatten(p) for p in y_preds]
            y_pred = tree.pack_sequence_as(
                y_preds[0], [tf.concat(list(group), 0) for group in zip(*parts)])
        metrics.update_state(y, y_pred, sample_weight)
