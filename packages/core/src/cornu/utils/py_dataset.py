"""``PyDataset``: batches from Python code, fetched ahead by worker threads or processes.

Subclass it, implement ``__getitem__(index)`` (one batch: ``x``, ``(x, y)`` or
``(x, y, sample_weight)``) and ``__len__`` (the number of batches), and pass it to
``fit``/``evaluate``/``predict``.  With ``workers > 1`` a pool fetches up to
``max_queue_size`` batches ahead of the training step, in order; threads by default,
processes with ``use_multiprocessing=True`` (started with the ``spawn`` method, so
the dataset must be picklable: a class defined at module level).
"""
import concurrent.futures
import multiprocessing
import random

__all__ = ["PyDataset"]


class PyDataset:
    """Base class for datasets written in Python (Keras's ``PyDataset``, formerly Sequence).

    Args:
        workers: the number of threads or processes that fetch batches ahead.
            1 fetches them in the training loop itself.
        use_multiprocessing: use processes instead of threads (for batches whose
            preparation holds the GIL).
        max_queue_size: the most batches fetched ahead of the one being trained on.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        for name, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"{type(self).__name__}: `{name}` must be a positive integer; "
                    f"received {name}={value!r}."
                )
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    # Subclasses that forget super().__init__() still get the defaults.
    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """Returns batch ``index``: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __getitem__(index) to return a batch."
        )

    @property
    def num_batches(self):
        """The number of batches per epoch, or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        return None

    def on_epoch_begin(self):
        """Called before each epoch's first batch is fetched."""

    def on_epoch_end(self):
        """Called after each epoch (e.g. to reshuffle the samples)."""


_WORKER_DATASET = None


def _init_worker(dataset):
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _get_batch(index):
    return _WORKER_DATASET[index]


class PyDatasetBatches:
    """Iterates a PyDataset epoch after epoch: hooks, batch order, fetching ahead."""

    def __init__(self, dataset, shuffle=False):
        self.dataset = dataset
        self.shuffle = shuffle
        self._executor = None

    def __len__(self):
        return self.dataset.num_batches

    def _indices(self):
        count = self.dataset.num_batches
        if count is None:  # endless: until __getitem__ raises IndexError
            index = 0
            while True:
                yield index
                index += 1
        order = list(range(count))
        if self.shuffle:
            random.shuffle(order)
        yield from order

    def _pool(self):
        if self._executor is None:
            ds = self.dataset
            if ds.use_multiprocessing:
                self._executor = concurrent.futures.ProcessPoolExecutor(
                    ds.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker, initargs=(ds,))
            else:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    ds.workers, thread_name_prefix="cornu-pydataset")
        return self._executor

    def __iter__(self):
        ds = self.dataset
        ds.on_epoch_begin()
        try:
            if ds.workers > 1 or ds.use_multiprocessing:
                yield from self._prefetched()
            else:
                for index in self._indices():
                    try:
                        batch = ds[index]
                    except IndexError:
                        if ds.num_batches is None:
                            return
                        raise
                    yield batch
        finally:
            ds.on_epoch_end()

    def _prefetched(self):
        pool = self._pool()
        fetch = _get_batch if self.dataset.use_multiprocessing else self.dataset.__getitem__
        pending = []
        indices = self._indices()
        try:
            for index in indices:
                pending.append(pool.submit(fetch, index))
                if len(pending) >= self.dataset.max_queue_size:
                    break
            while pending:
                try:
                    batch = pending.pop(0).result()
                except IndexError:
                    if self.dataset.num_batches is None:
                        return
                    raise
                next_index = next(indices, None)
                if next_index is not None:
                    pending.append(pool.submit(fetch, next_index))
                yield batch
        finally:
            for future in pending:
                future.cancel()

    def close(self):
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def __del__(self):
        self.close()
