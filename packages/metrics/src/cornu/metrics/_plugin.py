"""Registers cornu-metrics' losses and metrics (and cornu.distillation's Distiller) with
cornu (the hooks a third party uses).

Also answers ``cornu_resolve_metric``: how ``compile(metrics=[...])`` entries
become metric objects, with ``"accuracy"`` and ``"crossentropy"`` chosen by
the compiled loss (or, failing that, by the output shape) the Keras way.
"""
from cornu.plugins import hookimpl

CORNU_HOOKSPEC_VERSION = 1  # the hookspec version this plugin implements (docs/plugins.md)

_ACCURACY = ("accuracy", "acc")
_CROSSENTROPY = ("crossentropy", "ce")

# Loss names (functions and snake_case class names) -> the kind of labels they imply.
_LOSS_KINDS = {
    "sparse_categorical_crossentropy": "sparse",
    "categorical_crossentropy": "categorical",
    "categorical_focal_crossentropy": "categorical",
    "binary_crossentropy": "binary",
    "binary_focal_crossentropy": "binary",
}


@hookimpl
def cornu_register_layers(register):
    # cornu.distillation (shipped here, built on the losses): a saved Distiller loads by
    # its class name, as every model class does.
    from cornu.distillation import Distiller

    register(Distiller)


@hookimpl
def cornu_register_losses(register):
    from cornu.losses import losses

    for cls in losses.ALL_LOSS_CLASSES:
        register(cls)
    for fn in losses.ALL_LOSS_FUNCTIONS:
        register(fn)
    for alias, fn in losses.LOSS_ALIASES.items():
        register(fn, name=alias)


@hookimpl
def cornu_register_metrics(register):
    from cornu import metrics
    from cornu.losses.losses import huber, log_cosh
    from cornu.naming import to_snake_case

    by_class = {}
    for alias, cls in metrics.METRIC_ALIASES.items():
        by_class.setdefault(cls, []).append(alias)
    for cls in metrics.ALL_METRICS:
        snake = to_snake_case(cls.__name__)
        register(cls, aliases=(snake, *by_class.get(cls, ())))
    # Metric functions without a class of the same name (keras.metrics.huber, log_cosh).
    register(huber)
    register(log_cosh)


def _loss_kind(loss):
    """``"sparse"``, ``"categorical"``, ``"binary"`` or None for a compiled loss."""
    from cornu.naming import to_snake_case

    candidates = [loss]
    inner = getattr(loss, "fn", None)  # LossFunctionWrapper and compile's function wrapper
    if inner is not None:
        candidates.append(getattr(inner, "fn", inner))
    for candidate in candidates:
        if candidate is None:
            continue
        if isinstance(candidate, str):
            key = candidate
        elif isinstance(candidate, type):
            key = to_snake_case(candidate.__name__)
        elif hasattr(candidate, "__name__"):  # a function
            key = candidate.__name__
        else:  # an instance
            key = to_snake_case(type(candidate).__name__)
        kind = _LOSS_KINDS.get(key)
        if kind is not None:
            return kind
    return None


def _kind_for(loss, output_shape):
    kind = _loss_kind(loss)
    if kind is not None:
        return kind
    if output_shape is not None and len(output_shape) and output_shape[-1] == 1:
        return "binary"
    return "categorical"


def _instantiate(cls, name):
    try:
        return cls(name=name)
    except TypeError:  # a third-party class without a `name` argument
        metric = cls()
        metric.name = name
        return metric


@hookimpl
def cornu_resolve_metric(identifier, loss, output_shape):
    from cornu import metrics
    from cornu.plugins import registry

    if isinstance(identifier, str):
        lowered = identifier.lower()
        if lowered in _ACCURACY:
            cls = {"sparse": metrics.SparseCategoricalAccuracy,
                   "categorical": metrics.CategoricalAccuracy,
                   "binary": metrics.BinaryAccuracy}[_kind_for(loss, output_shape)]
            return cls(name=identifier)
        if lowered in _CROSSENTROPY:
            cls = {"sparse": metrics.SparseCategoricalCrossentropy,
                   "categorical": metrics.CategoricalCrossentropy,
                   "binary": metrics.BinaryCrossentropy}[_kind_for(loss, output_shape)]
            # A loss object on logits gives a metric on logits (cornu addition: Keras
            # always measures probabilities here).
            return cls(name=identifier, from_logits=bool(getattr(loss, "from_logits", False)))
        found = registry.lookup("metric", identifier)
        if found is None:
            return None  # not ours: the core reports the unknown name
        if isinstance(found, type):
            return _instantiate(found, identifier)
        if callable(found):
            return metrics.MeanMetricWrapper(found, name=identifier)
        return None
    if isinstance(identifier, dict):
        return metrics.deserialize(identifier)
    if isinstance(identifier, type) or hasattr(identifier, "update_state"):
        return None  # classes and metric objects: the core handles them
    if callable(identifier):
        name = getattr(identifier, "__name__", None) or getattr(identifier, "name", None)
        return metrics.MeanMetricWrapper(identifier, name=name)
    return None
