"""``cornu.Variable``: a named, optionally trainable tensor owned by a layer or optimizer."""
import contextlib

import numpy as np

from cornu import config
from cornu import scopes as _scopes
from cornu.backend import mixin_base
from cornu.dtypes import is_float_dtype

#: The dtype float variables are read in while a mixed-precision layer runs ``call``
#: (``[None]`` outside such a call).  ``Layer.__call__`` sets it; ``Variable.value``
#: reads it, so one global read is all autocasting costs a float32 model.
autocast_scope = [None]
#: How many ``cornu.StatelessScope``s are open (in any thread): the one check a variable
#: read or assign pays for stateless execution while none is (``cornu.scopes``).
_stateless_open = _scopes._open_stateless
_scope_state = _scopes._state


def _backend():
    from cornu.backend import get_backend

    return get_backend()


_CREATED_IN_SCOPE = (
    "You are attempting to create a variable while in a stateless scope. This is "
    "disallowed. Make sure that all variables are created before you start using your "
    "layer/model objects.\n\nIn some cases, you might be seeing this error because you "
    "need to implement a `def build(self, input_shape)` method on your layer/model, "
    "which will create its variables.\n\nIn some other cases, you might be seeing this "
    "error because you are instantiating a `Variable` and assigning it to a layer "
    "without going through self.add_variable()/self.add_weight(). Always prefer using "
    "these methods (with a `shape` and `initializer` argument).")


