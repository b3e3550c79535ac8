"""``JaxLayer`` and ``FlaxLayer``: a JAX function or a Flax module as a cornu layer.

The function runs on the backend's tensors through the backend's optional
``jax_interop`` part (``cornu.backend_spec``): TensorFlow converts it with jax2tf, torch
runs it under ``jax.jit`` inside a ``torch.autograd.Function`` whose backward pass is
``jax.vjp``; on both, gradients reach the layer's params, so ``fit`` trains them.
JAX (and Flax) are imported when a layer is made, never with ``cornu.layers``.
"""
import importlib
import inspect
import itertools
import string

import numpy as np

from cornu.layer import Layer
from cornu.symbolic import KerasTensor


def _import(name, layer):
    try:
        return importlib.import_module(name)
    except ImportError as err:
        top = name.split(".")[0]
        raise ImportError(
            f"{layer} needs {top}, which is not installed: pip install {top} (or pip "
            "install 'cornu-layers[jax]')") from err


def _jax_interop(layer):
    """The bound backend's ``jax_interop`` part, or a ValueError naming the backend."""
    from cornu.backend import backend_name, get_backend

    backend = get_backend()
    part = vars(backend).get("jax_interop")
    if part is None and hasattr(backend, "__path__"):
        name = f"{backend.__name__}.jax_interop"
        try:
            part = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
    if part is None:
        part = getattr(backend, "jax_interop", None)
    if part is None:
        raise ValueError(
            f"{layer} runs a JAX function on the backend's tensors and needs a backend with "
            "the optional `jax_interop` part (cornu.backend_spec; the torch and tensorflow "
            f"backends have it); the active cornu backend {backend_name()!r} has none.")
    return part


def _is_array(value, jax):
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        return True
    from cornu.backend import get_backend

    return bool(get_backend().core.is_tensor(value))


def _dim_names():
    # a, b, ... z, aa, ab, ...: one fresh name per unknown dimension (Keras's scheme).
    return itertools.chain(
        string.ascii_lowercase,
        ("".join(p) for p in itertools.product(string.ascii_lowercase, repeat=2)))


