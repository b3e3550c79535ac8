"""The cornu hook specifications: the whole contract between the core and its plugins.

A plugin is a module (or object) with functions decorated by
``cornu.plugins.hookimpl`` whose names match the specifications below.  It is
found through the ``cornu`` entry-point group; use your distribution name as the
entry-point name::

    [project.entry-points.cornu]
    my-cornu-plugin = "my_cornu_plugin.plugin"

Registration hooks receive a ``register`` callback and call it once per
component::

    @hookimpl
    def cornu_register_layers(register):
        register(MyLayer)                     # registered under "MyLayer"
        register(my_fn, name="swish2", aliases=("sw2",))

The callback validates the component and reports conflicts: two plugins
registering the same name of the same kind is an error naming both
distributions.  Plugins are loaded lazily, the first time the registry is used.

Backends are plugins too, found through a separate entry-point group,
``cornu.backends`` (entry-point name = backend name, value = the backend
module); only the selected backend is imported.  See ``cornu.backend``.

Versioning: ``HOOKSPEC_VERSION`` is an integer that changes only when a
specification changes incompatibly (a hook removed or renamed, an argument
removed or changing meaning); adding a hook or an optional kind keeps it.  A
plugin module declares the version(s) it was written for::

    CORNU_HOOKSPEC_VERSION = 1          # or "1", or (1, 2)

The plugin manager skips a plugin whose declaration does not include this
core's ``HOOKSPEC_VERSION``, with a ``PluginWarning`` naming its distribution.
A plugin that declares nothing is loaded (and listed as "undeclared" by
``cornu plugins``).  docs/plugins.md is the guide.
"""
import pluggy

PROJECT_NAME = "cornu"
HOOKSPEC_VERSION = 1

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: The kinds of component the registry knows, and the hook that fills each.
KINDS = (
    "layer", "activation", "initializer", "regularizer", "constraint",
    "optimizer", "schedule", "loss", "metric", "callback", "dataset",
    "application", "export_format", "quantizer",
)


@hookspec
def cornu_register_layers(register):
    """Register layer classes (``cornu.Layer`` subclasses), kind ``layer``.

    Layers resolve by name in ``from_config``, ``load_model`` and
    ``deserialize_keras_object``. Called when a plugin context builds its registry: on the
    first registry lookup (e.g. a name resolved by ``from_config`` or ``load_model``), again
    after a plugin is registered or unregistered at run time, and by ``cornu plugins``; in
    registration order, cornu-core first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_activations(register):
    """Register activation functions (callables ``f(x) -> tensor``), kind ``activation``.

    They resolve ``Dense(activation="name")`` and ``cornu.activations.get("name")``. Called
    when a plugin context builds its registry: on the first registry lookup (e.g. a name
    resolved by ``activation="name"`` or ``from_config``), again after a plugin is
    registered or unregistered at run time, and by ``cornu plugins``; in registration order,
    cornu-core first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_initializers(register):
    """Register initializer classes (and their snake_case aliases), kind ``initializer``.

    They resolve ``kernel_initializer="name"`` and ``cornu.initializers.get``. Called when a
    plugin context builds its registry: on the first registry lookup (e.g. a name resolved
    by ``kernel_initializer="name"`` or ``from_config``), again after a plugin is registered
    or unregistered at run time, and by ``cornu plugins``; in registration order, cornu-core
    first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_regularizers(register):
    """Register regularizer classes, kind ``regularizer``.

    They resolve ``kernel_regularizer="name"`` and ``cornu.regularizers.get``. Called when a
    plugin context builds its registry: on the first registry lookup (e.g. a name resolved
    by ``kernel_regularizer="name"`` or ``from_config``), again after a plugin is registered
    or unregistered at run time, and by ``cornu plugins``; in registration order, cornu-core
    first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_constraints(register):
    """Register weight-constraint classes, kind ``constraint``.

    They resolve ``kernel_constraint="name"`` and ``cornu.constraints.get``. Called when a
    plugin context builds its registry: on the first registry lookup (e.g. a name resolved
    by ``kernel_constraint="name"`` or ``from_config``), again after a plugin is registered
    or unregistered at run time, and by ``cornu plugins``; in registration order, cornu-core
    first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_optimizers(register):
    """Register optimizer classes, kind ``optimizer``.

    ``compile(optimizer="adam")`` and saved compile configs resolve here. Called when a
    plugin context builds its registry: on the first registry lookup (e.g. a name resolved
    by ``compile(optimizer=...)`` or ``load_model``), again after a plugin is registered or
    unregistered at run time, and by ``cornu plugins``; in registration order, cornu-core
    first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_schedules(register):
    """Register learning-rate schedule classes, kind ``schedule``.

    Optimizer configs that carry a schedule resolve it here. Called when a plugin context
    builds its registry: on the first registry lookup (e.g. a name resolved by an
    optimizer's ``from_config``), again after a plugin is registered or unregistered at run
    time, and by ``cornu plugins``; in registration order, cornu-core first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_losses(register):
    """Register loss classes and loss functions, kind ``loss``.

    Aliases carry the Keras short names (``"mse"`` and friends). ``compile(loss="name")``
    and ``cornu.losses.get`` resolve here. Called when a plugin context builds its registry:
    on the first registry lookup (e.g. a name resolved by ``compile(loss=...)`` or
    ``load_model``), again after a plugin is registered or unregistered at run time, and by
    ``cornu plugins``; in registration order, cornu-core first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_metrics(register):
    """Register metric classes and metric functions, kind ``metric``.

    ``compile(metrics=["name"])`` and ``cornu.metrics.get`` resolve here, after
    ``cornu_resolve_metric`` declined. Called when a plugin context builds its registry: on
    the first registry lookup (e.g. a name resolved by ``compile(metrics=...)`` or
    ``load_model``), again after a plugin is registered or unregistered at run time, and by
    ``cornu plugins``; in registration order, cornu-core first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_callbacks(register):
    """Register callback classes, kind ``callback``.

    ``cornu.plugins.registry.get("callback", name)`` resolves here (callbacks are never
    deserialized from a saved model, as in Keras). Called when a plugin context builds its
    registry: on the first registry lookup (e.g. a name resolved by
    ``registry.get("callback", name)``), again after a plugin is registered or unregistered
    at run time, and by ``cornu plugins``; in registration order, cornu-core first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_datasets(register):
    """Register dataset modules or objects exposing ``load_data()``, kind ``dataset``.

    ``cornu.plugins.registry.get("dataset", name).load_data()`` resolves here. Called when a
    plugin context builds its registry: on the first registry lookup (e.g. a name resolved
    by ``registry.get("dataset", name)``), again after a plugin is registered or
    unregistered at run time, and by ``cornu plugins``; in registration order, cornu-core
    first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_applications(register):
    """Register application (pretrained-architecture) constructors, kind ``application``.

    ``cornu.plugins.registry.get("application", name)`` resolves here. Called when a plugin
    context builds its registry: on the first registry lookup (e.g. a name resolved by
    ``registry.get("application", name)``), again after a plugin is registered or
    unregistered at run time, and by ``cornu plugins``; in registration order, cornu-core
    first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec
