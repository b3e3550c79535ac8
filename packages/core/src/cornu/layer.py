"""``cornu.Layer``: the unit of computation and state, with the Keras 3 API."""
import inspect

import numpy as np

from cornu import config as _config
from cornu import naming, tree
from cornu import rematerialization as _rematerialization
from cornu import scopes as _scopes
from cornu.backend import mixin_base
from cornu.dtype_policies import policy as _policies
from cornu.dtypes import is_float_dtype
from cornu.engine import traceback_utils as _traceback_utils
from cornu.symbolic import KerasTensor, Node, any_symbolic
from cornu.variables import Variable, autocast_scope

_stateless_open = _scopes._open_stateless  # open StatelessScopes (any thread): one read

_UNSET = object()


class _CallContext:
    """The training flag of the outermost layer call, read by the nested calls.

    A plain object rather than a thread-local, so that torch.compile can trace
    through layer calls.
    """

    training = _UNSET


_context = _CallContext()
_added_losses = [False]  # set once any layer calls add_loss: calls then clear stale losses
_PASSIVE_KWARGS = frozenset(("training", "mask"))  # call kwargs that are never autocast
_NO_DTYPE = object()  # no input dtype is known to need no conversion yet


def _backend():
    from cornu.backend import get_backend

    return get_backend()


def _shape_str(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")"
    )


def _text_dtype(x, core):
    """How to name the dtype of ``x`` if it holds text (str or bytes), else None."""
    if type(x) is np.ndarray:
        kind = x.dtype.kind
        if kind == "U":
            return f"str (numpy {x.dtype.str.lstrip('<>=|')})"
        if kind == "S":
            return f"bytes (numpy {x.dtype.str.lstrip('<>=|')})"
        if kind == "O" and x.size and isinstance(x.flat[0], (str, bytes)):
            return f"object (numpy, holding {type(x.flat[0]).__name__})"
        return None
    if core.is_tensor(x) and core.standardize_dtype(x.dtype) == "string":
        return "string"
    return None


def _text_input_error(layer, described):
    """The error for text fed to a layer that computes with numbers (issue 22)."""
    return TypeError(
        f"Layer '{layer.name}' ({type(layer).__name__}) received an input of dtype "
        f"{described}, but it computes with numbers (its input dtype is "
        f"{layer.input_dtype}). Turn text into numbers before this layer, e.g. with a "
        "StringLookup, TextVectorization or Hashing layer, or convert the data "
        "(np.asarray(x, dtype='float32'))."
    )


class InputSpec:
    """What a layer accepts: ``dtype``, ``shape``, ``ndim``, ``max_ndim``, ``min_ndim``, ``axes``.

    ``axes`` maps an axis to the size it must have (e.g. ``{-1: 784}``).
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in self.get_config().items() if v]
        return f"InputSpec({', '.join(parts)})"


def check_input_spec(layer, spec, shape, index=0):
    """Raise a ValueError naming the layer when ``shape`` does not fit ``spec``."""
    if spec is None or shape is None:
        return
    ndim = len(shape)
    where = f"Input {index} of layer '{layer.name}' ({type(layer).__name__})"
    if spec.ndim is not None and ndim != spec.ndim:
        raise ValueError(
            f"{where} is incompatible with the layer: expected ndim={spec.ndim}, "
            f"found ndim={ndim}. Full shape received: {_shape_str(shape)}"
        )
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(
            f"{where} is incompatible with the layer: expected max_ndim={spec.max_ndim}, "
            f"found ndim={ndim}. Full shape received: {_shape_str(shape)}"
        )
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(
            f"{where} is incompatible with the layer: expected min_ndim={spec.min_ndim}, "
            f"found ndim={ndim}. Full shape received: {_shape_str(shape)}"
        )
    for axis, size in spec.axes.items():
        if size is None:
            continue
        if -ndim <= axis < ndim and shape[axis] is not None and shape[axis] != size:
            raise ValueError(
                f"{where} is incompatible with the layer: expected axis {axis} of the "
                f"input shape to have value {size}, but received input with shape "
                f"{_shape_str(shape)}"
            )
    if spec.shape is not None:
        for expected, got in zip(spec.shape, shape):
            if expected is not None and got is not None and expected != got:
                raise ValueError(
                    f"{where} is incompatible with the layer: expected shape="
                    f"{_shape_str(spec.shape)}, found shape={_shape_str(shape)}"
                )


def _dtype_name(dtype):
    """A variable dtype name from ``add_weight(dtype=...)``: a dtype, or a policy's variable dtype."""
    if dtype is None:
        return None
    if isinstance(dtype, (_policies.DTypePolicy, dict)):
        return _policies.get(dtype).variable_dtype
    if isinstance(dtype, str) and dtype in ("mixed_float16", "mixed_bfloat16"):
        return "float32"
    name = getattr(dtype, "name", dtype)
    return str(name)


