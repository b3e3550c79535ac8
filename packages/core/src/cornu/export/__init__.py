"""``cornu.export``: models exported for serving, without cornu at serving time.

``model.export(path, format=...)`` dispatches to the active backend's ``export``
module (``cornu.backends.<name>.export``):

* TensorFlow: ``format="tf_saved_model"`` writes a SavedModel whose ``serve``
  endpoint and ``serving_default`` signature compute the predictions;
  ``ExportArchive`` builds SavedModels with custom endpoints, as in Keras.
* torch: ``format="torch"`` writes a ``torch.export`` program (``.pt2``), reloaded
  with ``torch.export.load(path).module()``.

ONNX, OpenVINO and LiteRT are not provided.
"""
import importlib

FORMATS = ("tf_saved_model", "torch", "onnx", "openvino", "litert")


def _backend_export():
    from cornu.backend import get_backend

    backend = get_backend()
    try:
        return importlib.import_module(f"{backend.__name__}.export")
    except ModuleNotFoundError as err:
        if err.name != f"{backend.__name__}.export":
            raise
        raise ValueError(
            f"The {getattr(backend, 'NAME', backend.__name__)} backend provides no export"
        ) from err


def export_model(model, filepath, format="tf_saved_model", verbose=None,
                 input_signature=None, **kwargs):
    """Export ``model``'s inference function to ``filepath`` in ``format``."""
    if format not in FORMATS:
        raise ValueError(
            f"Unrecognized format={format}. Supported formats are: {list(FORMATS)}."
        )
    if format in ("onnx", "openvino", "litert"):
        raise ValueError(
            f"model.export(format={format!r}) is not available in cornu: export with "
            "format='tf_saved_model' (tensorflow backend) or format='torch' (torch backend)."
        )
    if not getattr(model, "built", False):
        raise ValueError(
            f"Model '{model.name}' must be built (called on data, or given an Input) "
            "before export()."
        )
    return _backend_export().export(model, filepath, format=format, verbose=verbose,
                                    input_signature=input_signature, **kwargs)


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
            raise ValueError(
                "ExportArchive writes TensorFlow SavedModels and needs the tensorflow "
                "backend; on torch use model.export(path, format='torch')."
            )
        return impl(*args, **kwargs)


__all__ = ["ExportArchive", "export_model", "input_specs", "FORMATS"]
