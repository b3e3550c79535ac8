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
        if not isinstance(sample_weight, (int, float)):  # e.g. a batch size in a graph
            sample_weight = ops.cast(sample_weight, "float32")
        self.total.assign_add(ops.multiply(ops.cast(value, "float32"), sample_weight))
        self.count.assign_add(sample_weight)

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
        message = registry.unknown_name_message(kind, name)
        from cornu.plugins import manager

        context = manager.current_context()
        if dist in {d.distribution for d in context.disabled()}:
            message += f" ({dist}, which provides cornu.{family}, is disabled.)"
        elif dist not in {info.distribution for info in context.infos().values()}:
            message += f" (cornu.{family} is not installed: pip install {dist}.)"
        raise ValueError(message)
    return obj


#: The optimizer ``compile`` resolves when it is given none (Keras 3's default).
DEFAULT_OPTIMIZER = "rmsprop"


def resolve_optimizer(identifier):
    if identifier is None:
        return None  # as Keras: evaluate/predict work; fit says it needs one
    if isinstance(identifier, str):
        try:
            cls = _registry_get("optimizer", identifier, "optimizers", "cornu-optimizers")
        except (ModuleNotFoundError, ValueError) as err:
            if identifier != DEFAULT_OPTIMIZER:
                raise
            # compile(loss=...) alone: say which optimizer compile tried, and why.
            raise type(err)(
                f"compile() resolves optimizer={DEFAULT_OPTIMIZER!r} (its default when no "
                f"optimizer is passed) and could not: {err} Pass optimizer=... with an "
                "optimizer instance or another registered name.",
                **({"name": err.name} if isinstance(err, ModuleNotFoundError) else {}),
            ) from None
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


#: The keys of a compile config, in the order Keras 3 writes them.
COMPILE_CONFIG_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                       "run_eagerly", "steps_per_execution", "jit_compile")


def serialize_compile_config(arguments, optimizer, jit_compile):
    """The compile config Keras 3 writes for ``compile(**arguments)``.

    ``optimizer`` is the model's optimizer: serialized as compile received it (the
    optimizer inside the ``LossScaleOptimizer`` that compile adds under
    ``mixed_float16``).  Loss and metric objects become their configs, functions
    Keras's function records, names stay names; ``jit_compile`` is the resolved flag.
    """
    from cornu.serialization import serialize_cornu_object

    given = arguments.get("optimizer")
    if given is not None and not isinstance(given, (str, dict)):
        optimizer = given  # the instance passed to compile (the same object, trained)
    elif getattr(optimizer, "inner_optimizer", None) is not None and not isinstance(given, dict):
        optimizer = optimizer.inner_optimizer  # wrapped by compile, not by the user
    config = {key: arguments.get(key) for key in COMPILE_CONFIG_KEYS}
    config["optimizer"] = serialize_cornu_object(optimizer)
    for key in ("loss", "loss_weights"):
        config[key] = serialize_cornu_object(config[key])
    for key in ("metrics", "weighted_metrics"):
        config[key] = _serialize_metric_entry(config[key])
    config["jit_compile"] = bool(jit_compile)
    return config


