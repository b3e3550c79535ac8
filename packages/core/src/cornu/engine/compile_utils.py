"""The objects ``compile`` builds: the loss container, the metric container, trackers."""
from cornu import ops, tree
from cornu.variables import Variable


class MeanTracker:
    """A weighted running mean kept in two device variables (used for ``loss``)."""

    def __init__(self, name="loss"):
        self.name = name
        self.total = Variable(0.0, dtype="float32", trainable=False, name="total")
        self.count = Variable(0.0, dtype="float32", trainable=False, name="count")
        self.variables = [self.total, self.count]

    def update_state(self, value, sample_weight=1.0):
        self.total.assign_add(ops.multiply(ops.cast(value, "float32"), sample_weight))
        self.count.assign_add(ops.cast(sample_weight, "float32"))

    def result(self):
        return ops.divide(self.total.value, ops.maximum(self.count.value, 1e-12))

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


def _registry_get(kind, name, family, dist):
    from cornu.plugins import registry

    obj = registry.lookup(kind, name)
    if obj is None and not registry.names(kind):
        raise ModuleNotFoundError(
            f"No {kind} named {name!r}: cornu.{family} is not installed: pip install {dist}",
            name=f"cornu.{family}",
        )
    if obj is None:
        raise ValueError(registry.unknown_name_message(kind, name))
    return obj


def resolve_optimizer(identifier):
    if identifier is None:
        identifier = "rmsprop"
    if isinstance(identifier, str):
        cls = _registry_get("optimizer", identifier, "optimizers", "cornu-optimizers")
        return cls()
    if isinstance(identifier, dict):
        from cornu.serialization import deserialize_cornu_object

        return deserialize_cornu_object(identifier, kind="optimizer")
    if not hasattr(identifier, "apply"):
        raise ValueError(
            f"Could not interpret optimizer: {identifier!r} (expected a name such as 'adam' "
            "or an optimizer instance)"
        )
    return identifier


def wrap_loss_scale(optimizer):
    """``optimizer`` inside a ``LossScaleOptimizer`` (what ``compile`` does under
    ``mixed_float16``, so float16 gradients don't underflow); unchanged if it scales already."""
    cls = _registry_get("optimizer", "LossScaleOptimizer", "optimizers", "cornu-optimizers")
    if isinstance(optimizer, cls):
        return optimizer
    return cls(optimizer, name="loss_scale_optimizer")


class _FunctionLoss:
    """Wraps a loss function ``fn(y_true, y_pred) -> per-sample losses`` with reduction."""

    def __init__(self, fn):
        self.fn = fn
        self.name = getattr(fn, "__name__", "loss")
        self._full_dtype = None  # the last y_pred dtype found not to be half precision

    def __call__(self, y_true, y_pred, sample_weight=None):
        pred = y_pred
        dtype = getattr(y_pred, "dtype", None)
        if dtype is not self._full_dtype and dtype is not None:
            # Mixed precision: compute the loss of float16/bfloat16 outputs in float32,
            # as Keras's loss wrapper does (its dtype is floatx).
            if ops.standardize_dtype(dtype) in ("float16", "bfloat16"):
                pred = ops.cast(y_pred, "float32")
            else:
                self._full_dtype = dtype
        values = self.fn(y_true, pred)
        # A masked ``y_pred`` (``_keras_mask``, e.g. after Embedding(mask_zero=True)) and
        # a mask the function attached to its output weight the values as in Keras 3.
        mask = getattr(y_pred, "_keras_mask", None)
        out_mask = getattr(values, "_keras_mask", None)
        if out_mask is not None:
            mask = out_mask if mask is None else ops.logical_and(mask, out_mask)
        if mask is not None:
            sample_weight = mask_sample_weight(mask, sample_weight, values)
        return reduce_weighted(values, sample_weight)


def mask_sample_weight(mask, sample_weight, values):
    """Keras 3's mask weighting for a mean reduction: masked entries weigh 0 and the
    others ``total / valid``, so the mean runs over the unmasked entries only."""
    values = ops.convert_to_tensor(values)
    mask = ops.cast(mask, values.dtype)
    total = ops.cast(ops.size(mask), values.dtype)
    weights = ops.multiply(mask, ops.divide_no_nan(total, ops.sum(mask)))
    if sample_weight is None:
        return weights
    sample_weight = ops.cast(sample_weight, values.dtype)
    while len(sample_weight.shape) < len(weights.shape):
        sample_weight = ops.expand_dims(sample_weight, -1)
    return ops.multiply(sample_weight, weights)


