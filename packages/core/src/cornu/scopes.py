"""Execution scopes: ``cornu.StatelessScope``, ``cornu.SymbolicScope`` and ``cornu.device``.

``StatelessScope`` is how Keras 3 runs stateful code as a function of values (what
``Layer.stateless_call``, ``Optimizer.stateless_apply`` and the ``Metric.stateless_*``
methods are written on, and what a functional framework such as JAX needs):

* reading a :class:`~cornu.Variable` listed in ``state_mapping`` gives the mapped value
  (``variable.value``, ``cornu.ops`` calls, ``numpy()``);
* ``variable.assign(...)`` (``assign_add``, ``assign_sub``) records the new value in the
  scope instead of changing the variable: ``scope.get_current_value(variable)``; the
  variable itself is untouched when the scope ends;
* with ``collect_losses=True`` the losses layers add (``add_loss``, activity
  regularizers) are collected in ``scope.losses`` (without it they are dropped), and a
  layer's ``losses`` inside the scope are the ones it added there;
* a variable created inside the scope needs a callable initializer (an initializer
  object), as in Keras: a concrete initial value is refused with Keras's error.

Scopes nest as Keras's do: the innermost one is the scope (an inner scope sees only its
own mapping; the outer one is active again when it ends).  A scope belongs to the thread
that entered it.

The cost when no scope is open anywhere is one read of a module-level list slot
(``_open_stateless[0]``, a count of the scopes open in all threads) per variable read or
assign; the thread's own scope is looked up only when that count is not zero.

``SymbolicScope`` marks symbolic tracing: cornu enters it while it traces a layer's
``call`` or an op on ``KerasTensor`` placeholders (``Layer.compute_output_spec``, a
``cornu.ops`` call on symbolic tensors, ``cornu.Function``), so code may ask
:func:`in_symbolic_scope` whether it runs on placeholders.

``device(name)`` (``keras.device``) places new tensors and variables: it is the
backend's ``core.device_scope`` (see ``cornu.backend_spec``).
"""
import contextlib
import threading

#: The number of StatelessScopes open in all threads (``[0]``: none anywhere).
_open_stateless = [0]
#: The number of SymbolicScopes open in all threads.
_open_symbolic = [0]
_lock = threading.Lock()


class _ThreadState(threading.local):
    stateless = None  # the thread's innermost StatelessScope
    symbolic = None  # the thread's innermost SymbolicScope


_state = _ThreadState()


def _core():
    from cornu.backend import get_backend

    return get_backend().core


