"""``Lambda``: wrap a function of tensors as a layer.

Configs never contain Python code: a ``Lambda`` serializes its function by a
registered name only (``cornu.saving.register_cornu_serializable`` or a registered
activation); anything else makes ``get_config`` raise, and a Keras config
holding marshalled bytecode (``"__lambda__"``) is refused when loading.
"""
import inspect

from cornu import tree
from cornu.layer import Layer
from cornu.symbolic import KerasTensor


def _serialize_function(layer, fn, arg):
    from cornu import serialization
    from cornu.plugins import registry

    registered = serialization._GLOBAL_CUSTOM_NAMES.get(fn)
    if registered:
        return {"module": None, "class_name": "function", "config": registered,
                "registered_name": "function"}
    name = registry.name_of("activation", fn)
    if name is not None:
        return {"module": "keras.activations", "class_name": "function", "config": name,
                "registered_name": "function"}
    fn_name = getattr(fn, "__qualname__", None) or repr(fn)
    raise ValueError(
        f"Layer '{layer.name}' (Lambda): cannot serialize {arg}={fn_name}: cornu never "
        "writes Python code into a config. Decorate the function with "
        "@cornu.saving.register_cornu_serializable(package=...) (and pass it through "
        "custom_objects or register it again when loading), or write a Layer subclass."
    )


def _deserialize_function(value, arg):
    from cornu import serialization
    from cornu.plugins import registry

    if callable(value) or value is None:
        return value
    if isinstance(value, dict):
        if value.get("class_name") == "__lambda__":
            if not serialization.in_safe_mode():  # load_model(..., safe_mode=False)
                return serialization.load_python_lambda(value)
            raise ValueError(
                f"Lambda: refusing to load `{arg}` stored as Python bytecode "
                "('__lambda__') in safe mode: running code from a file is unsafe. Pass "
                "safe_mode=False only for a file you trust, or re-create the layer with a "
                "function registered through cornu.saving.register_cornu_serializable."
            )
        if value.get("class_name") != "function":
            raise ValueError(f"Lambda: cannot interpret {arg}={value!r}")
        value = value.get("config")
    if isinstance(value, str):
        fn = serialization.get_registered_object(value)
        if fn is None:
            fn = registry.lookup("activation", value)
        if fn is None:
            raise ValueError(
                f"Lambda: unknown function {value!r} for `{arg}`: register it with "
                "cornu.saving.register_cornu_serializable or pass it in custom_objects"
            )
        return fn
    raise ValueError(f"Lambda: cannot interpret {arg}={value!r}")


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer.

    Prefer a ``Layer`` subclass for anything with state: a ``Lambda`` holds no
    weights and its function is only saved by registered name.

    Args:
        function: the function; it may accept ``mask`` and ``training`` keyword
            arguments, which are then passed through.
        output_shape: the output shape without the batch axis (a tuple, a nested
            structure of tuples, or a function of the full input shape).  If None,
            it is inferred by tracing ``function``.
        mask: a mask tensor, or a function ``(inputs, mask) -> mask``.
        arguments: a dict of extra keyword arguments for ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        if not callable(function):
            raise ValueError(
                f"Lambda: `function` must be callable, received function={function!r}"
            )
        super().__init__(**kwargs)
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        if output_shape is not None and not callable(output_shape):
            output_shape = _as_shape_structure(output_shape)
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_training_arg = "training" in params
        self._fn_expects_mask_arg = "mask" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            inputs = _map_shapes(lambda s: KerasTensor(s, dtype=self.compute_dtype), input_shape)
            spec = self.compute_output_spec(inputs)
            return tree.map_structure(lambda t: t.shape, spec)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = _first_dim(input_shape)
        return _map_shapes(lambda s: (batch,) + tuple(s), self._output_shape)

    def compute_output_spec(self, inputs, **kwargs):
        if self._output_shape is None:
            from cornu.backend import get_backend

            try:
                return get_backend().core.compute_output_spec(self.call, inputs, **kwargs)
            except Exception as err:
                raise NotImplementedError(
                    f"Layer '{self.name}' (Lambda): could not infer the output shape of "
                    f"{getattr(self.function, '__name__', self.function)!r} ({err}); pass "
                    "output_shape=..."
                ) from err
        shapes = tree.map_structure(
            lambda t: t.shape if isinstance(t, KerasTensor) else t, inputs
        )
        out = self.compute_output_shape(shapes)
        return _map_shapes(lambda s: KerasTensor(s, dtype=self.compute_dtype), out)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg["function"] = _serialize_function(self, self.function, "function")
        if self._output_shape is not None:
            if callable(self._output_shape):
                cfg["output_shape"] = _serialize_function(self, self._output_shape,
                                                          "output_shape")
            else:
                cfg["output_shape"] = self._output_shape
        if self.mask is not None:
            if callable(self.mask):
                cfg["mask"] = _serialize_function(self, self.mask, "mask")
            else:
                raise ValueError(
                    f"Layer '{self.name}' (Lambda): a tensor `mask` cannot be serialized; "
                    "pass a registered mask function instead"
                )
        cfg["arguments"] = dict(self.arguments)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        from cornu.serialization import _safe_mode_scope, custom_object_scope

        config = dict(config)
        config.pop("module", None)  # Keras's hint for a lambda's globals
        config.pop("function_type", None)
        config.pop("output_shape_type", None)
        config.pop("output_shape_module", None)
        with custom_object_scope(custom_objects or {}), _safe_mode_scope(safe_mode):
            config["function"] = _deserialize_function(config["function"], "function")
            shape = config.get("output_shape")
            if isinstance(shape, dict) or isinstance(shape, str):
                config["output_shape"] = _deserialize_function(shape, "output_shape")
            if "mask" in config:
                config["mask"] = _deserialize_function(config["mask"], "mask")
        return cls(**config)


def _is_shape(s):
    return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, int) for d in s)


def _as_shape_structure(s):
    if _is_shape(s):
        return tuple(s)
    if isinstance(s, dict):
        return {k: _as_shape_structure(v) for k, v in s.items()}
    if isinstance(s, (tuple, list)):
        return [_as_shape_structure(v) for v in s]
    raise ValueError(f"Lambda: output_shape must be a tuple of ints, received {s!r}")


def _map_shapes(fn, s):
    if _is_shape(s):
        return fn(s)
    if isinstance(s, dict):
        return {k: _map_shapes(fn, v) for k, v in s.items()}
    return [_map_shapes(fn, v) for v in s]


def _first_dim(s):
    if _is_shape(s):
        return s[0] if s else None
    values = s.values() if isinstance(s, dict) else s
    for v in values:
        return _first_dim(v)
    return None
