"""Serializing the plain functions held by ``LossFunctionWrapper`` and ``MeanMetricWrapper``.

A built-in function is written the way Keras 3 writes it
(``{"module": "builtins", "class_name": "function", "config": name,
"registered_name": "function"}``) and read back by name from cornu's own
tables, the custom objects, or the plugin registry; nothing is imported by
module path.
"""
_FUNCTIONS = None


def _builtin_functions():
    global _FUNCTIONS
    if _FUNCTIONS is None:
        from cornu.losses import losses
        from cornu.metrics import accuracy_metrics, correlation_metrics, regression_metrics

        table = {fn.__name__: fn for fn in losses.ALL_LOSS_FUNCTIONS}
        table.update(losses.LOSS_ALIASES)
        for module in (accuracy_metrics, regression_metrics, correlation_metrics):
            table.update({fn.__name__: fn for fn in module.ALL_METRIC_FUNCTIONS})
        _FUNCTIONS = table
    return _FUNCTIONS


def serialize_function(fn):
    """The Keras-format config of a function (or of a callable object with get_config)."""
    from cornu.serialization import _GLOBAL_CUSTOM_NAMES, serialize_cornu_object

    name = getattr(fn, "__name__", None)
    if name is not None and fn not in _GLOBAL_CUSTOM_NAMES and _builtin_functions().get(name) is fn:
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": "function"}
    return serialize_cornu_object(fn)


def deserialize_function(config, custom_objects=None, kind="loss"):
    """A function (or object) back from ``serialize_function`` output or a name."""
    from cornu import serialization

    if isinstance(config, dict) and config.get("class_name") == "function":
        config = config.get("config")
    if isinstance(config, str):
        found = serialization.get_registered_object(config, custom_objects)
        if found is None:
            found = _builtin_functions().get(config)
        if found is None:
            from cornu.plugins import registry

            found = registry.lookup(kind, config)
        if found is None:
            raise ValueError(
                f"Could not locate function {config!r}. Register it with "
                "cornu.saving.register_cornu_serializable() or pass it in custom_objects."
            )
        return found
    return serialization.deserialize_cornu_object(config, custom_objects, kind=kind)