#: What the backend mixes into every layer (``cornu.backend.mixin_base``): a
#: ``torch.nn.Module`` on torch, a TensorFlow trackable on tensorflow, else ``object``.
_LayerBase = mixin_base("Layer")
#: Whether that base registers the layer's sublayers and variables (``_register_tracked``).
_BASE_REGISTERS = hasattr(_LayerBase, "_register_tracked")


def _base_state_names():
    probe = _LayerBase.__new__(_LayerBase)
    _LayerBase.__init__(probe)
    return frozenset(getattr(probe, "__dict__", ()))


#: The instance attributes that the backend's base sets up (torch's ``_modules``, ...):
#: its bookkeeping, not layer state (walks over a layer's attributes skip them).
BASE_STATE_ATTRS = _base_state_names()


class _SublayersAttribute:
    """``layer.layers``: the tracked sublayers, until an instance assigns its own
    ``layers`` (a non-data descriptor: the instance's attribute then wins)."""

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return list(obj._layers)


class Layer(_LayerBase):
    """The base class of every layer (Keras 3 semantics).

    Subclasses implement ``call`` and usually ``build(input_shape)``, creating
    weights with ``add_weight``.  Calling a layer builds it on first use, checks
    ``input_spec``, and propagates the ``training`` flag to nested layers.

    Args:
        trainable: whether the layer's weights are updated by training.
        dtype: the layer's dtype policy: a ``cornu.dtype_policies.DTypePolicy`` or
            its name (``"float32"``, ``"mixed_float16"``, ...); default the global
            policy (``cornu.config.dtype_policy()``).  Weights are created in its
            ``variable_dtype``, computations run in its ``compute_dtype``.
        autocast: whether floating inputs are cast to the compute dtype and, in a
            mixed-precision layer, float variables are read in it during ``call``.
        name: the layer's name (unique default from the class name).
        activity_regularizer: a regularizer applied to the layer's outputs.
        input_shape, input_dim, batch_input_shape, batch_size: accepted on the
            first layer of a ``Sequential`` model, as in Keras.
    """

    #: Warn when a masked input reaches a layer that does not support masking (models
    #: do not warn: their layers carry the masks).
    _warn_dropped_mask = True
    #: Set on an instance by a backend base that runs hooks around calls (torch's forward
    #: hooks): concrete calls then go through the base's ``_call_with_hooks``.
    _call_hooks_active = False
    _remat_mode = None  # the RematScope the layer was created in (Keras)
    #: Text inputs pass through (models: their own layers check what they receive).
    #: Otherwise a layer that casts its inputs (``_convert_input_args``) and owns weights
    #: refuses str/bytes data with an error naming it, instead of the framework's cast
    #: error.  Layers that take text set ``_convert_input_args = False`` as in Keras.
    _text_inputs_ok = False

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        # The backend's base first (torch: nn.Module.__init__), then cornu's tracking
        # state: both must exist before a subclass __init__ assigns attributes.
        _LayerBase.__init__(obj)
        object.__setattr__(obj, "_layers", [])
        object.__setattr__(obj, "_trainable_variables", [])
        object.__setattr__(obj, "_non_trainable_variables", [])
        object.__setattr__(obj, "_tracking", True)
        return obj

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None,
                 autocast=True, name=None, **kwargs):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        batch_size = kwargs.pop("batch_size", None)
        kwargs.pop("input_length", None)
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unrecognized keyword arguments: {sorted(kwargs)}"
            )
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            if isinstance(input_shape, int):
                input_shape = (input_shape,)
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        else:
            self._batch_input_shape = None
        self.name = name or naming.uniquify(naming.class_key(type(self)))
        if not isinstance(self.name, str) or "/" in self.name:
            raise ValueError(
                f"{type(self).__name__}: name must be a string without '/', received "
                f"{self.name!r}"
            )
        object.__setattr__(self, "_autocast", bool(autocast))
        # Keras captures the RematScope at creation; the layer honours it when called.
        object.__setattr__(self, "_remat_mode", _rematerialization.get_current_remat_mode())
        self._set_dtype_policy(_policies.get(dtype))
        self._trainable = bool(trainable)
        self.built = False
        self.input_spec = None
        if "_supports_masking" not in self.__dict__ and isinstance(
                getattr(type(self), "supports_masking", None), property):
            # As in Keras: a layer that overrides compute_mask supports masking by default
            # (unless the subclass sets it first, or declares it on the class).
            self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        from cornu import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._losses = []
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._build_shapes = None
        self._checked = None  # (spec, shape) of the last input that passed input_spec
        params = self._call_signature_params()
        self._call_has_training = "training" in params
        self._call_has_mask = "mask" in params
        self._update_mask_flags()

    @classmethod
    def _call_signature_params(cls):
        params = cls.__dict__.get("_cached_call_params")
        if params is None:
            params = tuple(inspect.signature(cls.call).parameters)
            cls._cached_call_params = params
        return params

    # -- attribute tracking -----------------------------------------------
    def __setattr__(self, name, value):
        if self._tracking and not name.startswith("__"):
            self._track(value, name)
        object.__setattr__(self, name, value)

    def _track(self, value, name=None):
        """Track a sublayer or variable (or those in a list, tuple or dict).

        ``name`` (the attribute's name) names it for the backend's base (torch's
        ``named_modules``/``state_dict``, TensorFlow checkpoints); a sublayer without
        one is named by its index in ``_layers``, a variable by its own name.
        """
        if isinstance(value, Layer):
            if value is not self and not any(value is x for x in self._layers):
                self._layers.append(value)
                if _BASE_REGISTERS:
                    self._register_tracked(
                        value, str(len(self._layers) - 1) if name is None else name)
        elif isinstance(value, Variable):
            own = self._trainable_variables if value.trainable else self._non_trainable_variables
            if not any(value is v for v in own):
                own.append(value)
                if not getattr(self, "_trainable", True):  # a frozen layer's new weights are frozen (Keras)
                    value.trainable = False
                if _BASE_REGISTERS:
                    self._register_tracked(value, value.name)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, (Layer, Variable)):
                    self._track(item, None if name is None else f"{name}_{i}")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, (Layer, Variable)):
                    self._track(item, None if name is None else f"{name}_{key}")

    def _untrack_layer(self, layer):
        """Stop tracking sublayer ``layer`` (``Sequential.pop``)."""
        object.__setattr__(self, "_layers", [x for x in self._layers if x is not layer])
        if _BASE_REGISTERS:
            self._unregister_tracked(layer)

    # -- masking --------------------------------------------------------------------
    @property
    def supports_masking(self):
        """Whether the layer propagates (or computes) a mask with ``compute_mask``."""
        return self._supports_masking

    @supports_masking.setter
    def supports_masking(self, value):
        object.__setattr__(self, "_supports_masking", bool(value))
        if "_call_has_mask" in self.__dict__:
            self._update_mask_flags()

    def _update_mask_flags(self):
        # Precomputed so that a call without any mask costs one attribute check on the
        # input plus this flag: ``_mask_aware`` is set when the layer either takes a
        # ``mask`` argument or may create a mask from unmasked inputs.
        computes = bool(self.supports_masking) and (
            type(self).compute_mask is not Layer.compute_mask)
        object.__setattr__(self, "_computes_mask", computes)
        object.__setattr__(self, "_mask_aware", computes or self._call_has_mask)

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs, given the inputs and their mask (default: pass through).

        Called after ``call`` when ``supports_masking`` is true; the result is attached
        to the outputs as ``_keras_mask``, where the next layer (and the losses) find it.
        """
        return previous_mask

    # -- dtype policy ---------------------------------------------------------
    def _set_dtype_policy(self, policy):
        object.__setattr__(self, "_dtype_policy", policy)
        object.__setattr__(self, "_dtype", policy.variable_dtype)
        object.__setattr__(self, "_compute_dtype", policy.compute_dtype)
        self._update_dtype_flags()

    def _update_dtype_flags(self):
        """Precompute what ``__call__`` does about dtypes, so a float32 model pays nothing.

        ``_check_input_dtypes``: the layer casts its floating inputs (not for layers
        whose inputs are not numbers).  ``_input_dtype_ok``: the dtype of a lone input
        tensor that needed no cast last time (so the next call with it does nothing).
        ``_autocast_dtype``: the dtype to read float variables in during ``call``
        (None unless the policy is mixed).
        """
        compute = self._compute_dtype
        object.__setattr__(self, "_check_input_dtypes", bool(self._convert_input_args))
        object.__setattr__(self, "_input_dtype_ok", _NO_DTYPE)
        object.__setattr__(self, "_autocast_dtype",
                           compute if compute != self._dtype else None)

    @property
    def _convert_input_args(self):
        """Whether ``__call__`` casts floating inputs (Keras's switch: layers whose
        inputs are not numbers, e.g. string lookups, set it False)."""
        return self.__dict__.get("_check_input_dtypes", True)

    @_convert_input_args.setter
    def _convert_input_args(self, value):
        object.__setattr__(self, "_check_input_dtypes", bool(value))

    @property
    def dtype_policy(self):
        """The layer's ``DTypePolicy``."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._set_dtype_policy(_policies.get(value))

    @property
    def dtype(self):
        """The dtype of the layer's weights (alias of ``variable_dtype``)."""
        return self._dtype

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations (and outputs)."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype the layer creates its weights in."""
        return self._dtype

    @property
    def input_dtype(self):
        """The dtype floating inputs are cast to (the compute dtype)."""
        return self._compute_dtype

    @property
    def autocast(self):
        """Whether floating inputs are cast to ``compute_dtype`` (and, in a mixed-precision
        layer, float variables read in it)."""
        return self._autocast

    @autocast.setter
    def autocast(self, value):
        object.__setattr__(self, "_autocast", bool(value))
        if "_compute_dtype" in self.__dict__:
            self._update_dtype_flags()

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        object.__setattr__(self, "_trainable", value)
        # As Keras: the layer's own trainable variables follow, so that a frozen
        # sublayer's weights leave the parent model's trainable_weights.
        for v in self._trainable_variables:
            v.trainable = value
        for layer in self._layers:
            layer.trainable = value

    #: The tracked sublayers, as a plain attribute a subclass may assign (keras-tcn sets
    #: ``self.layers = []``): Keras has a ``layers`` property on ``Model`` only.
    layers = _SublayersAttribute()

    @property
    def weights(self):
        seen = set()
        out = []
        for w in self._trainable_variables + self._non_trainable_variables:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        for layer in self._layers:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return [w for w in self.weights if w.trainable]

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        return [w for w in self.weights if not w.trainable]

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"You tried to call count_params() on layer '{self.name}', but the "
                "layer isn't built. Build it first, e.g. by calling it on data."
            )
        import math

        return int(sum(math.prod(w.shape) for w in self.weights))

    # -- weights -------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None,
                   aggregation="none", overwrite_with_gradient=False, name=None):
        """Create a ``Variable`` owned by this layer (Keras 3 signature)."""
        from cornu import constraints, initializers, regularizers
        from cornu.serialization import check_allocation

        shape = () if shape is None else tuple(shape)
        dtype = _dtype_name(dtype) or self._dtype
        if initializer is None:
            initializer = "glorot_uniform" if "float" in dtype else "zeros"
        initializer = initializers.get(initializer)
        name = name or "variable"
        check_allocation(self.name, shape, dtype)  # bounded while loading a file
        variable = Variable(
            initializer, shape=shape, dtype=dtype, trainable=trainable,
            name=name, path=f"{self.name}/{name}", autocast=autocast,
            aggregation=aggregation,
        )
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        variable.overwrite_with_gradient = overwrite_with_gradient
        self._track(variable)
        return variable

    def get_weights(self):
        """The weights as a list of numpy arrays, in the order of ``weights``."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from a list of arrays with the shapes of ``get_weights()``."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expected {len(own)} weights, but received "
                f"{len(weights)}. Expected shapes: {[w.shape for w in own]}"
            )
        for variable, value in zip(own, weights):
            shape = tuple(getattr(value, "shape", ()))
            if shape != tuple(variable.shape):
                raise ValueError(
                    f"Layer '{self.name}' weight shape {variable.shape} is not compatible "
                    f"with provided weight shape {shape} (variable {variable.path})"
                )
            variable.assign(value)

    # -- losses ----------------------------------------------------------------
    def add_loss(self, loss):
        """Add a (scalar) loss tensor; collected in ``losses`` for the current call.

        Inside a ``cornu.StatelessScope`` the loss goes to the scope (``scope.losses``)
        when it collects losses, and is dropped otherwise (as in Keras)."""
        _added_losses[0] = True
        if _stateless_open[0]:
            scope = _scopes.get_stateless_scope()
            if scope is not None:
                if scope.collect_losses:
                    ids = self._scope_loss_ids()
                    for x in tree.flatten(loss):
                        scope.add_loss(x)
                        ids.add(id(x))
                return
        self._losses.append(loss)

    def _scope_loss_ids(self):
        """The ids of the losses this layer added to stateless scopes."""
        ids = self.__dict__.get("_loss_ids")
        if ids is None:
            ids = set()
            object.__setattr__(self, "_loss_ids", ids)
        return ids

    def _own_losses(self):
        scope = _scopes.get_stateless_scope() if _stateless_open[0] else None
        if scope is None:
            return list(self._losses)
        ids = self.__dict__.get("_loss_ids") or ()
        return [x for x in scope.losses if id(x) in ids]

    @property
    def losses(self):
        """Losses added in the last call plus the regularization losses of the weights
        (inside a ``cornu.StatelessScope``: the losses added there, and the
        regularization of the values the scope gives the weights)."""
        out = self._own_losses()
        for w in self._trainable_variables + self._non_trainable_variables:
            reg = getattr(w, "regularizer", None)
            if reg is not None:
                out.append(reg(w.value))
        for layer in self._layers:
            out.extend(layer.losses)
        return out

    def _clear_losses(self):
        if _stateless_open[0]:
            scope = _scopes.get_stateless_scope()
            ids = self.__dict__.get("_loss_ids")
            if scope is not None and ids:
                if scope.collect_losses:
                    scope.losses[:] = [x for x in scope.losses if id(x) not in ids]
                ids.clear()
        if self._losses:
            self._losses.clear()
        for layer in self._layers:
            layer._clear_losses()

    # -- building ----------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def _build_with(self, input_shape):
        """Build once, remembering the shape for ``get_build_config``."""
        self._build_shapes = input_shape
        if type(self).build is not Layer.build:
            self.build(input_shape)
        self.built = True
        self._lock_input_spec(input_shape)

    def _lock_input_spec(self, input_shape):
        pass

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        return {"input_shape": shape_to_json(self._build_shapes)}

    def build_from_config(self, config):
        if config and "input_shape" in config:
            shape = config["input_shape"]
            self._build_with(_to_shape(shape))

    def compute_output_shape(self, *args, **kwargs):
        raise NotImplementedError  # optional; compute_output_spec traces `call` instead

    def compute_output_spec(self, *args, **kwargs):
        """Symbolic outputs for symbolic inputs: from compute_output_shape, else by tracing."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = tree.map_structure(
                lambda x: x.shape if isinstance(x, KerasTensor) else x, args[0]
            )
            return _shapes_to_tensors(self.compute_output_shape(shapes), self.compute_dtype)
        with _scopes.SymbolicScope():
            return _backend().core.compute_output_spec(self.call, *args, **kwargs)

    # -- calling -------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        # The outermost call re-raises an error with cornu's and the framework's frames
        # dropped (config.disable_traceback_filtering()); no cost unless one is raised.
        try:
            first = args[0] if args else next(iter(kwargs.values()), None)
            if isinstance(first, KerasTensor) or (
                tree.is_nested(first) and any_symbolic(args, kwargs)
            ):
                return self._symbolic_call(args, kwargs)
            if self._call_hooks_active:  # hooks registered through the backend's base
                return self._call_with_hooks(args, kwargs)
            if self._check_input_dtypes and (
                    getattr(first, "dtype", None) is not self._input_dtype_ok or len(args) != 1):
                # Keras casts floating inputs to the compute dtype.  A lone input tensor of
                # the dtype that needed nothing last time costs only the test above (so a
                # float32 model pays one attribute read per layer call).
                args, kwargs = self._convert_inputs(args, kwargs)
                first = args[0] if args else next(iter(kwargs.values()), None)
            spec = self.input_spec
            if not self.built:
                if spec is not None:  # check before building wrong weights from a bad input
                    self._check_inputs(spec, first)
                self._build_with(_shape_of(first))
                spec = self.input_spec
                if self._check_input_dtypes and self._refuses_text():
                    self._check_text_inputs(args)  # first call: now it owns its weights
            if spec is not None:
                self._check_inputs(spec, first)
            # Masks ride on the tensors as ``_keras_mask`` (Keras 3); no mask costs one check.
            mask = getattr(first, "_keras_mask", None)
            masked = mask is not None or self._mask_aware
            if masked:
                mask = self._prepare_mask(first, kwargs, mask)
            if self._call_has_training:
                training = kwargs.get("training")
            else:
                training = kwargs.pop("training", None)
            context_training = _context.training
            call = self.call
            if self._autocast_dtype is not None or autocast_scope[0] is not None:
                call = self._call_in_autocast_scope
            if self._remat_mode is not None:
                call = _rematerialization.rematerialized_call(self, call, args, kwargs)
            if context_training is _UNSET:  # the outermost call sets the context
                if _added_losses[0]:
                    self._clear_losses()
                training = bool(training) if training is not None else False
                if self._call_has_training:
                    kwargs["training"] = training
                _context.training = training
                try:
                    outputs = call(*args, **kwargs)
                finally:
                    _context.training = _UNSET
            else:
                if self._call_has_training and training is None:
                    kwargs["training"] = context_training
                outputs = call(*args, **kwargs)
            if masked:
                self._set_mask_metadata(first, outputs, mask)
            if self.activity_regularizer is not None:
                for out in tree.flatten(outputs):
                    self.add_loss(self.activity_regularizer(out))
            return outputs
        except Exception as err:
            if _context.training is not _UNSET or not _config._TRACEBACK_FILTERING:
                raise  # an inner call (the outermost one filters) or filtering is off
            # No ``from``: the exception keeps its own ``__cause__``.
            err = _traceback_utils.filter_exception(err)
            raise err  # cornu's frames hidden: cornu.config.disable_traceback_filtering()

    # -- autocasting ---------------------------------------------------------------
    def _scope_dtype(self):
        """The variable-autocast dtype for this layer's ``call`` (Keras 3 rules)."""
        current = autocast_scope[0]
        if current is None:
            return self._autocast_dtype  # enter a scope only when the policy is mixed
        if not self._autocast or not is_float_dtype(self._compute_dtype):
            return None
        return self._compute_dtype

    def _call_in_autocast_scope(self, *args, **kwargs):
        previous = autocast_scope[0]
        autocast_scope[0] = self._scope_dtype()
        try:
            return self.call(*args, **kwargs)
        finally:
            autocast_scope[0] = previous

    def _convert_inputs(self, args, kwargs):
        """Cast floating inputs (tensors, numpy arrays, KerasTensors) to ``input_dtype``.

        Integer, bool and string inputs, ``training`` and ``mask`` pass untouched.
        Remembers the dtype of a lone input tensor that needed nothing, so the next
        call with the same dtype skips this.  (Like Keras, keyword tensors are cast too,
        but only on calls that take this path: a call with one input of the remembered
        dtype leaves its keyword arguments alone.)
        """
        dtype = self.input_dtype
        autocast = self._autocast
        core = _backend().core
        ok = self._input_dtype_ok
        text = []  # inputs that hold text (checked once the layer is known to need numbers)

        def convert(x):
            if getattr(x, "dtype", None) is ok:
                return x
            if isinstance(x, KerasTensor):
                if autocast and x.dtype != dtype and is_float_dtype(x.dtype):
                    out = KerasTensor(x.shape, dtype=dtype, sparse=x.sparse)
                    mask = getattr(x, "_keras_mask", None)
                    if mask is not None:
                        out._keras_mask = mask
                    return out
                return x
            if type(x) is np.ndarray:
                if x.dtype.kind != "f":
                    if x.dtype.kind in "USO":
                        text.append(x)
                    return x
                return core.convert_to_tensor(x, dtype=dtype if autocast else None)
            if core.is_tensor(x):
                current = core.standardize_dtype(x.dtype)
                if current == "string":
                    text.append(x)
                elif (autocast and dtype is not None and current != dtype
                        and is_float_dtype(current)):
                    mask = getattr(x, "_keras_mask", None)
                    x = core.cast(x, dtype)
                    if mask is not None:
                        set_keras_mask(x, mask)
            return x

        new_args = tuple(tree.map_structure(convert, a) for a in args)
        if kwargs and not kwargs.keys() <= _PASSIVE_KWARGS:
            kwargs = {k: v if k in _PASSIVE_KWARGS else tree.map_structure(convert, v)
                      for k, v in kwargs.items()}
        if text and self._refuses_text():
            for x in text:
                described = _text_dtype(x, core)
                if described is not None:
                    raise _text_input_error(self, described)
        if len(args) == 1 and new_args[0] is args[0] and core.is_tensor(args[0]):
            object.__setattr__(self, "_input_dtype_ok", args[0].dtype)
        return new_args, kwargs

    def _refuses_text(self):
        """Whether text inputs are an error here: a layer (not a model) with weights of
        its own computes with numbers; a weightless one may take text (e.g. a Lambda)."""
        return not self._text_inputs_ok and bool(
            self._trainable_variables or self._non_trainable_variables)

    def _check_text_inputs(self, args):
        core = _backend().core
        for x in tree.flatten(list(args)):
            described = _text_dtype(x, core)
            if described is not None:
                raise _text_input_error(self, described)

    def _prepare_mask(self, first, kwargs, mask):
        """Fill ``kwargs["mask"]`` from the input's mask; return the previous mask."""
        if self._call_has_mask:
            explicit = kwargs.get("mask")
            if explicit is not None:
                return explicit
            if mask is not None:
                kwargs["mask"] = mask
                return mask
        if mask is None and type(first) in (list, tuple):
            masks = [getattr(x, "_keras_mask", None) for x in first]
            if any(m is not None for m in masks):
                if self._call_has_mask:
                    kwargs["mask"] = masks
                return masks
        return mask

    def _set_mask_metadata(self, inputs, outputs, previous_mask):
        """Attach ``compute_mask(inputs, previous_mask)`` to the outputs (Keras 3 rules)."""
        if not self.supports_masking:
            if self._warn_dropped_mask and previous_mask is not None and any(
                    m is not None for m in tree.flatten(previous_mask)):
                _warn_mask_dropped(self)
            return
        flat_outputs = tree.flatten(outputs)
        if all(getattr(x, "_keras_mask", None) is not None for x in flat_outputs):
            return
        if previous_mask is None and not self._computes_mask:
            return
        output_masks = self.compute_mask(inputs, previous_mask)
        if output_masks is None:
            return
        for tensor, out_mask in zip(flat_outputs, tree.flatten(output_masks)):
            if out_mask is not None and getattr(tensor, "_keras_mask", None) is None:
                set_keras_mask(tensor, out_mask)

    def _check_inputs(self, spec, first):
        if isinstance(spec, (list, tuple)):
            for i, (s, x) in enumerate(zip(spec, tree.flatten(first))):
                check_input_spec(self, s, _shape_of(x), i)
            return
        shape = tuple(first.shape)
        # Same spec, same shape as the last accepted input: nothing new to check.  Only
        # concrete shapes are remembered and compared: a size that a tracer makes symbolic
        # (torch.export's batch) compared with a remembered int would pin it (a guard).
        concrete = all(type(d) is int for d in shape)
        if (concrete and self._checked is not None and self._checked[0] is spec
                and self._checked[1] == shape):
            return
        check_input_spec(self, spec, shape)
        if concrete:
            self._checked = (spec, shape)

    def _symbolic_call(self, args, kwargs):
        first = args[0] if args else next(iter(kwargs.values()))
        if not self.built:
            self._build_with(tree.map_structure(lambda x: x.shape, first))
        if self.input_spec is not None:
            self._check_inputs(self.input_spec, first)
        kwargs = {k: v for k, v in kwargs.items() if k != "training"}
        if self._check_input_dtypes or self._autocast_dtype is not None or (
                autocast_scope[0] is not None):
            # Trace with the inputs cast and the variables read as a real call would.
            spec_args, spec_kwargs = self._convert_inputs(args, kwargs)
            previous = autocast_scope[0]
            autocast_scope[0] = self._scope_dtype()
            try:
                outputs = self.compute_output_spec(*spec_args, **spec_kwargs)
            finally:
                autocast_scope[0] = previous
        else:
            outputs = self.compute_output_spec(*args, **kwargs)
        outputs = tree.map_structure(lambda t: _fresh(t), outputs)
        Node(self, call_args=args, call_kwargs=kwargs, outputs=outputs)
        self._set_symbolic_mask(first, outputs, kwargs.get("mask"))
        return outputs

    def _set_symbolic_mask(self, first, outputs, explicit):
        """The symbolic counterpart of ``_set_mask_metadata``: masks as KerasTensors."""
        if explicit is not None:
            previous = explicit
        elif type(first) in (list, tuple):
            previous = [getattr(x, "_keras_mask", None) for x in first]
            if all(m is None for m in previous):
                previous = None
        else:
            previous = getattr(first, "_keras_mask", None)
        if not self.supports_masking:
            if previous is not None and self._warn_dropped_mask:
                _warn_mask_dropped(self)
            return
        if previous is None and not self._computes_mask:
            return
        if type(self).compute_mask is Layer.compute_mask:
            out_masks = previous
        else:
            try:
                with _scopes.SymbolicScope():
                    out_masks = _backend().core.compute_output_spec(self.compute_mask,
                                                                    first, previous)
            except Exception:  # the symbolic mask is informational; real calls recompute it
                return
        if out_masks is None:
            return
        for tensor, out_mask in zip(tree.flatten(outputs), tree.flatten(out_masks)):
            if isinstance(out_mask, KerasTensor) and isinstance(tensor, KerasTensor):
                tensor._keras_mask = out_mask

    def call(self, *args, **kwargs):
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not implement call()"
        )  # abstract: every concrete layer defines call

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, **kwargs):
        """Call the layer without side effects (``keras.Layer.stateless_call``).

        Runs ``call(*args, **kwargs)`` in a ``cornu.StatelessScope`` where the layer's
        ``trainable_variables`` read as the given values, and so do its
        ``non_trainable_variables``; what the call assigns to the latter (a
        BatchNormalization's moving statistics) comes back instead of being applied.
        Differentiating the outputs with respect to the given values (``torch.autograd``,
        ``tf.GradientTape``) gives the gradients a functional training step needs.

        Args:
            trainable_variables: the values of ``self.trainable_variables``, in order.
            non_trainable_variables: the values of ``self.non_trainable_variables``.
            *args, **kwargs: what ``call`` takes (``training=True`` is passed on, and
                the nested layers inherit it).
            return_losses: also return the losses the call added (``add_loss``, the
                nested layers' activity regularizers) and the weights' regularization.

        Returns:
            ``(outputs, non_trainable_variables)``, or ``(outputs,
            non_trainable_variables, losses)`` with ``return_losses``.  The layer's
            variables are unchanged.
        """
        if not self.built:
            raise ValueError(
                f"To call stateless_call, {type(self).__name__} must be built (i.e. its "
                "variables must have been already created). You can build it by calling "
                "it on some data.")
        own_trainable = self.trainable_variables
        own_non_trainable = self.non_trainable_variables
        if len(trainable_variables) != len(own_trainable):
            raise ValueError(
                "Argument `trainable_variables` must be a list of tensors corresponding "
                f"1:1 to {type(self).__name__}().trainable_variables. Received list with "
                f"length {len(trainable_variables)}, but expected {len(own_trainable)} "
                "variables.")
        if len(non_trainable_variables) != len(own_non_trainable):
            raise ValueError(
                "Argument `non_trainable_variables` must be a list of tensors "
                f"corresponding 1:1 to {type(self).__name__}().non_trainable_variables. "
                f"Received list with length {len(non_trainable_variables)}, but expected "
                f"{len(own_non_trainable)} variables.")
        mapping = (list(zip(own_trainable, trainable_variables))
                   + list(zip(own_non_trainable, non_trainable_variables)))
        losses = None
        with _scopes.StatelessScope(state_mapping=mapping,
                                    collect_losses=return_losses) as scope:
            call = self.call
            if self._remat_mode is not None:
                call = _rematerialization.rematerialized_call(self, call, args, kwargs)
            if _context.training is _UNSET:
                # The nested layers inherit the training flag, as under __call__.
                training = kwargs.get("training")
                _context.training = bool(training) if training is not None else False
                try:
                    outputs = call(*args, **kwargs)
                finally:
                    _context.training = _UNSET
            else:
                outputs = call(*args, **kwargs)
            if return_losses:
                losses = self.losses
        non_trainable_values = [scope.get_current_value(v) for v in own_non_trainable]
        if return_losses:
            return outputs, non_trainable_values, losses
        return outputs, non_trainable_values

    # -- symbolic inputs and outputs (the layer's calls in Functional graphs) --------
    @property
    def input(self):
        """The symbolic input tensor(s) of the layer's first call on symbolic tensors
        (a list where that call took several), as in Keras 3."""
        return self._get_node_attribute_at_index(0, "input_tensors", "input")

    @property
    def output(self):
        """The symbolic output tensor(s) of the layer's first call on symbolic tensors
        (a list where that call returned several), as in Keras 3."""
        return self._get_node_attribute_at_index(0, "outputs", "output")

    def get_input_at(self, node_index):
        """The symbolic input(s) of the layer's call number ``node_index``."""
        return self._get_node_attribute_at_index(node_index, "input_tensors", "input")

    def get_output_at(self, node_index):
        """The symbolic output(s) of the layer's call number ``node_index``."""
        return self._get_node_attribute_at_index(node_index, "outputs", "output")

    def _get_node_attribute_at_index(self, node_index, attr, attr_name):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(
                f"The layer {self.name} has never been called and thus has no defined "
                f"{attr_name}."
            )
        if not 0 <= node_index < len(nodes):
            raise ValueError(
                f"Asked to get {attr_name} at node {node_index} of layer {self.name}, but "
                f"the layer has only {len(nodes)} inbound node(s)."
            )
        values = getattr(nodes[node_index], attr)
        return values[0] if isinstance(values, list) and len(values) == 1 else values

    # -- config ----------------------------------------------------------------------
    def get_config(self):
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": _policies.serialize(self._dtype_policy),
        }
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            from cornu.serialization import serialize_cornu_object

            config["activity_regularizer"] = serialize_cornu_object(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def set_keras_mask(x, mask):
    """Attach ``mask`` to tensor ``x`` as ``_keras_mask`` (skipped where ``x`` takes no attributes)."""
    try:
        x._keras_mask = mask
    except (AttributeError, TypeError):
        pass


def attach_mask(x, mask):
    """``x`` as a backend tensor carrying ``mask`` (numpy inputs are converted first)."""
    if getattr(x, "_keras_mask", None) is mask:
        return x
    if not hasattr(x, "__dict__"):
        x = _backend().core.convert_to_tensor(x)
    set_keras_mask(x, _backend().core.convert_to_tensor(mask))
    return x


def get_keras_mask(x):
    """The mask attached to ``x`` (``None`` when it has none)."""
    return getattr(x, "_keras_mask", None)


def _warn_mask_dropped(layer):
    if layer.__dict__.get("_mask_warned"):
        return  # once per layer, not once per call
    object.__setattr__(layer, "_mask_warned", True)
    import warnings

    from cornu import CornuWarning

    warnings.warn(
        f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input with a "
        "mask attached to it. However, this layer does not support masking and will "
        "therefore destroy the mask information. Downstream layers will not see the mask.",
        stacklevel=3, category=CornuWarning)


def _fresh(t):
    return KerasTensor(t.shape, dtype=t.dtype, sparse=t.sparse) if isinstance(t, KerasTensor) else t


def _shape_of(x):
    if isinstance(x, (list, tuple)) and x and not isinstance(x[0], (int, float)):
        return [_shape_of(i) for i in x]
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    shape = getattr(x, "shape", None)
    return None if shape is None else tuple(shape)


def _is_shape(s):
    return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, int) for d in s)


def _shapes_to_tensors(s, dtype):
    if _is_shape(s):
        return KerasTensor(s, dtype=dtype)
    if isinstance(s, dict):
        return {k: _shapes_to_tensors(v, dtype) for k, v in s.items()}
    return [_shapes_to_tensors(v, dtype) for v in s]


def shape_to_json(s):
    if _is_shape(s):
        return list(s)
    if isinstance(s, dict):
        return {k: shape_to_json(v) for k, v in s.items()}
    return [shape_to_json(v) for v in s]


def _to_shape(obj):
    if _is_shape(obj):
        return tuple(obj)
    if isinstance(obj, dict):
        return {k: _to_shape(v) for k, v in obj.items()}
    return [_to_shape(o) for o in obj]