class Variable(mixin_base("Variable")):
    """A mutable tensor whose storage is the backend's own variable type.

    ``value`` is the native handle (a ``torch.nn.Parameter`` on torch, a
    ``tf.Variable`` on tensorflow), so framework code (autograd, optimizers,
    ``tf.function``) sees a real variable.  Every ``cornu.ops`` function
    accepts a ``Variable`` where it accepts a tensor.  The backend may supply a
    base class (``cornu.backend.mixin_base``): on tensorflow it makes the
    variable a resource variable for ``tf.GradientTape`` and a checkpoint trackable.

    Args:
        initializer: an initial value (array-like) or a callable
            ``initializer(shape, dtype)`` such as a ``cornu.initializers`` object.
        shape: the shape; required when ``initializer`` is callable.
        dtype: the dtype (default ``cornu.config.floatx()``).
        trainable: whether gradients are computed and applied.
        name: the variable's short name (e.g. ``"kernel"``).
        path: the full path, e.g. ``"dense/kernel"`` (defaults to ``name``).
        aggregation, synchronization: accepted for Keras compatibility.
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable=True,
                 name=None, path=None, autocast=True, aggregation="none",
                 synchronization="auto"):
        backend = _backend()
        name = name or "variable"
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                f"Variable name must be a string without '/', received {name!r}"
            )
        if (_stateless_open[0] and _scope_state.stateless is not None
                and not callable(initializer)):
            raise ValueError(_CREATED_IN_SCOPE)
        init_scope = getattr(backend.core, "init_scope", contextlib.nullcontext)
        if callable(initializer):
            if shape is None:
                raise ValueError(
                    f"Variable {name!r}: a shape is required with a callable initializer"
                )
            dtype = backend.core.standardize_dtype(dtype or config.floatx())
            # Under the backend's init scope: a variable first created inside a compiled
            # step or a symbolic trace is still created (and initialized) eagerly.
            with init_scope():
                value = initializer(tuple(shape), dtype=dtype)
        else:
            value = initializer
            if dtype is None:
                dtype = backend.core.standardize_dtype(
                    getattr(value, "dtype", None) or config.floatx()
                )
                if dtype == "float64" and not isinstance(value, np.ndarray):
                    dtype = config.floatx()
            dtype = backend.core.standardize_dtype(dtype)
        self._dtype = dtype
        self._trainable = bool(trainable)
        self.name = name
        self.path = path or name
        self.autocast = autocast  # after _dtype: the setter reads it
        self.aggregation = aggregation
        self.synchronization = synchronization
        self._core = backend.core  # bound once: assign* are on the hot path of metrics
        with init_scope():
            self._value = backend.core.make_variable(value, dtype, self._trainable, self.path)
        if shape is not None and tuple(self.shape) != tuple(shape):
            raise ValueError(
                f"Variable {self.path!r}: initial value has shape {tuple(self.shape)}, "
                f"expected {tuple(shape)}"
            )

    # -- the native handle ------------------------------------------------
    @property
    def value(self):
        """The native variable; inside a mixed-precision layer's ``call``, a float
        variable with ``autocast=True`` reads as a tensor cast to the compute dtype.
        Inside a ``cornu.StatelessScope`` that maps (or has recorded a new value for)
        the variable, that value instead."""
        if _stateless_open[0]:
            scope = _scope_state.stateless
            if scope is not None:
                mapped = scope.state_mapping.get(id(self))
                if mapped is not None:
                    dtype = autocast_scope[0]
                    if dtype is None or not self._autocast_float:
                        return mapped
                    return self._core.cast(mapped, dtype)
        dtype = autocast_scope[0]
        if dtype is None or not self._autocast_float:
            return self._value
        return self._core.cast(self._value, dtype)

    def _current(self):
        """The value without autocasting: the stateless scope's, else the native variable."""
        if _stateless_open[0]:
            scope = _scope_state.stateless
            if scope is not None:
                mapped = scope.state_mapping.get(id(self))
                if mapped is not None:
                    return mapped
        return self._value

    @property
    def autocast(self):
        """Whether a mixed-precision layer reads this variable in its compute dtype."""
        return self._autocast

    @autocast.setter
    def autocast(self, value):
        self._autocast = bool(value)
        self._autocast_float = self._autocast and is_float_dtype(self._dtype)

    @property
    def dtype(self):
        return self._dtype

    @property
    def shape(self):
        return tuple(self._value.shape)

    @property
    def ndim(self):
        return len(self._value.shape)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self._core.set_trainable(self._value, self._trainable)

    # -- mutation ---------------------------------------------------------
    # Inside a ``cornu.StatelessScope`` the new value is recorded in the scope (and
    # returned); the variable is left as it is.
    def assign(self, value):
        if _stateless_open[0]:
            scope = _scope_state.stateless
            if scope is not None:
                return scope._assign(self, value)
        return self._core.assign(self._value, value)

    def assign_add(self, value):
        if _stateless_open[0]:
            scope = _scope_state.stateless
            if scope is not None:
                return scope._assign_delta(self, value, 1)
        return self._core.assign_add(self._value, value)

    def assign_sub(self, value):
        if _stateless_open[0]:
            scope = _scope_state.stateless
            if scope is not None:
                return scope._assign_delta(self, value, -1)
        return self._core.assign_sub(self._value, value)

    def numpy(self):
        """The value as a new numpy array: a snapshot, as in Keras (torch's own
        ``Tensor.numpy()`` would share memory with the live weights)."""
        return np.array(self._core.convert_to_numpy(self._current()))

    def __array__(self, dtype=None, copy=None):
        arr = np.asarray(self.numpy())
        return arr.astype(dtype) if dtype is not None else arr

    def __float__(self):
        return float(self.numpy())

    def __int__(self):
        return int(self.numpy())

    def __bool__(self):
        return bool(self.numpy())

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"value={self.numpy()!r}>"
        )

    # -- arithmetic: delegate to cornu.ops so variables act like tensors ---
    def _op(name):
        def method(self, *args):
            from cornu import ops

            return getattr(ops, name)(self, *args)

        return method

    def _rop(name):
        def method(self, other):
            from cornu import ops

            return getattr(ops, name)(other, self)

        return method

    __add__ = _op("add")
    __radd__ = _rop("add")
    __sub__ = _op("subtract")
    __rsub__ = _rop("subtract")
    __mul__ = _op("multiply")
    __rmul__ = _rop("multiply")
    __truediv__ = _op("divide")
    __rtruediv__ = _rop("divide")
    __matmul__ = _op("matmul")
    __rmatmul__ = _rop("matmul")
    __pow__ = _op("power")
    __rpow__ = _rop("power")
    __neg__ = _op("negative")
    __abs__ = _op("abs")
    __lt__ = _op("less")
    __le__ = _op("less_equal")
    __gt__ = _op("greater")
    __ge__ = _op("greater_equal")

    def __getitem__(self, index):
        return self._current()[index]

    del _op, _rop