def _serialize_metric_entry(value):
    """A metrics argument serialized with each metric under the name it was given:
    ``CompileMetrics`` renames a metric for the logs (``out_a_auc``, ``auc_1``), and a
    reloaded model must not prefix it twice (Keras keeps the object's name)."""
    from cornu.serialization import serialize_cornu_object

    if isinstance(value, (list, tuple)):
        return [_serialize_metric_entry(item) for item in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {key: _serialize_metric_entry(item) for key, item in value.items()}
    record = serialize_cornu_object(value)
    base = getattr(value, "__dict__", {}).get("_compile_base_name")
    inner = record.get("config") if isinstance(record, dict) else None
    if base is not None and isinstance(inner, dict) and inner.get("name") == value.name:
        inner["name"] = base
    return record


def deserialize_compile_config(config):
    """``compile`` keyword arguments from a compile config (cornu's or Keras 3's).

    The optimizer, loss and metric records become objects (``from_config``), function
    records become the functions they name (user functions registered with
    ``register_keras_serializable``, or cornu's); names stay names for ``compile``
    to resolve.  Nothing in the config is imported or called.
    """
    from cornu.serialization import deserialize_cornu_object

    kwargs = {key: config[key] for key in COMPILE_CONFIG_KEYS if key in config}
    optimizer = kwargs.get("optimizer")
    if isinstance(optimizer, dict):
        kwargs["optimizer"] = deserialize_cornu_object(optimizer, kind="optimizer")
    if "loss" in kwargs:
        kwargs["loss"] = _deserialize_entry(kwargs["loss"], "loss")
    for key in ("metrics", "weighted_metrics"):
        if key in kwargs:
            kwargs[key] = _deserialize_entry(kwargs[key], "metric")
    return kwargs


def _deserialize_entry(value, kind):
    """A loss or metric entry of a compile config: objects from their records, the
    same nesting (a list, or a dict keyed by output name) otherwise."""
    if isinstance(value, (list, tuple)):
        return [_deserialize_entry(item, kind) for item in value]
    if not isinstance(value, dict):
        return value  # None, or a name such as "mse" / "accuracy"
    if "class_name" not in value:
        return {key: _deserialize_entry(item, kind) for key, item in value.items()}
    from cornu.serialization import deserialize_cornu_object, get_registered_function

    if value.get("class_name") == "function" and kind == "metric":
        # A metric function: a registered user function, or one of the loss functions
        # (mean_squared_error, ...), both wrapped as Keras wraps them; any other name
        # (binary_accuracy, ...) is left to the metrics family, which knows its functions.
        from cornu.plugins import registry

        name = value.get("config")
        found = get_registered_function(name)
        if found is None and isinstance(name, str):
            found = registry.lookup("loss", name)
        return found if callable(found) and not isinstance(found, type) else value
    return deserialize_cornu_object(value, kind=kind)


def wrap_loss_scale(optimizer):
    """``optimizer`` inside a ``LossScaleOptimizer`` (what ``compile`` does under
    ``mixed_float16``, so float16 gradients don't underflow); unchanged if it scales already."""
    cls = _registry_get("optimizer", "LossScaleOptimizer", "optimizers", "cornu-optimizers")
    if isinstance(optimizer, cls):
        return optimizer
    return cls(optimizer, name="loss_scale_optimizer")


def align_ranks(y_true, y_pred):
    """Squeeze or expand the trailing axis of size 1 when the ranks differ by exactly one.

    What Keras 3's ``LossFunctionWrapper`` does before calling a loss function
    (``squeeze_or_expand_to_same_rank``): targets ``(N,)`` against predictions
    ``(N, 1)`` become ``(N, 1)`` (a rank-1 side is expanded), and ``(N, T, 1)``
    against ``(N, T)`` is squeezed.  Only static ranks are compared, so matching
    shapes cost two ``len`` calls; values without a ``shape`` pass through.
    """
    true_shape = getattr(y_true, "shape", None)
    pred_shape = getattr(y_pred, "shape", None)
    if true_shape is None or pred_shape is None:
        return y_true, y_pred
    true_rank, pred_rank = len(true_shape), len(pred_shape)
    if true_rank == pred_rank:
        return y_true, y_pred
    if true_rank == pred_rank + 1 and true_shape[-1] == 1:
        if pred_rank == 1:
            y_pred = ops.expand_dims(y_pred, -1)
        else:
            y_true = ops.squeeze(y_true, -1)
    elif pred_rank == true_rank + 1 and pred_shape[-1] == 1:
        if true_rank == 1:
            y_true = ops.expand_dims(y_true, -1)
        else:
            y_pred = ops.squeeze(y_pred, -1)
    return y_true, y_pred


class _FunctionLoss:
    """Wraps a loss function ``fn(y_true, y_pred) -> per-sample losses`` with reduction.

    Targets and predictions are aligned first (``align_ranks``), as Keras wraps a
    compiled loss function in a ``LossFunctionWrapper``."""

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
        y_true, pred = align_ranks(y_true, pred)
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
            yt = _single_value(y_true)
            yp = _single_value(y_pred)
            if tree.is_nested(yp) and tree.is_nested(yt):
                # One loss for an output that is itself a structure (KerasRS's embedding
                # gives a dict of features): Keras maps the loss over its leaves, and the
                # total is their sum.
                tree.assert_same_structure(yt, yp, check_types=False)
                total = None
                for t, p in zip(tree.flatten(yt), tree.flatten(yp)):
                    value = loss(t, p, sample_weight)
                    total = value if total is None else total + value
                return total
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


def _single_value(structure):
    """The one value of a one-item list, tuple or dict (a single output's targets or
    predictions, e.g. of ``Model(x, {"out": y})``); anything else as it is."""
    if isinstance(structure, (list, tuple)) and len(structure) == 1:
        return structure[0]
    if isinstance(structure, dict) and len(structure) == 1:
        return next(iter(structure.values()))
    return structure


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

    name = "compile_metrics"  # its entry in ``model.metrics`` (Keras 3)

    def __init__(self, metrics, weighted_metrics, output_names, losses, output_shapes):
        self.output_names = output_names
        per_output = self._per_output(metrics, output_names)
        per_output_w = self._per_output(weighted_metrics, output_names)
        self._entries = []  # (output index, metric, weighted)
        # Keras's order: the metrics of every output, then the weighted metrics.
        for weighted, per in ((False, per_output), (True, per_output_w)):
            for i in range(len(output_names)):
                loss = losses[i] if i < len(losses) else None
                shape = output_shapes[i] if i < len(output_shapes) else None
                for item in per[i]:
                    if item is not None:
                        self._entries.append((i, resolve_metric(item, loss, shape), weighted))
        self._set_log_names(len(output_names) > 1)

    def _set_log_names(self, prefixed):
        """Keras 3's log names (``CompileMetrics.result``), one per entry.

        With several outputs a name gets the output's name as prefix
        (``out_a_accuracy``).  A name already taken gets ``_1``, ``_2``, ...; a
        weighted metric's gets ``weighted_`` first (``weighted_accuracy``).  The
        metric objects keep their own names, as in Keras (an instance may serve
        several outputs, or be compiled again).
        """
        counters = {}
        self._log_names = []
        for i, metric, weighted in self._entries:
            base = metric.name
            prefix = f"{self.output_names[i]}_" if prefixed else ""
            name = prefix + base
            if name in counters and weighted:
                name = f"{prefix}weighted_{base}"
            if name in counters:
                counters[name] += 1
                name = f"{name}_{counters[name] - 1}"
            else:
                counters[name] = 1
            self._log_names.append(name)

    @property
    def log_names(self):
        """The names the metrics' results have in the logs, in ``metrics`` order."""
        return list(self._log_names)

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

    @property
    def metrics(self):
        """The compiled metric objects, in the logs' order (Keras 3)."""
        return [metric for _, metric, _ in self._entries]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self._entries:
            return
        if len(self.output_names) > 1:
            yts = _by_output(y_true, self.output_names)
            yps = _by_output(y_pred, self.output_names)
        else:  # one output (a single-key dict output too: ``Model(x, {"out": y})``)
            yts = [_single_value(y_true) if type(y_true) is dict else y_true]
            yps = [_single_value(y_pred) if type(y_pred) is dict else y_pred]
        for i, metric, weighted in self._entries:
            metric.update_state(yts[i], yps[i], sample_weight if weighted else None)

    def result(self):
        results = {}
        for (_, metric, _), name in zip(self._entries, self._log_names):
            value = metric.result()
            if isinstance(value, dict):
                # A container among the metrics (a model's `compile_metrics` passed back
                # to compile(), as KerasTuner does): its results, not a nested dict.
                results.update(value)
            else:
                results[name] = value
        return results

    def reset_state(self):
        for _, metric, _ in self._entries:
            metric.reset_state()

    @property
    def variables(self):
        out = []
        for _, metric, _ in self._entries:
            out.extend(getattr(metric, "variables", []))
        return out


__all__ = ["MeanTracker", "CompileLoss", "CompileMetrics", "resolve_optimizer", "resolve_loss",
           "resolve_metric", "reduce_weighted"]