class JaxLayer(Layer):
    """Wraps a JAX model (a pure function and its parameters) as a cornu layer.

    ``call_fn`` takes arguments with exactly these names (``inputs`` required, the
    others optional, in any order): ``params`` (the trainable parameters, a pytree),
    ``state`` (the non-trainable state; ``call_fn`` then returns ``(outputs,
    new_state)``), ``rng`` (a ``jax.random`` key, in training only; ``None`` otherwise),
    ``inputs`` (an array or a pytree of arrays) and ``training``.  ``init_fn(rng,
    inputs[, training])`` returns the params (or ``(params, state)`` when ``call_fn``
    takes ``state``); it is called on placeholder inputs of the first input shape
    (``training=True``) when neither ``params`` nor ``state`` is given.

    The array leaves of ``params`` become trainable cornu variables, those of ``state``
    non-trainable ones (in ``jax.tree_util`` flattening order, as Keras); other leaves are
    kept as constants.  On tensorflow the function is converted with jax2tf (eager and
    in ``tf.function``); on torch it runs under ``jax.jit`` with ``jax.vjp`` for the
    backward pass.

    Args:
        call_fn: the model function (see above).
        init_fn: the initialization function; needed when ``params`` and ``state`` are
            both None and ``call_fn`` takes one of them.
        params: a pytree of the trainable parameters.
        state: a pytree of the non-trainable state.
        seed: the seed of the layer's ``SeedGenerator`` (the ``rng`` of ``call_fn``).
        native_serialization_platforms: the platforms (``"cpu"``, ``"cuda"``, ``"rocm"``,
            ``"tpu"``) jax2tf compiles for on tensorflow; None: the default one.
        name, dtype, trainable: as for any layer.
    """

    def __init__(self, call_fn, init_fn=None, params=None, state=None, seed=None,
                 native_serialization_platforms=None, **kwargs):
        jax = _import("jax", type(self).__name__)
        interop = _jax_interop(type(self).__name__)
        super().__init__(**kwargs)
        object.__setattr__(self, "_jax", jax)
        object.__setattr__(self, "_interop", interop)
        self.call_fn = call_fn
        self.init_fn = init_fn
        self.jax2tf_native_serialization_platforms = native_serialization_platforms
        self.call_fn_arguments = self._validate_signature(
            call_fn, "call_fn", ("params", "state", "rng", "inputs", "training"), ("inputs",))
        self.call_fn_has_params = "params" in self.call_fn_arguments
        self.call_fn_has_state = "state" in self.call_fn_arguments
        if (init_fn is None and params is None and state is None
                and (self.call_fn_has_params or self.call_fn_has_state)):
            raise ValueError(
                f"{type(self).__name__}: `init_fn`, `params` and `state` cannot all be "
                "`None` when `call_fn` takes a `params` or a `state` argument.")
        if init_fn is not None:
            self.init_fn_arguments = self._validate_signature(
                init_fn, "init_fn", ("rng", "inputs", "training"), ("inputs",))
        if "rng" in self.call_fn_arguments:
            from cornu import random

            self.seed_generator = random.SeedGenerator(seed)
        else:
            self.seed_generator = None
        object.__setattr__(self, "params", None)
        object.__setattr__(self, "state", None)
        self.tracked_params = self._create_variables(params, trainable=True)
        self.tracked_state = self._create_variables(state, trainable=False)
        object.__setattr__(self, "_converted", {})
        object.__setattr__(self, "_polymorphic_inputs", None)

    # -- arguments ---------------------------------------------------------------------
    def _validate_signature(self, fn, fn_name, allowed, required):
        if not callable(fn):
            raise ValueError(f"{type(self).__name__}: `{fn_name}` must be callable, "
                             f"received {fn!r} of type {type(fn).__name__}")
        parameters = inspect.signature(fn).parameters
        for name in required:
            if name not in parameters:
                raise ValueError(f"Missing required argument in `{fn_name}`: `{name}`")
        names = []
        for parameter in parameters.values():
            if parameter.name not in allowed:
                raise ValueError(
                    f"Unsupported argument in `{fn_name}`: `{parameter.name}`, supported "
                    f"arguments are `{'`, `'.join(allowed)}`")
            names.append(parameter.name)
        return names

    # -- variables ---------------------------------------------------------------------
    def _create_variables(self, values, trainable):
        """Variables for the array (and bool/int/float) leaves of ``values`` (other leaves
        stay as they are); sets ``params`` / ``state`` to that structure and returns its
        variables, flattened as ``jax.tree_util`` flattens."""
        jax = self._jax
        from cornu.dtypes import dtype_name

        def create(value):
            if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
                array = np.asarray(value)
            elif _is_array(value, jax):
                array = np.asarray(value)
            else:
                return value
            dtype = dtype_name(array.dtype)
            if "float" in dtype:
                dtype = None  # the layer's dtype policy, as Keras
            variable = self.add_weight(array.shape, initializer="zeros", dtype=dtype,
                                       trainable=trainable)
            variable.assign(array.astype(variable.dtype) if dtype is None else array)
            return variable

        variables = jax.tree_util.tree_map(create, values)
        # Kept out of the layer's tracking (a tracked dict is no pytree jax knows);
        # add_weight tracked the variables themselves.
        object.__setattr__(self, "params" if trainable else "state", variables)
        from cornu.variables import Variable

        return [v for v in jax.tree_util.tree_leaves(variables) if isinstance(v, Variable)]

    # -- random keys -------------------------------------------------------------------
    def _get_init_seed(self):
        """One seed for ``init_fn``'s ``rng``: an int32 ``[2]`` numpy array drawn from
        numpy's global generator (``cornu.utils.set_random_seed`` makes it
        reproducible)."""
        return np.array([0, np.random.randint(0, 2**31 - 1)], dtype=np.int32)

    def _get_init_rng(self):
        """The ``rng`` passed to ``init_fn``: one seed (override for a structure)."""
        return self._get_init_seed()

    def _get_call_seed(self):
        """One seed for ``call_fn``'s ``rng``: the next seed of the layer's
        ``SeedGenerator``, as an int32 ``[2]`` backend tensor."""
        override = self.__dict__.get("_seed_placeholder")
        if override is not None:
            return override
        from cornu import ops

        seed = ops.reshape(ops.cast(ops.convert_to_tensor(self.seed_generator.next()),
                                    "int32"), (-1,))
        if seed.shape[0] == 1:
            seed = ops.concatenate([ops.zeros((1,), "int32"), seed])
        return seed

    def _get_call_rng(self, training):
        """The ``rng`` passed to ``call_fn``: a seed in training, else None (override
        for a structure or for seeds in inference too)."""
        return self._get_call_seed() if training else None

    def _keys(self, seeds):
        jnp = self._jax.numpy
        return self._jax.tree_util.tree_map(
            lambda s: jnp.asarray(s).astype(jnp.uint32).reshape((2,)), seeds)

    # -- building ----------------------------------------------------------------------
    def _initialize_weights(self, input_shape):
        jax = self._jax
        from cornu import tree

        def placeholder(shape):
            return jax.numpy.ones([1 if d is None else d for d in shape])

        inputs = tree.map_shape_structure(placeholder, input_shape)
        args = []
        for name in self.init_fn_arguments:
            if name == "rng":
                args.append(self._keys(self._get_init_rng()))
            elif name == "inputs":
                args.append(inputs)
            else:  # training
                args.append(True)
        result = self.init_fn(*args)
        params, state = result if self.call_fn_has_state else (result, None)
        self.tracked_params = self._create_variables(params, trainable=True)
        self.tracked_state = self._create_variables(state, trainable=False)

    def build(self, input_shape):
        if (self.params is None and self.state is None
                and (self.call_fn_has_params or self.call_fn_has_state)):
            self._initialize_weights(input_shape)
        object.__setattr__(self, "_polymorphic_inputs", self._polymorphic_shape(input_shape))
        self.built = True

    def _polymorphic_shape(self, input_shape):
        """jax2tf's shape strings for the inputs: the batch axis is ``batch`` (shared by
        all inputs), every other unknown dimension gets a name of its own."""
        from cornu import tree

        names = _dim_names()

        def one(shape):
            dims = ["batch" if i == 0 else (str(d) if d is not None else next(names))
                    for i, d in enumerate(shape)]
            return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

        return tree.map_shape_structure(one, input_shape)

    # -- calling -----------------------------------------------------------------------
    def _pure_fn(self, training):
        """``f(params, state, seeds, inputs) -> (outputs, new_state)``, pure JAX."""
        def f(params, state, seeds, inputs):
            args = []
            for name in self.call_fn_arguments:
                if name == "params":
                    args.append(params)
                elif name == "state":
                    args.append(state)
                elif name == "rng":
                    args.append(self._keys(seeds))
                elif name == "inputs":
                    args.append(inputs)
                else:
                    args.append(training)
            result = self.call_fn(*args)
            if self.call_fn_has_state:
                outputs, new_state = result
                return outputs, new_state
            return result, None

        return f

    def _converted_fn(self, training):
        training = bool(training) if "training" in self.call_fn_arguments else False
        fn = self._converted.get(training)
        if fn is None:
            inputs = self._polymorphic_inputs if self._polymorphic_inputs is not None else "..."
            fn = self._interop.convert(
                self._pure_fn(training), polymorphic_shapes=["...", "...", "...", inputs],
                native_serialization_platforms=self.jax2tf_native_serialization_platforms)
            self._converted[training] = fn
        return fn

    def _values(self, structure):
        from cornu.variables import Variable

        return self._jax.tree_util.tree_map(
            lambda v: v.value if isinstance(v, Variable) else v, structure)

    def call(self, inputs, training=False):
        seeds = self._get_call_rng(training) if self.seed_generator is not None else None
        outputs, new_state = self._converted_fn(training)(
            self._values(self.params), self._values(self.state), seeds, inputs)
        if self.call_fn_has_state:
            self._assign_state(new_state)
        return outputs

    def _assign_state(self, new_state):
        from cornu.variables import Variable

        def assign(value, variable):
            if not isinstance(variable, Variable):
                if variable is None or value is None:
                    return None
                raise ValueError(
                    f"{type(self).__name__}: the structure of the state returned by "
                    "`call_fn` does not match the structure of the state at "
                    "initialization time.")
            variable.assign(value)
            return None

        try:
            self._jax.tree_util.tree_map(assign, new_state, self.state)
        except ValueError as err:
            if "does not match" in str(err):
                raise
            raise ValueError(
                f"{type(self).__name__}: the structure of the state returned by `call_fn` "
                "does not match the structure of the state at initialization time: "
                f"{err}") from err

    def compute_output_spec(self, inputs, training=False):
        """The outputs' shapes and dtypes from ``jax.eval_shape`` (nothing runs)."""
        jax = self._jax
        from cornu import tree
        from cornu.variables import Variable

        def spec_of(v):
            if isinstance(v, Variable):
                return jax.ShapeDtypeStruct(tuple(v.shape), jax.numpy.dtype(v.dtype))
            return v

        params = jax.tree_util.tree_map(spec_of, self.params)
        state = jax.tree_util.tree_map(spec_of, self.state)
        seeds = None
        if self.seed_generator is not None:
            object.__setattr__(self, "_seed_placeholder",
                               jax.ShapeDtypeStruct((2,), jax.numpy.int32))
            try:
                seeds = self._get_call_rng(training)
            finally:
                object.__setattr__(self, "_seed_placeholder", None)
        fn = self._pure_fn(bool(training))

        def trace(symbolic):
            scope = jax.export.SymbolicScope() if symbolic else None
            names = _dim_names()

            def one(x):
                if symbolic:
                    dims = ", ".join("batch" if i == 0 and d is None else
                                     (str(d) if d is not None else next(names))
                                     for i, d in enumerate(x.shape))
                    shape = (jax.export.symbolic_shape(f"({dims},)", scope=scope)
                             if dims else ())
                else:
                    shape = tuple(1 if d is None else d for d in x.shape)
                return jax.ShapeDtypeStruct(shape, jax.numpy.dtype(x.dtype))

            return jax.eval_shape(fn, params, state, seeds, tree.map_structure(one, inputs))

        try:
            out, _ = trace(True)
            symbolic = True
        except Exception:  # noqa: BLE001 - not shape-polymorphic: trace with 1s instead
            out, _ = trace(False)
            symbolic = False
        batch_unknown = any(x.shape and x.shape[0] is None for x in tree.flatten(inputs))

        def to_tensor(s):
            shape = tuple(d if isinstance(d, int) else None for d in s.shape)
            if not symbolic and batch_unknown and shape:
                shape = (None,) + shape[1:]
            return KerasTensor(shape, dtype=str(s.dtype))

        return jax.tree_util.tree_map(to_tensor, out)

    # -- config ------------------------------------------------------------------------
    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        config = super().get_config()
        config.update({
            "call_fn": serialize_cornu_object(self.call_fn),
            "init_fn": serialize_cornu_object(self.init_fn),
            "native_serialization_platforms": self.jax2tf_native_serialization_platforms,
        })
        return config

    @classmethod
    def from_config(cls, config):
        from cornu.serialization import deserialize_cornu_object

        config = dict(config)
        config["call_fn"] = deserialize_cornu_object(config["call_fn"])
        config["init_fn"] = deserialize_cornu_object(config.get("init_fn"))
        return super().from_config(config)


