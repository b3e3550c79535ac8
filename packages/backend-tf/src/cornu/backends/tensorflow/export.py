"""``model.export(path)``: a TensorFlow SavedModel, and ``ExportArchive``.

The SavedModel tracks the model's ``tf.Variable`` objects and exposes the
inference call as the ``serve`` endpoint and the ``serving_default`` signature,
so it serves without cornu (``tf.saved_model.load(path).serve(x)``, TF Serving).
This module is the backend's optional ``export`` part: ``FORMATS`` lists the formats
it provides; ``ExportArchive`` backs ``cornu.export.ExportArchive``.
"""
import tensorflow as tf

from cornu import tree


def _tf_spec(spec, name=None):
    if isinstance(spec, tf.TensorSpec):
        return spec
    shape, dtype = spec
    return tf.TensorSpec(shape, tf.as_dtype(dtype), name=name)


def _native(variables):
    return [v.value if hasattr(v, "value") else v for v in variables]


class ExportArchive:
    """A SavedModel with custom endpoints (``keras.export.ExportArchive``)."""

    def __init__(self):
        self._module = tf.Module()
        self._module._tracked = []
        self._endpoints = []
        self._collections = {}

    def track(self, resource):
        """Track a model or layer so its variables are saved with the archive."""
        variables = getattr(resource, "variables", None)
        if variables is None:
            raise ValueError(
                f"ExportArchive.track expects a cornu layer or model, received {resource!r}"
            )
        self._module._tracked.append(_native(variables))
        return resource

    def add_endpoint(self, name, fn=None, input_signature=None, **kwargs):
        """Expose ``fn`` as the method ``name`` of the SavedModel, traced on
        ``input_signature`` (a list of ``tf.TensorSpec``)."""
        if name in self._endpoints:
            raise ValueError(f"Endpoint name '{name}' is already taken.")
        if fn is None:
            raise ValueError(f"ExportArchive.add_endpoint('{name}'): fn is required")
        if input_signature is None and not isinstance(fn, tf.types.experimental.GenericFunction):
            raise ValueError(
                f"ExportArchive.add_endpoint('{name}'): pass input_signature (a list of "
                "tf.TensorSpec) or a tf.function with one"
            )
        function = fn if input_signature is None else tf.function(
            fn, input_signature=list(input_signature), autograph=False)
        setattr(self._module, name, function)
        self._endpoints.append(name)
        return function

    def add_variable_collection(self, name, variables):
        """Save ``variables`` as the attribute ``name`` of the SavedModel."""
        self._collections[name] = list(_native(variables))
        setattr(self._module, name, self._collections[name])

    def write_out(self, filepath, options=None, verbose=None):
        """Write the SavedModel (the first endpoint is also ``serving_default``)."""
        if not self._endpoints:
            raise ValueError("ExportArchive has no endpoint: call add_endpoint() first")
        first = getattr(self._module, self._endpoints[0])
        tf.saved_model.save(self._module, filepath, options=options,
                            signatures={"serving_default": first.get_concrete_function()})
        if verbose:
            print(f"Saved artifact at '{filepath}'. Endpoints: {self._endpoints}")


def export_saved_model(model, filepath, verbose=None, input_signature=None, **kwargs):
    """``format="tf_saved_model"``: a SavedModel serving the model's inference call."""
    from cornu.export import input_specs

    if kwargs:
        raise ValueError(f"model.export: unexpected arguments {sorted(kwargs)}")
    struct, flat = input_specs(model, input_signature)
    specs = [_tf_spec(s) for s in flat]

    def serve(*args):
        inputs = tree.pack_sequence_as(struct, list(args)) if tree.is_nested(struct) \
            else args[0]
        return model(inputs, training=False)

    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", serve, input_signature=specs)
    archive.write_out(filepath, verbose=verbose)


#: The export formats this backend provides (``cornu.export.formats()``).
FORMATS = {"tf_saved_model": export_saved_model}
