"""Data-parallel training on the framework's own distributed engine.

``DataParallel`` is backend-neutral; the active backend implements it
(``backend.distribute``):

* torch: ``torch.distributed`` (gloo on CPU, nccl on CUDA), one process per
  device, launched by ``torchrun``.  The model's trainable weights are driven by
  ``DistributedDataParallel``, which all-reduces the gradients during backward.
* tensorflow: ``tf.distribute.MirroredStrategy`` (the devices of one process) or
  ``MultiWorkerMirroredStrategy`` (several processes, from ``TF_CONFIG``).

Semantics (both backends): ``batch_size`` is the global batch; every global batch
is cut into one contiguous shard per replica and the gradients are combined so
that a step equals the single-process step on the whole batch; the metrics and
the loss in the logs are aggregated over all replicas; the progress bar,
``ModelCheckpoint``, ``CSVLogger``, ``TensorBoard`` and the writes of
``BackupAndRestore`` happen on the chief (process 0) only, while every process
restores from the backup.

Use it as a scope (variables created inside live on every replica)::

    cornu.distribution.initialize()          # first thing in a multi-process job
    with cornu.distribution.DataParallel().scope():
        model = make_model()
        model.compile(...)
    model.fit(x, y, batch_size=64)           # 64 over all replicas

or set it for the process with ``set_distribution(DataParallel())``, or pass it
to ``fit(..., distribution=...)``.
"""
import contextlib

from cornu.distribution.layouts import (
    DeviceMesh,
    LayoutMap,
    ModelParallel,
    TensorLayout,
    distribute_tensor,
    get_device_count,
)

__all__ = [
    "DataParallel", "DeviceMesh", "LayoutMap", "ModelParallel", "TensorLayout",
    "distribute_tensor", "distribution", "get_device_count", "initialize", "is_chief",
    "list_devices", "process_id", "num_processes", "set_distribution",
]

_GLOBAL = None
_SCOPED = []


def _backend_distribute():
    from cornu.backend import get_backend

    backend = get_backend()
    module = getattr(backend, "distribute", None)
    if module is None:
        raise RuntimeError(
            f"cornu.distribution: the {backend.NAME!r} backend has no distributed training "
            "(it provides no `distribute` module)."
        )
    return module


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Joins the multi-process job; call it first thing in every process.

    torch: ``torch.distributed.init_process_group`` from the ``torchrun``
    environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``/``MASTER_PORT``), or
    from the arguments (``job_addresses`` is ``"host:port"`` of process 0).
    tensorflow: ``MultiWorkerMirroredStrategy`` from ``TF_CONFIG`` (or a
    ``TF_CONFIG`` built from the arguments); it must be created before any
    other TensorFlow op runs.  A single-process run needs no ``initialize``.
    """
    _backend_distribute().initialize(job_addresses, num_processes, process_id)


def list_devices(device_type=None):
    """The devices this process can place replicas on (``"cpu:0"``, ``"cuda:1"``, ...)."""
    return _backend_distribute().list_devices(device_type)


def num_processes():
    """The number of processes in the job (1 without ``initialize``)."""
    return _backend_distribute().num_processes()


def process_id():
    """This process's index in the job (0 is the chief)."""
    return _backend_distribute().process_id()


def is_chief():
    """Whether this process writes files and logs (process 0, or no distribution)."""
    dist = distribution()
    return dist is None or dist.is_chief


class DataParallel:
    """Replicates the model on every device of every process and splits each batch.

    Args:
        device_mesh: accepted for Keras compatibility; must be None or 1-D.
        devices: the devices of this process to use (tensorflow: several make a
            ``MirroredStrategy``; torch: one device per process, the process's
            own by default).
        auto_shard_dataset: cut every global batch into per-replica shards
            (True).  False means each process's input already holds only its own
            samples (then ``batch_size`` is per process).
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        shape = getattr(device_mesh, "shape", None)
        if shape is not None and len(shape) != 1:
            raise ValueError(
                f"DataParallel: `device_mesh` must be 1-D; received a mesh of shape {shape}."
            )
        self.devices = list(devices) if devices is not None else None
        self.auto_shard_dataset = auto_shard_dataset
        self._impl = _backend_distribute().DataParallelImpl(self.devices)

    @property
    def num_replicas(self):
        """Replicas over all processes (what a global batch is split into)."""
        return self._impl.num_replicas

    @property
    def num_processes(self):
        return self._impl.num_processes

    @property
    def process_id(self):
        return self._impl.process_id

    @property
    def is_chief(self):
        return self._impl.process_id == 0

    @contextlib.contextmanager
    def scope(self):
        """Variables created inside live on every replica; ``fit`` inside uses this."""
        _SCOPED.append(self)
        try:
            with self._impl.scope():
                yield self
        finally:
            _SCOPED.pop()

    def shard(self, batch):
        """This process's part of a global batch (a structure of arrays/tensors)."""
        if not self.auto_shard_dataset or self.num_processes == 1:
            return batch
        return self._impl.shard(batch)

    def all_reduce_sum(self, tensors):
        """The elementwise sums of ``tensors`` over all processes."""
        return self._impl.all_reduce_sum(tensors)

    def __repr__(self):
        return (f"DataParallel(num_replicas={self.num_replicas}, "
                f"num_processes={self.num_processes}, process_id={self.process_id})")


def set_distribution(value):
    """Sets the distribution ``fit``/``evaluate`` use in this process (None: none)."""
    global _GLOBAL
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(
            f"set_distribution: expected a cornu.distribution.DataParallel or None; "
            f"received {type(value).__name__}."
        )
    _GLOBAL = value


def distribution():
    """The distribution in effect: the innermost ``scope()``, else ``set_distribution``'s."""
    return _SCOPED[-1] if _SCOPED else _GLOBAL