class StatelessScope:
    """A scope in which no ``cornu.Variable`` is changed (``keras.StatelessScope``).

    Args:
        state_mapping: pairs ``(variable, value)`` (a list, or a dict keyed by the
            variables): inside the scope, ``variable`` reads as ``value`` (a tensor, an
            array, or another variable's value), converted to the variable's dtype.
        collect_losses: collect the losses added by layers in ``scope.losses``.
        initialize_variables: accepted as in Keras.  A cornu variable always holds a
            value (the framework registers its native variable at once), so a variable
            created inside the scope is initialised by its initializer when it is
            created, and that value is what it reads inside and after the scope.

    Example::

        mapping = [(v, ops.ones(v.shape, v.dtype)) for v in model.weights]
        with cornu.StatelessScope(mapping) as scope:
            outputs = model(x)
        new_values = [scope.get_current_value(v) for v in model.weights]
    """

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        from cornu.variables import Variable

        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses = []
        self.state_mapping = {}
        self._variables = {}  # id -> variable: keeps the keys alive (their ids unique)
        self._reverse = None  # id(value) -> variable, built when first asked for
        if isinstance(state_mapping, dict):
            state_mapping = state_mapping.items()
        core = None
        for k, v in state_mapping or ():
            if not isinstance(k, Variable):
                raise ValueError(
                    "Invalid reference variable in StatelessScope: all keys in argument "
                    "`mapping` must be Variable instances. Received instead: "
                    f"{k}")
            if core is None:
                core = _core()
            if isinstance(v, Variable):
                v = core.cast(v.value, k.dtype)
            else:
                v = core.convert_to_tensor(v, dtype=k.dtype)
            if tuple(k.shape) != tuple(v.shape):
                raise ValueError(
                    "Invalid variable value in StatelessScope: all values in argument "
                    "`mapping` must be tensors with a shape that matches the "
                    f"corresponding variable shape. For variable {k}, received invalid "
                    f"value {v} with shape {tuple(v.shape)}.")
            self.state_mapping[id(k)] = v
            self._variables[id(k)] = k

    @classmethod
    def _branch_of(cls, parent):
        """A scope that starts from ``parent``'s current values (for running one branch
        of a conditional update and merging the branches afterwards)."""
        scope = cls.__new__(cls)
        scope.collect_losses = parent.collect_losses
        scope.initialize_variables = parent.initialize_variables
        scope.losses = parent.losses
        scope.state_mapping = dict(parent.state_mapping)
        scope._variables = dict(parent._variables)
        scope._reverse = None
        return scope

    def __enter__(self):
        self.original_scope = _state.stateless
        _state.stateless = self
        with _lock:
            _open_stateless[0] += 1
        return self

    def __exit__(self, *exc):
        _state.stateless = self.original_scope
        with _lock:
            _open_stateless[0] -= 1
        return False

    # -- what the variables and layers call --------------------------------------------
    def add_loss(self, loss):
        self.losses.append(loss)

    def add_update(self, update):
        """Record ``(variable, value)``: the variable reads as ``value`` from now on."""
        variable, value = update
        key = id(variable)
        reverse = self._reverse
        if reverse is not None:
            old = self.state_mapping.get(key)
            if old is not None:
                reverse.pop(id(old), None)
            reverse[id(value)] = variable
        self.state_mapping[key] = value
        self._variables[key] = variable

    def get_current_value(self, variable):
        """The value ``variable`` has in this scope (mapped or assigned), or None."""
        return self.state_mapping.get(id(variable), None)

    def _variable_for(self, value):
        """The variable whose current value in this scope is the object ``value``, or
        None (code that writes a value it read, ``v.value``, rather than ``v``)."""
        reverse = self._reverse
        if reverse is None:
            reverse = self._reverse = {
                id(v): self._variables[k] for k, v in self.state_mapping.items()}
        return reverse.get(id(value))

    def _assign(self, variable, value):
        """``variable.assign(value)`` in this scope: recorded, the variable untouched."""
        from cornu.variables import Variable

        core = variable._core
        if isinstance(value, Variable):
            value = value.value
        value = core.convert_to_tensor(value, dtype=variable.dtype)
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                "The shape of the target variable and the shape of the target value in "
                "`variable.assign(value)` must match. "
                f"variable.shape={tuple(variable.shape)}, Received: "
                f"value.shape={tuple(value.shape)}. Target variable: {variable}")
        self.add_update((variable, value))
        return value

    def _assign_delta(self, variable, value, sign):
        from cornu import ops
        from cornu.variables import Variable

        current = self.state_mapping.get(id(variable))
        if current is None:
            current = variable._value
        if isinstance(value, Variable):
            value = value.value
        value = variable._core.convert_to_tensor(value, dtype=variable.dtype)
        new = ops.add(current, value) if sign > 0 else ops.subtract(current, value)
        return self._assign(variable, new)


def in_stateless_scope():
    """Whether this thread is inside a :class:`StatelessScope`."""
    return bool(_open_stateless[0]) and _state.stateless is not None


def get_stateless_scope():
    """This thread's innermost :class:`StatelessScope`, or None."""
    return _state.stateless if _open_stateless[0] else None


class SymbolicScope:
    """Marks the symbolic stage (``keras.SymbolicScope``): inside it,
    :func:`in_symbolic_scope` is True.  cornu enters it while it traces on
    ``KerasTensor`` placeholders."""

    def __enter__(self):
        self.original_scope = _state.symbolic
        _state.symbolic = self
        with _lock:
            _open_symbolic[0] += 1
        return self

    def __exit__(self, *exc):
        _state.symbolic = self.original_scope
        with _lock:
            _open_symbolic[0] -= 1
        return False


def in_symbolic_scope():
    """Whether this thread is inside a :class:`SymbolicScope` (symbolic tracing)."""
    return bool(_open_symbolic[0]) and _state.symbolic is not None


def get_symbolic_scope():
    """This thread's innermost :class:`SymbolicScope`, or None."""
    return _state.symbolic if _open_symbolic[0] else None


def device(device_name):
    """A context manager placing new tensors and variables on ``device_name``
    (``keras.device``): ``"cpu"``, ``"cpu:0"``, ``"gpu:0"``, ``"gpu:1"``...
    (``"gpu"`` is the framework's accelerator: ``cuda`` on torch).

    It is the backend's ``core.device_scope``.  A backend without one takes only the
    device it already uses (anything else is a ValueError naming the backend).

    Example::

        with cornu.device("cpu"):
            x = cornu.ops.ones((2, 2))      # on the CPU
            v = cornu.Variable(np.zeros(3))  # its native variable too
    """
    from cornu.backend import get_backend

    backend = get_backend()
    scope = getattr(backend.core, "device_scope", None)
    if scope is not None:
        return scope(device_name)
    if not isinstance(device_name, str):
        raise ValueError(
            "Invalid value for argument `device_name`. Expected a string like 'gpu:0' or "
            f"'cpu'. Received: device_name='{device_name}'")
    current = str(backend.core.device_name()).lower()
    kind = device_name.lower().split(":")[0]
    if kind and kind in current:
        return contextlib.nullcontext()
    raise ValueError(
        f"cornu.device({device_name!r}): the {backend.NAME!r} backend places tensors on "
        f"{current!r} only (its core has no device_scope)")