def cornu_register_export_formats(register):
    """Register ``model.export`` formats (kind ``export_format``), e.g. ONNX.

    A format is a function ``fn(model, filepath, verbose=None, input_signature=None,
    **kwargs)`` that writes the exported model to ``filepath``; it may raise a
    ValueError naming what it needs when the bound backend cannot serve it.  Backends
    list their own formats in their ``export`` part (``<backend>.export.FORMATS``),
    not here; a backend's format of the same name wins over a plugin's.

    Args:
        register: ``register(fn, name, aliases=())``; ``name`` is the ``format=``
            string (``model.export(path, format=name)``).  Called during the first
            registry lookup, which ``model.export`` (``cornu.export.formats()``) makes.
    Returns:
        Nothing.
    """


@hookspec
def cornu_register_quantizers(register):
    """Register quantizer and quantization-config classes, kind ``quantizer``.

    They resolve ``cornu.quantizers.get("name")`` and the quantizers a saved quantization
    config names (``module: "keras.quantizers"``). Called when a plugin context builds its
    registry: on the first registry lookup (e.g. a name resolved by
    ``cornu.quantizers.get`` or ``from_config``), again after a plugin is registered or
    unregistered at run time, and by ``cornu plugins``; in registration order, cornu-core
    first.

    Args:
        register: ``register(obj, name=None, aliases=())`` registers ``obj`` under
            ``name`` (default ``obj.__name__``) and every alias, and returns ``obj``.
    Returns:
        Nothing: components go through ``register``.  A hook that raises registers
        nothing (a ``PluginWarning`` names the plugin); cornu goes on without it.
    """


@hookspec(firstresult=True)
def cornu_resolve_metric(identifier, loss, output_shape):
    """Turn a ``compile(metrics=[...])`` entry (a string or a function) into a metric object.

    This is how loss-dependent strings resolve the Keras way (``"accuracy"`` becomes
    sparse categorical, categorical or binary accuracy depending on the loss) and
    how plain metric functions get wrapped into stateful metrics.  Called when a compiled
    model builds its metrics (in ``compile`` for a built model, else on the first batch of
    ``fit``/``evaluate``), once per ``metrics=`` / ``weighted_metrics=`` entry that is a
    string or a function, before the ``metric`` registry is asked.

    Args:
        identifier: the string or function the user passed in ``metrics=[...]``.
        loss: the loss object/function the output was compiled with (may be None).
        output_shape: the model output's shape tuple (may be None).
    Returns:
        A metric instance, or None to let another plugin (or the registry) answer.
        The first non-None result wins.
    """


@hookspec(historic=True)
def cornu_backend_selected(backend):
    """Called once per plugin context, once the backend module is imported and bound.

    Historic: a plugin registered later still gets the call.  Binding the backend
    (the first tensor) does not load the plugins: a context whose plugins load
    after the backend was bound makes the call when it loads them.

    Args:
        backend: the backend module (``cornu.backends.torch`` or another).
    Returns:
        Nothing (the return value is ignored).
    """


#: Map kind -> name of the registration hook, used by the registry.
REGISTER_HOOKS = {
    "layer": "cornu_register_layers",
    "activation": "cornu_register_activations",
    "initializer": "cornu_register_initializers",
    "regularizer": "cornu_register_regularizers",
    "constraint": "cornu_register_constraints",
    "optimizer": "cornu_register_optimizers",
    "schedule": "cornu_register_schedules",
    "loss": "cornu_register_losses",
    "metric": "cornu_register_metrics",
    "callback": "cornu_register_callbacks",
    "dataset": "cornu_register_datasets",
    "application": "cornu_register_applications",
    "export_format": "cornu_register_export_formats",
    "quantizer": "cornu_register_quantizers",
}