def reduce_weighted(values, sample_weight=None):
    """``sum(values * sample_weight) / number of values`` (Keras "sum_over_batch_size")."""
    values = ops.convert_to_tensor(values)
    if sample_weight is not None:
        sample_weight = ops.cast(sample_weight, values.dtype)
        while len(sample_weight.shape) < len(values.shape):
            sample_weight = ops.expand_dims(sample_weight, -1)
        while len(sample_weight.shape) > len(values.shape) and sample_weight.shape[-1] == 1:
            sample_weight = ops.squeeze(sample_weight, -1)
        values = ops.multiply(values, sample_weight)
    return ops.mean(values)


def resolve_loss(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, str):
        from cornu.serialization import get_registered_object

        identifier = get_registered_object(identifier) or _registry_get(
            "loss", identifier, "losses", "cornu-metrics")
    elif isinstance(identifier, dict):
        from cornu.serialization import deserialize_cornu_object

        identifier = deserialize_cornu_object(identifier, kind="loss")
    if isinstance(identifier, type):
        identifier = identifier()
    if not callable(identifier):
        raise ValueError(f"Could not interpret loss: {identifier!r}")
    if hasattr(identifier, "get_config"):  # a Loss object: reduces and weights itself
        return identifier
    return _FunctionLoss(identifier)


class CompileLoss:
    """The total loss over one or several outputs, with ``loss_weights``."""

    def __init__(self, loss, loss_weights, output_names):
        self.output_names = output_names
        self.config = loss
        n = len(output_names)
        if isinstance(loss, dict):
            unknown = set(loss) - set(output_names)
            if unknown:
                raise ValueError(
                    f"compile(loss=...): keys {sorted(unknown)} do not match the model "
                    f"outputs {output_names}"
                )
            losses = [resolve_loss(loss.get(name)) for name in output_names]
        elif isinstance(loss, (list, tuple)):
            if len(loss) != n:
                raise ValueError(
                    f"compile(loss=...): received {len(loss)} losses for a model with {n} outputs"
                )
            losses = [resolve_loss(item) for item in loss]
        else:
            losses = [resolve_loss(loss)] * n if n else [resolve_loss(loss)]
        if loss_weights is None:
            weights = [1.0] * len(losses)
        elif isinstance(loss_weights, dict):
            weights = [float(loss_weights.get(name, 1.0)) for name in output_names]
        else:
            weights = [float(w) for w in loss_weights] if isinstance(loss_weights, (list, tuple)) else [float(loss_weights)]
            if len(weights) != len(losses):
                raise ValueError(
                    f"compile(loss_weights=...): received {len(weights)} weights for "
                    f"{len(losses)} outputs"
                )
        self.losses = losses
        self.weights = weights
        self._single = len(losses) == 1 and weights[0] == 1.0
        # With several outputs, each output's (unweighted) loss is logged too, as Keras
        # does: ``<output>_loss`` in the logs and History.
        self.trackers = []
        if len(losses) > 1:
            self.trackers = [
                MeanTracker(f"{name}_loss") if loss is not None else None
                for name, loss in zip(output_names, losses)
            ]

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self._single:
            loss = self.losses[0]
            yt = y_true[0] if isinstance(y_true, (list, tuple)) and len(y_true) == 1 else y_true
            yp = y_pred[0] if isinstance(y_pred, (list, tuple)) and len(y_pred) == 1 else y_pred
            return loss(yt, yp, sample_weight)
        y_true = _by_output(y_true, self.output_names)
        y_pred = _by_output(y_pred, self.output_names)
        sws = _by_output(sample_weight, self.output_names) if isinstance(sample_weight, (list, tuple, dict)) else [sample_weight] * len(self.losses)
        total = None
        trackers = self.trackers or [None] * len(self.losses)
        for loss, weight, yt, yp, sw, tracker in zip(
                self.losses, self.weights, y_true, y_pred, sws, trackers):
            if loss is None:
                continue
            value = loss(yt, yp, sw)
            if tracker is not None:
                batch = ops.shape(tree.flatten(yp)[0])[0]
                tracker.update_state(ops.stop_gradient(value), ops.cast(batch, "float32"))
            if weight != 1.0:
                value = ops.multiply(value, weight)
            total = value if total is None else ops.add(total, value)
        return total


def _by_output(structure, names):
    if isinstance(structure, dict):
        return [structure.get(name) for name in names]
    if isinstance(structure, (list, tuple)):
        return list(structure)
    return [structure]


