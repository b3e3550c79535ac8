"""``cornu.Model``: a Layer that trains (compile/fit/evaluate/predict) and saves."""
from cornu.backend import mixin_base
from cornu.engine.trainer import Trainer
from cornu.layer import Layer


class Model(Trainer, Layer, mixin_base("Model")):
    """Groups layers into an object with training and inference features.

    Three ways to make one, as in Keras:

    * Functional: ``cornu.Model(inputs, outputs)`` (returns a ``Functional``);
    * ``cornu.Sequential([...])``;
    * subclassing: define layers in ``__init__`` and the forward pass in ``call``.
    """

    _warn_dropped_mask = False  # the model's own layers carry (or drop) the masks
    _text_inputs_ok = True  # likewise its layers refuse text they cannot compute with

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from cornu.models.functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if type(self) is Model and (args or "inputs" in kwargs):
            raise TypeError("Model(inputs, outputs) should have created a Functional model")
        if (args or "outputs" in kwargs) and _functional_init_arguments(args, kwargs):
            # A subclass built as ``CustomModel(inputs, outputs)``: it becomes a Functional
            # subclass (its overrides kept, as in Keras 3).
            from cornu.models.functional import Functional

            _inject_functional(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    @property
    def layers(self):
        return list(self._layers)

    @property
    def input_dtype(self):
        """The dtype floating inputs are cast to: a Functional or Sequential model's
        ``Input`` dtype (its layers cast for themselves, as in Keras 3), else the
        compute dtype; None (no cast) for several inputs of different dtypes."""
        try:
            inputs = self.inputs
        except AttributeError:
            inputs = None
        if isinstance(inputs, (list, tuple)) and inputs:
            dtypes = {getattr(t, "dtype", None) for t in inputs}
            return dtypes.pop() if len(dtypes) == 1 else None
        return self._compute_dtype

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in ``layers``."""
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index, not both")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(self.layers)} layers."
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[l.name for l in self.layers]}."
        )

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print the layer table (name (type), output shape, param #, and for a graph
        that is not a chain the connections) and the parameter totals, as Keras 3.

        Args:
            line_length: the table's width (default 88, or 108 with connections, at
                most the terminal's width less 4).
            positions: where each column ends, as fractions of the line (or absolute).
            print_fn: called once with the whole table as plain text (default: rich
                prints it to the terminal).
            expand_nested: also list the layers of nested models, indented.
            show_trainable: add a column saying whether each layer is trainable.
            layer_range: ``(first, last)`` layer names or regular expressions: only the
                layers from the first match of ``first`` to the last of ``last``.
        """
        from cornu.utils.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    # -- saving --------------------------------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the whole model (architecture, weights, optimizer state, assets) to a
        ``.keras`` file (``zipped=False``: a directory with the same members)."""
        from cornu.saving import save_model

        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the weights to a ``.weights.h5`` file (Keras 3 layout), or to shards of
        at most ``max_shard_size`` GB indexed by a ``.weights.json`` file, or (beyond
        Keras) to a ``.safetensors`` file holding the same arrays under the same paths."""
        from cornu.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights saved by ``save_weights`` (``.weights.h5``, ``.weights.json``,
        ``.safetensors``), from a ``.keras`` file, or from a legacy Keras ``.h5`` file
        (where ``by_name=True`` matches layers by name)."""
        from cornu.saving import load_weights

        by_name = kwargs.pop("by_name", False)
        if kwargs:
            raise ValueError(f"load_weights: unexpected keyword arguments {sorted(kwargs)}")
        load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def get_state_tree(self, value_format="backend_tensor"):
        """The model's variables as nested dicts, keyed like Keras 3's.

        ``{"trainable_variables": ..., "non_trainable_variables": ...,
        "optimizer_variables": ..., "metrics_variables": ...}``, each nested by the
        parts of the variables' Keras paths (``{"sequential": {"dense": {"kernel":
        ...}}}``); the leaves are backend tensors or, with
        ``value_format="numpy_array"``, numpy arrays.
        """
        from cornu.saving.orbax_checkpoint import get_state_tree

        return get_state_tree(self, value_format=value_format)

    def set_state_tree(self, state_tree):
        """Assign the values of a tree shaped like ``get_state_tree``'s (paths the model
        does not have are ignored, as in Keras)."""
        from cornu.saving.orbax_checkpoint import set_state_tree

        set_state_tree(self, state_tree)

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize the weights of every layer that supports it (Keras 3 semantics).

        Each layer with a quantized form (Dense, EinsumDense, Embedding) is quantized and
        gets the policy ``"<mode>_from_<its policy>"``; a layer without one is skipped
        with a warning.  The train/test/predict functions are dropped; compile the model
        again before training it (its trainable variables changed).

        Args:
            mode: ``"int8"`` (cornu implements int8 only; ``"int4"``, ``"float8"``,
                ``"gptq"`` and ``"awq"`` raise ``NotImplementedError``).
            config: an ``Int8QuantizationConfig`` (its weight and activation
                quantizers), or None for the mode's default.
            filters: which layers to quantize: a regex on the layer name, a list of
                them, or a callable ``layer -> bool``; None for all.
        """
        import re
        import warnings

        from cornu import CornuWarning
        from cornu.quantizers.quantization_config import validate_and_resolve_config

        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if filters is not None and not (isinstance(filters, (str, list, tuple))
                                        or callable(filters)):
            raise ValueError(
                "The `filters` argument must be a regex string, a list of regex strings, "
                f"or a callable. Received: {type(filters)}")
        config = validate_and_resolve_config(mode, config)
        mode = config.mode
        if mode != "int8":
            raise NotImplementedError(
                f"{type(self).__name__}.quantize: mode={mode!r} is not supported by cornu "
                "yet; only 'int8' quantization is implemented.")

        def selected(layer):
            if filters is None:
                return True
            if isinstance(filters, str):
                return bool(re.search(filters, layer.name))
            if isinstance(filters, (list, tuple)):
                return any(re.search(pattern, layer.name) for pattern in filters)
            return bool(filters(layer))

        modified = False
        for layer in self._flatten_layers():
            if not selected(layer) or len(layer._flatten_layers()) != 1:
                continue  # a layer with sublayers: its leaves are quantized themselves
            try:
                layer.quantize(mode, type_check=type_check, config=config)
                modified = True
            except NotImplementedError as err:
                warnings.warn(str(err), CornuWarning, stacklevel=2)
            except AttributeError:
                pass
        if modified:  # the steps captured the float variables: rebuilt on next use
            self.train_function = self.test_function = self.predict_function = None

    def to_json(self, **kwargs):
        """The model's config as a JSON string (``model_from_json`` rebuilds it)."""
        import json

        from cornu.serialization import serialize_cornu_object

        return json.dumps(serialize_cornu_object(self), **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None,
               **kwargs):
        """Export the inference function for serving.

        ``format="tf_saved_model"`` (TensorFlow backend): a SavedModel whose ``serve``
        endpoint (and ``serving_default`` signature) computes the model's predictions;
        reload it with ``tf.saved_model.load``.  ``format="torch"`` (torch backend): a
        ``torch.export`` program saved with ``torch.export.save`` (``.pt2``); reload it
        with ``torch.export.load(path).module()``.  ``input_signature`` overrides the
        input specs taken from the model's inputs.
        """
        from cornu.export import export_model

        export_model(self, filepath, format=format, verbose=verbose,
                     input_signature=input_signature, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("batch_input_shape", None)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.models.functional import Functional, functional_from_config

        if all(k in config for k in ("layers", "input_layers", "output_layers")) and (
                cls is Model or _functional_like_constructor(cls)):
            # A Functional config, revived as a Functional model (or as a subclass whose
            # constructor takes Functional's arguments, as in Keras 3).
            return functional_from_config(Functional if cls is Model else cls, config,
                                          custom_objects)
        try:
            return cls(**config)
        except TypeError as err:
            raise TypeError(
                f"Unable to revive model {cls.__name__} from config: {err}. When a model "
                "overrides __init__ (or get_config), get_config() must return every "
                "argument of its constructor, or the class must define "
                "from_config(cls, config) to say how to build it from its config. "
                f"Received config keys: {sorted(config)}"
            ) from err


def _functional_init_arguments(args, kwargs):
    """Whether ``Model.__init__`` received Functional arguments (Keras 3's rule)."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


def _inject_functional(cls, functional):
    """Put ``functional`` in place of ``Model`` among the bases of ``cls`` (and of its
    Model ancestors), so that ``cls(inputs, outputs)`` is a Functional subclass."""
    if cls is Model:
        return functional
    if cls is object or not issubclass(cls, Model) or issubclass(cls, functional):
        return cls
    bases = tuple(_inject_functional(base, functional) for base in cls.__bases__)
    if bases != cls.__bases__:
        cls.__bases__ = bases
        if "_cached_call_params" in cls.__dict__:  # its ``call`` is Functional's now
            del cls._cached_call_params
    return cls


def _functional_like_constructor(cls):
    """Whether ``cls(inputs=..., outputs=..., name=...)`` builds it (Keras 3's test)."""
    import inspect

    from cornu.models.functional import Functional

    spec = inspect.getfullargspec(cls.__init__)
    if spec.varargs is not None and spec.varkw is not None:
        return True
    args = spec.args[1:]
    return args == inspect.getfullargspec(Functional.__init__).args[1:] or args == [
        "inputs", "outputs", "name"]


def model_from_json(json_string, custom_objects=None):
    """A model (fresh weights) from the JSON written by ``model.to_json()`` (or Keras's)."""
    import json

    from cornu.serialization import deserialize_cornu_object

    try:
        config = json.loads(json_string)
    except ValueError as err:
        raise ValueError(f"model_from_json: the string is not valid JSON: {err}") from err
    return deserialize_cornu_object(config, custom_objects=custom_objects, kind="layer")
