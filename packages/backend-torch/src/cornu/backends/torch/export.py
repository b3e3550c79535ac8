"""``model.export(path, format="torch")``: a ``torch.export`` program saved as ``.pt2``.

The model's variables are the ``torch.nn.Parameter`` objects of a small
``nn.Module`` wrapper, so the exported program carries them as its parameters
(and buffers) and serves without cornu: ``torch.export.load(path).module()(x)``.
A ``None`` (batch) dimension becomes a dynamic dimension.  This module is the
backend's optional ``export`` part: ``FORMATS`` lists the formats it provides.
"""
import torch

from cornu import tree


class _Serving(torch.nn.Module):
    """The model's inference call as an ``nn.Module`` owning the model's parameters."""

    def __init__(self, model, struct):
        super().__init__()
        self.params = torch.nn.ParameterList(
            [v.value for v in model.variables if isinstance(v.value, torch.nn.Parameter)]
        )
        object.__setattr__(self, "_model", model)  # not a submodule: cornu owns it
        object.__setattr__(self, "_struct", struct)

    def forward(self, *flat):
        inputs = tree.pack_sequence_as(self._struct, list(flat)) \
            if tree.is_nested(self._struct) else flat[0]
        return self._model(inputs, training=False)


def export_torch_program(model, filepath, verbose=None, input_signature=None, **kwargs):
    """``format="torch"``: ``torch.export`` the model's inference call and save it."""
    from cornu.export import input_specs

    struct, flat = input_specs(model, input_signature)
    batch = torch.export.Dim("batch", min=1, max=kwargs.pop("max_batch_size", 2 ** 20))
    examples, dynamic = [], []
    for shape, dtype in flat:
        concrete = tuple(2 if d is None else int(d) for d in shape)
        examples.append(torch.zeros(concrete, dtype=getattr(torch, dtype)))
        dynamic.append({i: batch for i, d in enumerate(shape) if d is None and i == 0} or None)
    module = _Serving(model, struct).eval()
    program = torch.export.export(module, tuple(examples), dynamic_shapes={"flat": tuple(dynamic)},
                                  strict=kwargs.pop("strict", False))
    if kwargs:
        raise ValueError(f"model.export: unexpected arguments {sorted(kwargs)}")
    torch.export.save(program, filepath)
    if verbose:
        print(f"Saved the exported program at '{filepath}'.")
    return program


#: The export formats this backend provides (``cornu.export.formats()``).
FORMATS = {"torch": export_torch_program}
