"""``TFSMLayer``: a TensorFlow SavedModel endpoint as a cornu layer (tensorflow backend)."""
from cornu.layer import Layer
from cornu.variables import Variable


def _backend_runs_on_tensorflow():
    """Whether the bound backend's tensors are TensorFlow tensors (asked of its
    ``core.is_tensor``, not of its name); TensorFlow is imported here only when
    something already imported it (a backend on TensorFlow has)."""
    import sys

    from cornu.backend import get_backend

    core = get_backend().core  # imports the backend's framework
    tf = sys.modules.get("tensorflow")
    return tf is not None and bool(core.is_tensor(tf.zeros(())))


class TFSMLayer(Layer):
    """Loads a SavedModel with ``tf.saved_model.load`` and calls one of its endpoints.

    The variables the endpoints use become the layer's weights (the SavedModel's own
    ``tf.Variable`` handles, so ``set_weights`` changes what the endpoint computes).
    Only on the tensorflow backend; on another backend the constructor raises.

    Args:
        filepath: the SavedModel directory.
        call_endpoint: the attribute or signature name called for inference
            (default ``"serve"``).
        call_training_endpoint: optional endpoint used for training calls.
        trainable, name, dtype: as for any layer.
    """

    def __init__(self, filepath, call_endpoint="serve", call_training_endpoint=None,
                 trainable=True, name=None, dtype=None):
        if not _backend_runs_on_tensorflow():
            from cornu.backend import backend_name

            raise NotImplementedError(
                "TFSMLayer loads a TensorFlow SavedModel and needs the tensorflow backend "
                "(a backend whose tensors are tf.Tensors); the active cornu backend is "
                f"{backend_name()!r}. Set CORNU_BACKEND=tensorflow."
            )
        import tensorflow as tf

        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self._reloaded_obj = tf.saved_model.load(filepath)
        self.filepath = filepath
        self.call_endpoint = call_endpoint
        self.call_training_endpoint = call_training_endpoint
        self.call_endpoint_fn = self._endpoint(call_endpoint)
        self.call_training_endpoint_fn = (
            self._endpoint(call_training_endpoint) if call_training_endpoint else None)
        fns = [self.call_endpoint_fn]
        if self.call_training_endpoint_fn is not None:
            fns.append(self.call_training_endpoint_fn)
        trainable_vars, other_vars = _variables_used_by(fns)
        for v in trainable_vars + other_vars:
            self._track(_wrap_variable(v, self.name))
        self.built = True

    def _endpoint(self, name):
        obj = self._reloaded_obj
        if hasattr(obj, name):
            return getattr(obj, name)
        if name in obj.signatures:
            return obj.signatures[name]
        raise ValueError(
            f"TFSMLayer: the endpoint {name!r} is neither an attribute of the SavedModel at "
            f"{self.filepath!r} nor one of its signatures; available signatures: "
            f"{sorted(obj.signatures.keys())}"
        )

    def call(self, inputs, training=False, **kwargs):
        if training and self.call_training_endpoint_fn is not None:
            return self.call_training_endpoint_fn(inputs, **kwargs)
        return self.call_endpoint_fn(inputs, **kwargs)

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({"filepath": self.filepath, "call_endpoint": self.call_endpoint,
                    "call_training_endpoint": self.call_training_endpoint})
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild from ``get_config``: a SavedModel holds graph code, so loading one is
        refused unless ``safe_mode=False`` is passed (here or to ``load_model``)."""
        if safe_mode is None:  # inherit load_model(..., safe_mode=...)
            from cornu.serialization import in_safe_mode

            safe_mode = in_safe_mode()
        if safe_mode is not False:
            raise ValueError(
                "Refusing to deserialize a TFSMLayer: it loads an external SavedModel, "
                "whose graph code could be attacker-controlled. Call "
                "TFSMLayer.from_config(config, safe_mode=False) only for a model you trust."
            )
        config = {k: v for k, v in config.items() if k not in ("batch_input_shape",)}
        return cls(**config)


def _wrap_variable(tf_variable, layer_name):
    """A cornu Variable whose native handle is the SavedModel's own ``tf.Variable``."""
    variable = Variable.__new__(Variable)
    from cornu.backend import get_backend

    core = get_backend().core
    name = tf_variable.name.split(":")[0].replace("/", "_")
    variable._dtype = core.standardize_dtype(tf_variable.dtype)
    variable._trainable = bool(tf_variable.trainable)
    variable.name = name
    variable.path = f"{layer_name}/{name}"
    variable.autocast = True
    variable.aggregation = "none"
    variable.synchronization = "auto"
    variable._core = core
    variable._value = tf_variable
    variable.regularizer = None
    variable.constraint = None
    variable.overwrite_with_gradient = False
    return variable


def _variables_used_by(fns):
    """The (trainable, non-trainable) variables captured by the concrete functions."""
    import tensorflow as tf

    trainable, other = [], []
    seen = set()
    for fn in fns:
        concretes = []
        if hasattr(fn, "concrete_functions"):
            concretes = list(fn.concrete_functions)
        elif hasattr(fn, "_list_all_concrete_functions_for_serialization"):
            concretes = list(fn._list_all_concrete_functions_for_serialization())
        else:
            concretes = [fn]
        for concrete in concretes:
            for v in list(concrete.trainable_variables) + list(concrete.variables):
                if not isinstance(v, tf.Variable):
                    continue
                key = id(v)
                if key in seen:
                    continue
                seen.add(key)
                (trainable if v.trainable else other).append(v)
    return trainable, other
