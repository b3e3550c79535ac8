"""Running JAX functions on torch tensors, differentiably (the optional ``jax_interop``
part of the backend specification; ``JaxLayer``/``FlaxLayer`` call it).

``convert(fn)`` gives a function of pytrees of torch tensors: its forward pass turns
the tensors into JAX arrays (DLPack, else a copy through numpy), runs ``jax.jit(fn)``
and hands the results back as torch tensors; it is a ``torch.autograd.Function`` whose
backward pass is ``jax.vjp``, so gradients reach the torch tensors (cornu variables)
that went in.  JAX is imported when a function is converted, never with this module.
"""
import numpy as np
import torch

from cornu.backends.torch._utils import get_device


def _jax():
    try:
        import jax
    except ImportError as err:  # pragma: no cover - the layer checks first
        raise ImportError("cornu's torch backend runs JAX functions with jax: "
                          "pip install jax") from err
    return jax


def _to_jax(tensor):
    jax = _jax()
    tensor = tensor.detach()
    if tensor.device.type == "cpu":
        try:
            return jax.dlpack.from_dlpack(tensor.contiguous())
        except Exception:  # noqa: BLE001 - a dtype/layout DLPack refuses: copy instead
            pass
    return jax.numpy.asarray(tensor.cpu().numpy())


def _to_torch(array, device):
    try:
        tensor = torch.from_dlpack(array)
    except Exception:  # noqa: BLE001 - a device or dtype DLPack cannot share: copy
        tensor = torch.from_numpy(np.array(array))
    return tensor.to(device)


def _is_float(dtype):
    return np.issubdtype(np.dtype(dtype), np.inexact) if dtype.name != "bfloat16" else True


class _Program:
    """``fn`` applied to one structure of arguments: the tensors are the inputs, the
    other leaves (Python values) are constants; compiled once per structure."""

    def __init__(self, fn, treedef, leaves, tensor_index):
        self.fn, self.treedef, self.tensor_index = fn, treedef, tensor_index
        self.leaves = list(leaves)
        self.out_treedef = None
        self._forward = None
        self._with_vjp = {}
        self._backward = None
        self.float_order = None

    def _flat(self, *arrays):
        jax = _jax()
        leaves = list(self.leaves)
        for i, value in zip(self.tensor_index, arrays):
            leaves[i] = value
        out = self.fn(*jax.tree_util.tree_unflatten(self.treedef, leaves))
        flat, self.out_treedef = jax.tree_util.tree_flatten(out)
        return flat

    def forward(self, arrays):
        if self._forward is None:
            self._forward = _jax().jit(self._flat)
        return self._forward(*arrays)

    def forward_with_vjp(self, arrays, diff):
        """``(float outputs, other outputs, vjp)``: ``vjp`` maps the float outputs'
        cotangents to those of ``arrays[i]`` for ``i`` in ``diff``."""
        jax = _jax()
        fn = self._with_vjp.get(diff)
        if fn is None:
            def with_vjp(arrays):
                def g(*d):
                    merged = list(arrays)
                    for i, value in zip(diff, d):
                        merged[i] = value
                    flat = self._flat(*merged)
                    floats = [o for o in flat if _is_float(o.dtype)]
                    others = [o for o in flat if not _is_float(o.dtype)]
                    return floats, others

                floats, vjp, others = jax.vjp(g, *[arrays[i] for i in diff], has_aux=True)
                return floats, others, vjp

            fn = self._with_vjp[diff] = jax.jit(with_vjp)
        return fn(list(arrays))

    def backward(self, vjp, cotangents):
        if self._backward is None:
            self._backward = _jax().jit(lambda vjp, cts: vjp(cts))
        return self._backward(vjp, cotangents)


class _JaxFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, program, grad_enabled, *tensors):
        device = tensors[0].device if tensors else get_device()
        arrays = [_to_jax(t) for t in tensors]
        # Differentiate w.r.t. the float tensors autograd tracks (none under no_grad).
        diff = tuple(i for i, t in enumerate(tensors)
                     if grad_enabled and t.requires_grad and t.is_floating_point())
        ctx.program, ctx.device, ctx.n_inputs = program, device, len(tensors)
        if diff:
            floats, others, vjp = program.forward_with_vjp(arrays, diff)
            ctx.vjp, ctx.diff = vjp, diff
            ctx.float_specs = [(o.shape, o.dtype) for o in floats]
            # Back in the traced order (each output is float or not, as eval_shape saw).
            fi, oi = iter(floats), iter(others)
            flat = [next(fi) if is_float else next(oi) for is_float in program.float_order]
        else:
            ctx.vjp, ctx.diff = None, ()
            flat = program.forward(arrays)
        outs = tuple(_to_torch(o, device) for o in flat)
        ctx.float_outputs = [i for i, o in enumerate(outs) if o.is_floating_point()]
        ctx.mark_non_differentiable(*[o for o in outs if not o.is_floating_point()])
        return outs

    @staticmethod
    def backward(ctx, *grads):
        result = [None] * (2 + ctx.n_inputs)
        if ctx.vjp is None:
            return tuple(result)
        cotangents = [_to_jax(grads[i].contiguous()) for i in ctx.float_outputs]
        cotangents = [c.astype(dtype) for c, (_, dtype) in zip(cotangents, ctx.float_specs)]
        grads_in = ctx.program.backward(ctx.vjp, cotangents)
        for i, g in zip(ctx.diff, grads_in):
            result[2 + i] = _to_torch(g, ctx.device)
        return tuple(result)


def convert(fn, polymorphic_shapes=None, native_serialization_platforms=None):
    """``fn`` (a JAX function of pytrees of arrays) as a function of pytrees of torch
    tensors returning torch tensors, differentiable by torch's autograd through
    ``jax.vjp``.  ``polymorphic_shapes`` and ``native_serialization_platforms`` (what
    TensorFlow's jax2tf takes) are accepted and unused: ``jax.jit`` compiles each new
    input shape."""
    jax = _jax()
    programs = {}

    def call(*args):
        leaves, treedef = jax.tree_util.tree_flatten(args)
        tensor_index = tuple(i for i, leaf in enumerate(leaves)
                             if isinstance(leaf, torch.Tensor))
        constants = tuple(None if i in tensor_index else leaf
                          for i, leaf in enumerate(leaves))
        specs = tuple((tuple(leaves[i].shape), leaves[i].dtype) for i in tensor_index)
        try:
            key = (treedef, constants, specs)
            hash(key)
        except TypeError:
            key = None
        program = programs.get(key) if key is not None else None
        if program is None:
            program = _Program(fn, treedef, constants, tensor_index)
            shapes = [jax.ShapeDtypeStruct(s, _jax_dtype(d)) for s, d in specs]
            out = jax.eval_shape(program._flat, *shapes)
            program.float_order = [_is_float(o.dtype) for o in out]
            if key is not None:
                programs[key] = program
        tensors = [leaves[i] for i in tensor_index]
        outs = _JaxFunction.apply(program, torch.is_grad_enabled(), *tensors)
        return jax.tree_util.tree_unflatten(program.out_treedef, list(outs))

    return call


def _jax_dtype(torch_dtype):
    name = str(torch_dtype).replace("torch.", "")
    return _jax().numpy.dtype(name)