def resolve_metric(identifier, loss, output_shape):
    from cornu.plugins import get_plugin_manager

    if isinstance(identifier, type):
        return identifier()
    if not isinstance(identifier, str) and hasattr(identifier, "update_state"):
        return identifier
    result = get_plugin_manager().hook.cornu_resolve_metric(
        identifier=identifier, loss=loss, output_shape=output_shape
    )
    if result is not None:
        return result
    if isinstance(identifier, str):
        cls = _registry_get("metric", identifier, "metrics", "cornu-metrics")
        return cls() if isinstance(cls, type) else resolve_metric(cls, loss, output_shape)
    raise ValueError(
        f"Could not interpret metric {identifier!r}; is cornu-metrics installed? "
        "(pip install cornu-metrics)"
    )


class CompileMetrics:
    """The compiled metrics of every output, named as Keras 3 names them in the logs."""

    def __init__(self, metrics, weighted_metrics, output_names, losses, output_shapes):
        self.output_names = output_names
        per_output = self._per_output(metrics, output_names)
        per_output_w = self._per_output(weighted_metrics, output_names)
        self.metrics = []  # (output index, metric, weighted)
        # Keras's order: the metrics of every output, then the weighted metrics.
        for weighted, per in ((False, per_output), (True, per_output_w)):
            for i in range(len(output_names)):
                loss = losses[i] if i < len(losses) else None
                shape = output_shapes[i] if i < len(output_shapes) else None
                for item in per[i]:
                    if item is not None:
                        self.metrics.append((i, resolve_metric(item, loss, shape), weighted))
        self._set_log_names(len(output_names) > 1)

    def _set_log_names(self, prefixed):
        """Keras 3's log names (``CompileMetrics.result``), set as the metrics' names.

        With several outputs a name gets the output's name as prefix
        (``out_a_accuracy``).  A name already taken gets ``_1``, ``_2``, ...; a
        weighted metric's gets ``weighted_`` first (``weighted_accuracy``).
        """
        counters = {}
        for i, metric, weighted in self.metrics:
            # The name before any compile renamed it (an instance can be compiled again).
            base = metric.__dict__.setdefault("_compile_base_name", metric.name)
            prefix = f"{self.output_names[i]}_" if prefixed else ""
            name = prefix + base
            if name in counters and weighted:
                name = f"{prefix}weighted_{base}"
            if name in counters:
                counters[name] += 1
                name = f"{name}_{counters[name] - 1}"
            else:
                counters[name] = 1
            metric.name = name

    @staticmethod
    def _per_output(metrics, names):
        """One list of metrics per output.

        A dict maps output names to a metric or a list of them; with several
        outputs, a list as long as the outputs gives each output its entry (a
        metric, a list, or None), as in Keras 3.  Any other list applies to every
        output (Keras 3 rejects it with several outputs; Keras 2 broadcast it).
        """
        def as_list(value):
            if value is None:
                return []
            return list(value) if isinstance(value, (list, tuple)) else [value]

        n = len(names)
        if metrics is None:
            return [[] for _ in range(n)]
        if isinstance(metrics, dict) and not {"class_name", "config"} <= set(metrics):
            unknown = set(metrics) - set(names)
            if unknown and n > 1:
                raise ValueError(
                    f"compile(metrics=...): keys {sorted(unknown)} do not match the model "
                    f"outputs {names}"
                )
            return [as_list(metrics.get(name)) for name in names]
        if isinstance(metrics, (list, tuple)):
            if n > 1 and len(metrics) == n:
                return [as_list(m) for m in metrics]
            return [list(metrics) for _ in range(n)]
        return [[metrics] for _ in range(n)]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.metrics:
            return
        yts = _by_output(y_true, self.output_names) if len(self.output_names) > 1 else [y_true]
        yps = _by_output(y_pred, self.output_names) if len(self.output_names) > 1 else [y_pred]
        for i, metric, weighted in self.metrics:
            metric.update_state(yts[i], yps[i], sample_weight if weighted else None)

    def result(self):
        return {metric.name: metric.result() for _, metric, _ in self.metrics}

    def reset_state(self):
        for _, metric, _ in self.metrics:
            metric.reset_state()

    @property
    def variables(self):
        out = []
        for _, metric, _ in self.metrics:
            out.extend(getattr(metric, "variables", []))
        return out


__all__ = ["MeanTracker", "CompileLoss", "CompileMetrics", "resolve_optimizer", "resolve_loss",
           "resolve_metric", "reduce_weighted"]
