"""The ``Metric`` base class: state in non-trainable ``cornu.Variable``s.

``update_state`` must stay cheap and graph-safe: on torch the train step calls
it eagerly every batch (under ``torch.no_grad``), on tensorflow it runs inside
the step's ``tf.function``.  So metrics use ``cornu.ops`` and variable
``assign``/``assign_add`` only, branch only on static shapes and dtypes, and
never read a tensor back to the host.
"""
from cornu import ops
from cornu.losses.loss import auto_name, standardize_dtype
from cornu.scopes import StatelessScope
from cornu.variables import Variable


def _current(scope, variable):
    """The variable's value in ``scope`` (the variable itself if the scope has none, as
    Keras returns it)."""
    value = scope.get_current_value(variable)
    return variable if value is None else value


class Metric:
    """Base class of the stateful metrics.

    Subclasses create their state with ``add_variable`` in ``__init__`` and
    implement ``update_state(*args, **kwargs)`` and ``result()``.

    Args:
        dtype: the dtype of the metric's computations and result (default
            ``cornu.config.floatx()``).
        name: the metric name (default: the snake_case class name).
    """

    def __init__(self, dtype=None, name=None):
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        self.name = name or auto_name(type(self).__name__)
        self._dtype = standardize_dtype(dtype)

    def __setattr__(self, name, value):
        # Track sub-metrics so that ``variables`` includes their state (as Keras does).
        # Attributes set before super().__init__() (allowed, as in Keras) are not tracked.
        if "_metrics" not in self.__dict__:
            object.__setattr__(self, name, value)
            return
        if isinstance(value, Metric) and value is not self and value not in self._metrics:
            self._metrics.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, Metric) and item not in self._metrics:
                    self._metrics.append(item)
        object.__setattr__(self, name, value)

    # -- state --------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A non-trainable ``cornu.Variable`` owned (and reset) by this metric.

        Args:
            shape: the variable's shape.
            initializer: an initializer name (``"zeros"``), object, or callable.
            dtype: the dtype (default floatx).
            aggregation: how replicas combine it (``"sum"``, ``"mean"``, ...).
            name: the variable name; its path is ``"<metric name>/<name>"``.
        """
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: you forgot to call super().__init__() in __init__()"
            )
        from cornu import initializers

        name = name or "variable"
        if isinstance(initializer, (str, dict)):
            initializer = initializers.get(initializer)
        variable = Variable(
            initializer, shape=tuple(shape), dtype=dtype, trainable=False, name=name,
            path=f"{self.name.replace('/', '>')}/{name}", aggregation=aggregation,
            synchronization="on_read",
        )
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Same as ``add_variable`` (Keras compatibility)."""
        return self.add_variable(shape=shape, initializer=initializer or "zeros",
                                 dtype=dtype, name=name)

    @property
    def variables(self):
        """This metric's variables, then those of its sub-metrics."""
        out = list(self._variables)
        for metric in self._metrics:
            out.extend(metric.variables)
        return out

    def reset_state(self):
        """Set every variable back to zero."""
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    # -- the API ------------------------------------------------------------
    def update_state(self, *args, **kwargs):
        """Accumulate statistics; implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__}.update_state() is not implemented")

    def result(self):
        """The metric value from the current state; implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__}.result() is not implemented")

    def __call__(self, *args, **kwargs):
        """``update_state(*args, **kwargs)``, then ``result()``."""
        self.update_state(*args, **kwargs)
        return self.result()

    # -- stateless variants ---------------------------------------------------
    # These run the stateful method in a cornu.StatelessScope mapping the variables to
    # the given values: the assigns are recorded in the scope and come back, the metric's
    # own variables are left as they are (eagerly, inside tf.function and under autograd).
    def _check_values(self, metric_variables):
        if len(metric_variables) != len(self.variables):
            raise ValueError(
                "Argument `metric_variables` must be a list of tensors corresponding 1:1 "
                f"to {type(self).__name__}().variables. Received list with length "
                f"{len(metric_variables)}, but expected {len(self.variables)} variables."
            )

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """The variable values after ``update_state(*args, **kwargs)`` from the given
        ones (a list aligned with ``variables``), leaving this metric unchanged."""
        self._check_values(metric_variables)
        variables = self.variables
        with StatelessScope(state_mapping=list(zip(variables, metric_variables))) as scope:
            self.update_state(*args, **kwargs)
        return [_current(scope, v) for v in variables]

    def stateless_result(self, metric_variables):
        """``result()`` computed from the given variable values."""
        self._check_values(metric_variables)
        with StatelessScope(state_mapping=list(zip(self.variables, metric_variables))):
            return self.result()

    def stateless_reset_state(self):
        """The variable values after ``reset_state``, leaving this metric unchanged."""
        variables = self.variables
        with StatelessScope() as scope:
            self.reset_state()
        return [_current(scope, v) for v in variables]

    # -- config ---------------------------------------------------------------
    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__


__all__ = ["Metric"]
