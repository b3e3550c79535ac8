"""``MultiOptimizer`` and ``OptimizerMap``: different optimizers for different variables.

Which optimizer updates which variable is decided once, when the
``MultiOptimizer`` is built (from the variables' paths or a user callable), so
``apply`` only splits the gradient list by precomputed positions: on
tensorflow that is static Python inside the trainer's ``tf.function``, and on
torch each sub-optimizer receives the same variable list object every step,
which lets it take its fused plain path.
"""
import re
import warnings
from collections.abc import MutableMapping

from cornu import CornuWarning
from cornu.optimizers.loss_scale_optimizer import LossScaleOptimizer
from cornu.optimizers.optimizer import Optimizer


def _check_sub_optimizer(optimizer, where):
    if not isinstance(optimizer, Optimizer):
        raise ValueError(
            f"{where}: optimizer must be a cornu.optimizers.Optimizer instance. "
            f"Received: {optimizer!r}"
        )
    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError(f"{where}: optimizer cannot be LossScaleOptimizer.")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError(f"{where}: optimizer cannot be MultiOptimizer.")


class OptimizerMap(MutableMapping):
    """A mapping from variable-path patterns to optimizers.

    ``optimizer_map[path]`` returns the optimizer of an exact key ``path`` if
    there is one; otherwise the optimizer of the one key that matches ``path``
    as a regular expression (``re.fullmatch``: ``"encoder/.*"`` matches every
    variable under ``encoder``, ``"encoder"`` only that exact path); otherwise
    ``default_optimizer``.  If several patterns match, it raises ``ValueError``.
    Calling the map on a variable looks up ``variable.path``.

    Args:
        default_optimizer: the ``Optimizer`` of the variables no key matches.
        optimizer_map: an optional dict ``{pattern: Optimizer}`` to start from.
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "OptimizerMap: default_optimizer must be a cornu.optimizers.Optimizer "
                f"instance. Received: {default_optimizer!r}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                f"OptimizerMap: optimizer_map must be a dictionary. Received: {optimizer_map!r}"
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self):
        """The optimizer of the variables that no key matches."""
        return self._default_optimizer

    def __getitem__(self, key):
        """The optimizer for the variable path ``key`` (exact key, then one regex, then default)."""
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(
                f"Multiple optimizers assigned to variable {key}: it matches the patterns "
                f"{matching}."
            )
        if matching:
            return self._optimizer_map[matching[0]]
        return self._default_optimizer

    def __setitem__(self, key, optimizer):
        """Map the variable path or regex ``key`` to ``optimizer`` (keys are set once)."""
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: key must be a string. Received: {key!r}")
        _check_sub_optimizer(optimizer, f"OptimizerMap[{key!r}]")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        """The optimizer of ``variable`` (looked up by ``variable.path``)."""
        return self[variable.path]

    def __repr__(self):
        return (f"<OptimizerMap default={self._default_optimizer.name!r} "
                f"map={ {k: v.name for k, v in self._optimizer_map.items()} }>")

    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        return {
            "default_optimizer": serialize_cornu_object(self._default_optimizer),
            "optimizer_map": {k: serialize_cornu_object(v)
                              for k, v in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.serialization import deserialize_cornu_object

        def optimizer(c):
            return deserialize_cornu_object(c, custom_objects=custom_objects, kind="optimizer")

        return cls(optimizer(config["default_optimizer"]),
                   {k: optimizer(v) for k, v in (config.get("optimizer_map") or {}).items()})


class MultiOptimizer(Optimizer):
    """Updates each variable with its own optimizer.

    ``optimizer_map`` is an ``OptimizerMap`` (variable-path patterns to
    optimizers) or any callable ``variable -> Optimizer``.  ``build`` asks it
    once per variable and builds each sub-optimizer on its own variables;
    ``apply(grads, variables)`` hands each sub-optimizer its gradients, so every
    sub-optimizer keeps its own learning rate, slots, clipping, weight decay,
    EMA and ``iterations`` (a sub-optimizer with no gradients in a step does not
    count the step).

    ``optimizers`` lists the sub-optimizers (the map's values, then its default,
    then any new ones the callable returns, in order of first use).
    ``iterations`` counts the ``MultiOptimizer``'s own steps; ``learning_rate``
    cannot be read or set on it (the sub-optimizers have their own).
    ``loss_scale_factor`` overrides the sub-optimizers' own: ``scale_loss``
    multiplies the loss by it and every sub-optimizer divides its gradients by it.
    Variables: ``iteration``, ``learning_rate`` (unused), then each
    sub-optimizer's, in ``optimizers`` order.

    Example::

        opt = MultiOptimizer(OptimizerMap(SGD(0.01), {"encoder/.*": Adam(1e-3)}))
        model.compile(optimizer=opt, loss="mse")

    Args:
        optimizer_map: an ``OptimizerMap`` or a callable ``variable -> Optimizer``
            (never a ``LossScaleOptimizer`` or a ``MultiOptimizer``; wrap the
            ``MultiOptimizer`` in a ``LossScaleOptimizer`` instead).
        loss_scale_factor: the loss scale of the whole optimizer (see above).
        name: the optimizer's name.
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if isinstance(optimizer_map, Optimizer) or not callable(optimizer_map):
            raise TypeError(
                "MultiOptimizer: optimizer_map must be an OptimizerMap or a callable "
                f"taking a variable and returning its Optimizer. Received: {optimizer_map!r}"
            )
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        if isinstance(optimizer_map, OptimizerMap):
            for optimizer in [*optimizer_map.values(), optimizer_map.default_optimizer]:
                self._add_inner(optimizer)
        self._var_to_optimizer_idx = {}
        self._route_key = None
        self._route_len = 0
        self._routes = ()

    def _add_inner(self, optimizer):
        for i, known in enumerate(self._inner_optimizers):
            if known is optimizer:
                return i
        optimizer.loss_scale_factor = self.loss_scale_factor
        self._inner_optimizers.append(optimizer)
        return len(self._inner_optimizers) - 1

    # -- build: decide the routing once -------------------------------------------------
    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        groups = {}
        var_to_idx = {}
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            if not isinstance(optimizer, Optimizer):
                raise ValueError(
                    f"MultiOptimizer '{self.name}': the optimizer for variable "
                    f"{getattr(variable, 'path', variable)!r} is not an Optimizer instance. "
                    f"Received: {optimizer!r}"
                )
            if isinstance(optimizer, LossScaleOptimizer):
                raise ValueError("LossScaleOptimizer cannot be used inside an MultiOptimizer.")
            if isinstance(optimizer, MultiOptimizer):
                raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer.")
            idx = self._add_inner(optimizer)
            var_to_idx[self._var_key(variable)] = idx
            groups.setdefault(idx, []).append(variable)
        for idx, optimizer in enumerate(self._inner_optimizers):
            if idx in groups:
                optimizer.build(groups[idx])
        self._var_to_optimizer_idx = var_to_idx
        super().build(var_list)

    def _route(self, variables):
        """``[(optimizer, positions, sub-variable list)]`` for ``variables``.

        Cached for the last list seen (the trainer passes the same one every
        step), so the sub-optimizers also get the same list objects every step.
        """
        if variables is self._route_key and len(variables) == self._route_len:
            return self._routes
        positions = {}
        for k, variable in enumerate(variables):
            idx = self._var_to_optimizer_idx.get(self._var_key(variable))
            if idx is None:
                raise ValueError(
                    f"Unknown variable: {variable!r}. MultiOptimizer '{self.name}' can only "
                    "be called for the variables it was originally built with. When working "
                    "with a new set of variables, you should recreate a new optimizer instance."
                )
            positions.setdefault(idx, []).append(k)
        routes = tuple(
            (optimizer, tuple(positions[idx]), [variables[k] for k in positions[idx]])
            for idx, optimizer in enumerate(self._inner_optimizers) if idx in positions
        )
        self._route_key, self._route_len, self._routes = variables, len(variables), routes
        return routes

    # -- the Keras MultiOptimizer properties ----------------------------------------------
    @property
    def optimizers(self):
        """The sub-optimizers."""
        return self._inner_optimizers

    @property
    def variables(self):
        variables = self._variables[:]
        for optimizer in self._inner_optimizers:
            variables.extend(optimizer.variables)
        return variables

    @property
    def iterations(self):
        """The number of ``apply`` calls on the ``MultiOptimizer`` itself."""
        return self._iterations

    @property
    def learning_rate(self):
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. "
            "Access the learning rate on the individual sub-optimizers instead."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. "
            "Set the learning rate on the individual sub-optimizers instead."
        )

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in getattr(self, "_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    # -- applying gradients -----------------------------------------------------------------
    def apply(self, grads, trainable_variables=None):
        """Hand each sub-optimizer the gradients of its variables.

        Args:
            grads: the gradients, aligned with ``trainable_variables`` (None for
                a variable without gradient).
            trainable_variables: the variables (default: those it was built with);
                it is built on them at the first call.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already "
                    "be built on a list of variables. Call "
                    "`optimizer.build(trainable_variables)` first."
                )
            variables = self._trainable_variables
        else:
            variables = trainable_variables
            if not isinstance(variables, (list, tuple)):
                variables = list(variables)
            if not self.built:
                self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. "
                f"MultiOptimizer '{self.name}' received {len(grads)} gradients for "
                f"{len(variables)} variables."
            )
        if all(g is None for g in grads):
            raise ValueError("No gradients provided for any variable.")
        for optimizer, positions, sub_variables in self._route(variables):
            sub_grads = [grads[k] for k in positions]
            if all(g is None for g in sub_grads):
                warnings.warn(
                    f"Gradients do not exist for the variables of sub-optimizer "
                    f"'{optimizer.name}' ({[v.path for v in sub_variables]}): it skips "
                    "this step.", stacklevel=2, category=CornuWarning)
                continue
            optimizer.apply(sub_grads, sub_variables)
        with self._xp.no_grad():
            self._increment_iterations()

    def finalize_variable_values(self, var_list):
        for optimizer, _, sub_variables in self._route(list(var_list)):
            optimizer.finalize_variable_values(sub_variables)

    def set_weights(self, weights):
        """Set the variables from a list of arrays in ``variables`` order."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been "
                "built. Please call `optimizer.build(trainable_variables)` to create the "
                "optimizer weights before calling `set_weights()`."
            )
        weights = list(weights)
        if len(weights) != len(self.variables):
            raise ValueError(
                f"MultiOptimizer '{self.name}': set_weights() expected {len(self.variables)} "
                f"arrays (its own and its sub-optimizers' variables), received {len(weights)}."
            )
        own = len(self._variables)
        super().set_weights(weights[:own])
        start = own
        for optimizer in self._inner_optimizers:
            count = len(optimizer.variables)
            if count:
                optimizer.set_weights(weights[start:start + count])
                start += count

    # -- config -----------------------------------------------------------------------------
    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        return {
            "optimizer_map": serialize_cornu_object(self._optimizer_map),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.serialization import deserialize_cornu_object, get_registered_object

        config = dict(config)
        spec = config["optimizer_map"]
        if isinstance(spec, str):
            # A plain function serializes to its name: it must be a registered object.
            optimizer_map = get_registered_object(spec, custom_objects)
            if optimizer_map is None:
                raise ValueError(
                    f"MultiOptimizer.from_config: unknown optimizer_map function {spec!r}; "
                    "register it with register_cornu_serializable() or pass it in "
                    "custom_objects."
                )
        else:
            optimizer_map = deserialize_cornu_object(spec, custom_objects=custom_objects,
                                                     kind="optimizer")
        config["optimizer_map"] = optimizer_map
        return cls(**config)