class FlaxLayer(JaxLayer):
    """Wraps a ``flax.linen.Module`` as a cornu layer.

    ``method`` (default ``module.__call__``) takes ``inputs`` and optionally
    ``training``; a function that is not a method of the module takes the module as its
    first argument (``module``).  The module's ``"params"`` collection becomes the
    trainable variables, every other collection (``"batch_stats"``...) the
    non-trainable state, updated by each call (``mutable`` is every collection but
    ``"params"``).  The ``"params"`` and ``"dropout"`` RNG streams are provided
    (``"dropout"`` in training only).

    Args:
        module: the ``flax.linen.Module``.
        method: the method to call, None for ``__call__``.
        variables: the module's variables as ``module.init`` returns them; None:
            ``module.init`` runs on the first input shape.
        name, dtype, trainable, seed: as for ``JaxLayer``.
    """

    def __init__(self, module, method=None, variables=None, **kwargs):
        linen = _import("flax.linen", type(self).__name__)
        self.module = module
        self.method = method
        mutable = linen.DenyList(["params"])
        takes_training = "training" in inspect.signature(
            method or module.__call__).parameters

        def merged(params, state):
            return {**(params or {}), **(state or {})}

        if takes_training:
            def call_fn(params, state, rng, inputs, training):
                return self.module.apply(merged(params, state), inputs, rngs=rng,
                                         method=self.method, mutable=mutable,
                                         training=training)

            def init_fn(rng, inputs, training):
                return self._variables_to_params_and_state(self.module.init(
                    rng, inputs, method=self.method, training=training))
        else:
            def call_fn(params, state, rng, inputs):
                return self.module.apply(merged(params, state), inputs, rngs=rng,
                                         method=self.method, mutable=mutable)

            def init_fn(rng, inputs):
                return self._variables_to_params_and_state(self.module.init(
                    rng, inputs, method=self.method))

        params, state = self._variables_to_params_and_state(variables)
        super().__init__(call_fn=call_fn, init_fn=init_fn, params=params, state=state,
                         **kwargs)

    @staticmethod
    def _variables_to_params_and_state(variables):
        if variables is None:
            return None, None
        variables = dict(variables)
        if "params" not in variables:
            return {}, variables
        if len(variables) == 1:
            return variables, {}
        return ({"params": variables["params"]},
                {k: v for k, v in variables.items() if k != "params"})

    def _get_init_rng(self):
        return {"params": self._get_init_seed(), "dropout": self._get_init_seed()}

    def _get_call_rng(self, training):
        return {"dropout": self._get_call_seed()} if training else {}

    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        method = self.method
        if getattr(method, "__self__", None) is self.module and method is not None:
            method = method.__name__  # a bound method of the module: by name
        config = super().get_config()
        config.pop("call_fn")
        config.pop("init_fn")
        config.update({"module": serialize_cornu_object(self.module),
                       "method": serialize_cornu_object(method)})
        return config

    @classmethod
    def from_config(cls, config):
        from cornu.serialization import deserialize_cornu_object

        config = dict(config)
        raw_method = config.get("method")
        config["module"] = deserialize_cornu_object(config["module"])
        method = deserialize_cornu_object(raw_method)
        if isinstance(raw_method, str):
            method = getattr(config["module"], raw_method)
        config["method"] = method
        return super(JaxLayer, cls).from_config(config)
