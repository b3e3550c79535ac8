"""Train/test/predict steps on TensorFlow: one ``tf.function`` per step kind (XLA on request)."""
import numpy as np
import tensorflow as tf

from cornu import tree


class IndexedBatch:
    """A batch given as the rows ``index`` of arrays that live on the device.

    The step functions gather the rows inside the compiled graph, so a step costs
    one function call and no eager op.  Indexing (``batch[0]``) gathers eagerly,
    for the rare callers that need the tensors themselves.
    """

    __slots__ = ("data", "index")

    def __init__(self, data, index):
        self.data = data
        self.index = index

    def materialize(self):
        return _gather(self.data, self.index)

    def __getitem__(self, i):
        return self.materialize()[i]

    def __iter__(self):
        return iter(self.materialize())

    def __len__(self):
        return len(self.data)


def _gather(data, index):
    return tree.map_structure(lambda a: None if a is None else tf.gather(a, index), data)


def make_slicer(data):
    """Batches of ``data`` (a structure of tensors) for the given batch starts."""
    flat = tree.flatten(data)
    simple = isinstance(data, tuple) and all(not tree.is_nested(d) for d in data)
    on_device = all(a is None or tf.is_tensor(a) for a in flat)

    def indexed(starts, batch_size, num_samples, perm):
        order = np.arange(num_samples) if perm is None else perm
        sizes, pieces = [], []
        for start in starts:
            start = int(start)
            stop = min(start + batch_size, num_samples)
            sizes.append(stop - start)
            pieces.append(order[start:stop])
        if not pieces:  # no samples: no batches (fit/predict then say "received no data")
            return
        # One conversion and one split per epoch: no eager op per step.
        for index in tf.split(tf.constant(np.concatenate(pieces)), sizes):
            yield IndexedBatch(data, index)

    def slicer(starts, batch_size, num_samples, perm):
        perm_t = None if perm is None else tf.constant(perm)
        for start in starts:
            start = int(start)
            stop = min(start + batch_size, num_samples)
            if perm_t is None:
                parts = [None if a is None else a[start:stop] for a in flat]
            else:
                index = perm_t[start:stop]
                parts = [None if a is None else _take(a, index) for a in flat]
            yield tuple(parts) if simple else tree.pack_sequence_as(data, parts)

    return indexed if on_device else slicer


def _take(a, index):
    if isinstance(a, np.ndarray):
        return a[index.numpy()]
    return tf.gather(a, index)


def _batch_size(x):
    first = x if tf.is_tensor(x) else tree.flatten(x)[0]
    return tf.cast(tf.shape(first)[0], tf.float32)


def _compile(fn, model):
    # No AutoGraph (as Keras 3's steps): cornu's code is graph-safe Python, and an error
    # raised while tracing reaches the user as raised, not re-wrapped "in user code:".
    if getattr(model, "run_eagerly", False):
        return fn
    return tf.function(fn, jit_compile=bool(getattr(model, "jit_compile", False)),
                       reduce_retracing=True, autograph=False)


def value_and_grad(fn, variables):
    """``fn() -> (target, aux)``; returns ``(aux, grads of target w.r.t. variables)``."""
    handles = [v.value for v in variables]
    with tf.GradientTape() as tape:
        target, aux = fn()
    return aux, tape.gradient(target, handles)


def make_step(step, model, training=True):
    """``run(batches)``: ``step(batch)`` on each batch of a group inside one compiled
    ``tf.function`` (XLA under ``jit_compile``; plain Python under ``run_eagerly``);
    returns the last step's result.  Batches given as rows of on-device arrays
    (``IndexedBatch``) are gathered inside the graph, so a step costs one call."""

    def plain(batches):
        result = None
        for batch in batches:
            result = step(batch)
        return result

    def indexed(data, indices):
        result = None
        for index in indices:
            result = step(_gather(data, index))
        return result

    compiled_plain = _compile(plain, model)
    compiled_indexed = _compile(indexed, model)
    if compiled_plain is not plain:
        # One trace for every batch size (the last, partial batch of fit, evaluate and
        # predict included, and arrays of another length in the next call), as Keras
        # traces on a dataset's spec, where tracing with the first batch's shapes would
        # trace again for it.
        compiled_plain = _BatchRelaxed(compiled_plain)
        compiled_indexed = _BatchRelaxed(compiled_indexed)

    def run(batches):
        if type(batches[0]) is IndexedBatch:
            return compiled_indexed(batches[0].data, tuple(b.index for b in batches))
        return compiled_plain(tuple(tuple(b) for b in batches))

    run.compiled = (compiled_plain, compiled_indexed)
    return run


def _relaxed_spec(value):
    """A dense tensor's ``TensorSpec`` with its leading (batch) dimension unknown; any
    other value (None, a Python number, a numpy array of strings) as it is."""
    if isinstance(value, tf.Tensor) and value.shape.rank:
        return tf.TensorSpec([None, *value.shape[1:]], value.dtype)
    return value


class _BatchRelaxed:
    """A ``tf.function`` whose first call with each group length traces it with the
    leading dimension of every tensor argument unknown (``None``), as Keras traces
    on a ``tf.data`` element spec: later batches of any size (a partial last batch,
    arrays of another length in the next ``predict``) reuse that trace.

    Only the group length is checked per call (one ``len``); a structure that changes
    otherwise traces as any ``tf.function`` does.  If the step cannot be traced with an
    unknown batch size, it is traced with the batch's own shapes instead.
    """

    def __init__(self, function):
        self.function = function
        self._relaxed = set()

    def __call__(self, *args):
        key = len(args[-1])
        if key not in self._relaxed:
            self._relaxed.add(key)
            try:
                self.function.get_concrete_function(*tree.map_structure(_relaxed_spec, args))
            except Exception:  # noqa: BLE001 - e.g. a layer that needs a static batch size
                pass  # the call below traces with the batch's own shapes
        return self.function(*args)

    def experimental_get_tracing_count(self):
        return self.function.experimental_get_tracing_count()

    def _list_all_concrete_functions(self):
        return self.function._list_all_concrete_functions()


def step_graph_defs(step_function):
    """The GraphDefs traced so far by a step function from this module (for TensorBoard)."""
    graphs = []
    for fn in getattr(step_function, "compiled", ()):
        list_traced = getattr(fn, "_list_all_concrete_functions", None)
        if list_traced is None:  # run_eagerly: a plain Python function, no graph
            continue
        graphs.extend(c.graph.as_graph_def() for c in list_traced())
    return graphs


def start_profiler(log_dir):
    tf.profiler.experimental.start(log_dir)


def stop_profiler():
    tf.profiler.experimental.stop()


def concat_to_numpy(outputs):
    """The per-batch outputs of ``predict`` as numpy: one concatenation on the device
    and one copy to the host per output (``outputs``: tensors, or structures of them)."""
    first = outputs[0]
    if tree.is_nested(first):
        flat = [tree.flatten(o) for o in outputs]
        return tree.pack_sequence_as(
            first, [concat_to_numpy([f[i] for f in flat]) for i in range(len(flat[0]))])
    joined = first if len(outputs) == 1 else tf.concat(outputs, axis=0)
    return joined.numpy()
