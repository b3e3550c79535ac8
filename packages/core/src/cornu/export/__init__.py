"""``cornu.export``: models exported for serving, without cornu at serving time.

``model.export(path, format=...)`` looks ``format`` up among the formats available
with the bound backend (:func:`formats`), which come from two places:

* the backend's optional ``export`` part: a submodule ``<backend>.export`` whose
  ``FORMATS`` maps format names to functions
  ``fn(model, filepath, verbose=None, input_signature=None, **kwargs)``.  The
  TensorFlow backend's is ``{"tf_saved_model": ...}`` (a SavedModel whose ``serve``
  endpoint and ``serving_default`` signature compute the predictions; it also
  provides ``ExportArchive``, SavedModels with custom endpoints as in Keras); the
  torch backend's is ``{"torch": ...}`` (a ``torch.export`` program, ``.pt2``,
  reloaded with ``torch.export.load(path).module()``);
* plugins, through the ``cornu_register_export_formats(register)`` hook
  (``register(fn, name="onnx")``); a backend's own format of the same name wins.

An unknown format is an error listing the formats available on this backend.
cornu itself provides no ONNX, OpenVINO or LiteRT export.
"""
import importlib

#: The formats Keras 3's ``model.export`` knows (for its messages); which of them, and
#: which others, are available depends on the backend and the plugins (``formats()``).
FORMATS = ("tf_saved_model", "torch", "onnx", "openvino", "litert")
#: The registry kind of the formats plugins register.
EXPORT_FORMAT_KIND = "export_format"


def _backend_export():
    """The bound backend's ``export`` submodule, or None when it has none."""
    from cornu.backend import get_backend

    backend = get_backend()
    try:
        return importlib.import_module(f"{backend.__name__}.export")
    except ModuleNotFoundError as err:
        if err.name != f"{backend.__name__}.export":
            raise
        return None


def _backend_label():
    from cornu.backend import get_backend

    backend = get_backend()
    return getattr(backend, "NAME", backend.__name__)


def formats():
    """``{name: export function}``: the formats ``model.export`` accepts with the bound
    backend, the backend's own (``<backend>.export.FORMATS``) first, then those
    registered by plugins (``cornu_register_export_formats``)."""
    from cornu.plugins import registry

    found = {}
    module = _backend_export()
    if module is not None:
        found.update(getattr(module, "FORMATS", None) or {})
    for name, entry in registry.entries(EXPORT_FORMAT_KIND).items():
        found.setdefault(name, entry.obj)
    return found


def export_model(model, filepath, format="tf_saved_model", verbose=None,
                 input_signature=None, **kwargs):
    """Export ``model``'s inference function to ``filepath`` in ``format``."""
    available = formats()
    fn = available.get(format)
    if fn is None:
        here = ", ".join(f"format={name!r}" for name in sorted(available)) or "none"
        if format in FORMATS:
            raise ValueError(
                f"model.export(format={format!r}) is not available in cornu on the "
                f"{_backend_label()} backend. Formats available here: {here} (a plugin "
                "can add formats: cornu_register_export_formats)."
            )
        raise ValueError(
            f"Unrecognized format={format}. Supported formats on the {_backend_label()} "
            f"backend are: {sorted(available)}."
        )
    if not getattr(model, "built", False):
        raise ValueError(
            f"Model '{model.name}' must be built (called on data, or given an Input) "
            "before export()."
        )
    return fn(model, filepath, verbose=verbose, input_signature=input_signature, **kwargs)


def input_specs(model, input_signature=None):
    """``(structure, [(shape, dtype), ...])`` describing the model's inputs."""
    from cornu import tree
    from cornu.symbolic import KerasTensor

    if input_signature is not None:
        struct = input_signature
        if isinstance(struct, (list, tuple)) and len(struct) == 1:
            struct = struct[0]
    else:
        struct = getattr(model, "_inputs_struct", None)
        if struct is None:
            inputs = getattr(model, "inputs", None)
            if inputs:
                struct = inputs[0] if len(inputs) == 1 else list(inputs)
            elif getattr(model, "_build_shapes", None) is not None:
                from cornu import config

                shape = model._build_shapes
                struct = KerasTensor((None,) + tuple(shape[1:]), dtype=config.floatx())
            else:
                raise ValueError(
                    f"Cannot infer the inputs of model '{model.name}': pass "
                    "input_signature=..."
                )
        if isinstance(struct, (list, tuple)) and len(struct) == 1:
            struct = struct[0]
    flat = [(tuple(t.shape), getattr(t.dtype, "name", None) or str(t.dtype))
            for t in tree.flatten(struct)]
    return struct, flat


class ExportArchive:
    """A SavedModel with custom endpoints (TensorFlow backend), as ``keras.export.ExportArchive``.

    Example::

        archive = ExportArchive()
        archive.track(model)
        archive.add_endpoint("serve", model.__call__, input_signature=[tf.TensorSpec(...)])
        archive.write_out("path")
    """

    def __new__(cls, *args, **kwargs):
        module = _backend_export()
        impl = getattr(module, "ExportArchive", None)
        if impl is None:
            here = ", ".join(f"format={name!r}" for name in sorted(formats())) or "none"
            raise ValueError(
                "ExportArchive writes TensorFlow SavedModels and needs the tensorflow "
                f"backend (its export part provides it); on the {_backend_label()} backend "
                f"use model.export(path, ...) with one of: {here}."
            )
        return impl(*args, **kwargs)


__all__ = ["ExportArchive", "export_model", "formats", "input_specs", "FORMATS"]
