"""The handful of tensor functions the optimizers and schedules need, per backend.

Optimizer updates and learning-rate schedules are written once against a small
namespace ``xp`` (``xp.sqrt``, ``xp.maximum``, ``xp.run_if``, ``xp.assign_add``, ...)
that works on *native* tensors: ``torch.Tensor`` on torch, ``tf.Tensor`` /
``tf.Variable`` on tensorflow.  On tensorflow every function is a graph-safe tf
op (the trainer runs ``optimizer.apply`` inside a ``tf.function``); on torch
the functions run eagerly.  Any other backend gets ``cornu.ops``.

``get_math()`` picks the namespace once from ``cornu.backend.get_backend().NAME``;
nothing here is looked up per step.
"""
import contextlib


def _backend():
    from cornu.backend import get_backend

    return get_backend()


class OpsMath:
    """The portable namespace: ``cornu.ops`` on native tensors (any backend)."""

    name = "generic"

    def __init__(self, backend):
        self.backend = backend
        self.core = backend.core

    # -- conversion ------------------------------------------------------------
    def convert(self, x, dtype=None):
        from cornu.variables import Variable

        if isinstance(x, Variable):
            x = x.value
        return self.core.convert_to_tensor(x, dtype=dtype)

    def cast(self, x, dtype):
        from cornu.variables import Variable

        if isinstance(x, Variable):
            x = x.value
        return self.core.cast(x, dtype)

    def dtype_name(self, x):
        return self.core.standardize_dtype(x.dtype)

    def is_native(self, x):
        return self.core.is_tensor(x)

    def densify(self, g):
        return g

    def to_float(self, x):
        return float(self.core.convert_to_numpy(x))

    # -- elementwise -------------------------------------------------------------
    def _ops(self):
        from cornu import ops

        return ops

    def sqrt(self, x):
        return self._ops().sqrt(x)

    def square(self, x):
        return self._ops().square(x)

    def abs(self, x):
        return self._ops().abs(x)

    def sign(self, x):
        return self._ops().sign(x)

    def maximum(self, a, b):
        return self._ops().maximum(a, b)

    def minimum(self, a, b):
        return self._ops().minimum(a, b)

    def power(self, a, b):
        return self._ops().power(a, b)

    def floor(self, x):
        return self._ops().floor(x)

    def ceil(self, x):
        return self._ops().ceil(x)

    def cos(self, x):
        return self._ops().cos(x)

    def log(self, x):
        return self._ops().log(x)

    def where(self, c, a, b):
        return self._ops().where(c, a, b)

    def equal(self, a, b):
        return self._ops().equal(a, b)

    def floor_divide(self, a, b):
        return self._ops().floor_divide(a, b)

    def clip(self, x, lo, hi):
        return self._ops().clip(x, lo, hi)

    def sum_squares(self, x):
        ops = self._ops()
        return ops.sum(ops.square(x))

    def stack(self, xs):
        return self._ops().stack(xs)

    def mean(self, x, axis=None, keepdims=False):
        return self._ops().mean(x, axis=axis, keepdims=keepdims)

    def sum(self, x, axis=None, keepdims=False):
        return self._ops().sum(x, axis=axis, keepdims=keepdims)

    def expand_dims(self, x, axis):
        return self._ops().expand_dims(x, axis)

    def matmul(self, a, b):
        return self._ops().matmul(a, b)

    def swap_last_axes(self, x):
        """``x`` with its last two axes swapped (the matrix transpose)."""
        ops = self._ops()
        perm = list(range(len(x.shape)))
        perm[-2], perm[-1] = perm[-1], perm[-2]
        return ops.transpose(x, perm)

    def all_finite(self, xs):
        """A boolean scalar: whether every element of every tensor in ``xs`` is finite."""
        ops = self._ops()
        return ops.all(ops.stack([ops.all(ops.isfinite(x)) for x in xs]))

    # -- control flow and state ----------------------------------------------------
    def run_if(self, pred, true_fn, false_fn):
        """Run ``true_fn()`` or ``false_fn()`` (side effects only) depending on ``pred``."""
        if bool(self.core.convert_to_numpy(pred)):
            true_fn()
        else:
            false_fn()

    def no_grad(self):
        return contextlib.nullcontext()

    def init_scope(self):
        return contextlib.nullcontext()

    def assign(self, handle, value):
        self.core.assign(handle, value)

    def assign_add(self, handle, value):
        self.core.assign_add(handle, value)

    def assign_sub(self, handle, value):
        self.core.assign_sub(handle, value)


class TorchMath(OpsMath):
    """Eager torch: python numbers are fine as second operands, control flow is python."""

    name = "torch"

    def __init__(self, backend):
        super().__init__(backend)
        import torch

        self.torch = torch

    def _t(self, x, like):
        if isinstance(x, self.torch.Tensor):
            return x
        return self.torch.as_tensor(x, dtype=like.dtype, device=like.device)

    def sqrt(self, x):
        return self.torch.sqrt(x)

    def square(self, x):
        return self.torch.square(x)

    def abs(self, x):
        return self.torch.abs(x)

    def sign(self, x):
        return self.torch.sign(x)

    def maximum(self, a, b):
        if not isinstance(a, self.torch.Tensor):
            a = self._t(a, b)
        return self.torch.maximum(a, self._t(b, a))

    def minimum(self, a, b):
        if not isinstance(a, self.torch.Tensor):
            a = self._t(a, b)
        return self.torch.minimum(a, self._t(b, a))

    def power(self, a, b):
        return self.torch.pow(a, b)

    def floor(self, x):
        return self.torch.floor(x)

    def ceil(self, x):
        return self.torch.ceil(x)

    def cos(self, x):
        return self.torch.cos(x)

    def log(self, x):
        return self.torch.log(x)

    def where(self, c, a, b):
        like = a if isinstance(a, self.torch.Tensor) else b
        return self.torch.where(c, self._t(a, like), self._t(b, like))

    def equal(self, a, b):
        return self.torch.eq(a, b)

    def floor_divide(self, a, b):
        return self.torch.div(a, b, rounding_mode="floor")

    def clip(self, x, lo, hi):
        return self.torch.clamp(x, lo, hi)

    def sum_squares(self, x):
        return self.torch.sum(self.torch.square(x))

    def stack(self, xs):
        return self.torch.stack(xs)

    def mean(self, x, axis=None, keepdims=False):
        if axis is None:
            return self.torch.mean(x)
        return self.torch.mean(x, dim=axis, keepdim=keepdims)

    def sum(self, x, axis=None, keepdims=False):
        if axis is None:
            return self.torch.sum(x)
        return self.torch.sum(x, dim=axis, keepdim=keepdims)

    def expand_dims(self, x, axis):
        return self.torch.unsqueeze(x, axis)

    def matmul(self, a, b):
        return self.torch.matmul(a, b)

    def swap_last_axes(self, x):
        return self.torch.transpose(x, -2, -1)

    def all_finite(self, xs):
        torch = self.torch
        return torch.stack([torch.isfinite(x).all() for x in xs]).all()

    def densify(self, g):
        return g.to_dense() if g.is_sparse else g

    def to_float(self, x):
        return float(x)

    def run_if(self, pred, true_fn, false_fn):
        if bool(pred):
            true_fn()
        else:
            false_fn()

    def no_grad(self):
        return self.torch.no_grad()

    def assign(self, handle, value):
        with self.torch.no_grad():
            handle.copy_(value)

    def assign_add(self, handle, value):
        with self.torch.no_grad():
            handle.add_(value)

    def assign_sub(self, handle, value):
        with self.torch.no_grad():
            handle.sub_(value)


class TFMath(OpsMath):
    """TensorFlow: graph-safe tf ops only (this code is traced into ``tf.function``)."""

    name = "tensorflow"

    def __init__(self, backend):
        super().__init__(backend)
        import tensorflow as tf

        self.tf = tf

    def sqrt(self, x):
        return self.tf.sqrt(x)

    def square(self, x):
        return self.tf.square(x)

    def abs(self, x):
        return self.tf.abs(x)

    def sign(self, x):
        return self.tf.sign(x)

    def maximum(self, a, b):
        return self.tf.maximum(a, b)

    def minimum(self, a, b):
        return self.tf.minimum(a, b)

    def power(self, a, b):
        return self.tf.pow(a, b)

    def floor(self, x):
        return self.tf.floor(x)

    def ceil(self, x):
        return self.tf.math.ceil(x)

    def cos(self, x):
        return self.tf.cos(x)

    def log(self, x):
        return self.tf.math.log(x)

    def where(self, c, a, b):
        tf = self.tf
        if tf.is_tensor(a):
            b = tf.cast(b, a.dtype)
        elif tf.is_tensor(b):
            a = tf.cast(a, b.dtype)
        return tf.where(c, a, b)

    def equal(self, a, b):
        return self.tf.equal(a, b)

    def floor_divide(self, a, b):
        return self.tf.math.floordiv(a, self.tf.cast(b, a.dtype))

    def clip(self, x, lo, hi):
        return self.tf.clip_by_value(x, lo, hi)

    def sum_squares(self, x):
        return self.tf.reduce_sum(self.tf.square(x))

    def stack(self, xs):
        return self.tf.stack(xs)

    def mean(self, x, axis=None, keepdims=False):
        return self.tf.reduce_mean(x, axis=axis, keepdims=keepdims)

    def sum(self, x, axis=None, keepdims=False):
        return self.tf.reduce_sum(x, axis=axis, keepdims=keepdims)

    def expand_dims(self, x, axis):
        return self.tf.expand_dims(x, axis)

    def matmul(self, a, b):
        return self.tf.linalg.matmul(a, b)

    def swap_last_axes(self, x):
        return self.tf.linalg.matrix_transpose(x)

    def all_finite(self, xs):
        tf = self.tf
        return tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(x)) for x in xs]))

    def densify(self, g):
        if isinstance(g, self.tf.IndexedSlices):
            return self.tf.convert_to_tensor(g)
        return g

    def run_if(self, pred, true_fn, false_fn):
        tf = self.tf

        def wrap(fn):
            def branch():
                fn()
                return tf.constant(True)

            return branch

        # Branches only assign variables; a dummy output keeps tf.cond happy
        # in graph and eager mode alike.
        tf.cond(pred, wrap(true_fn), wrap(false_fn))

    def init_scope(self):
        return self.tf.init_scope()

    def assign(self, handle, value):
        handle.assign(self.tf.cast(value, handle.dtype))

    def assign_add(self, handle, value):
        handle.assign_add(self.tf.cast(value, handle.dtype))

    def assign_sub(self, handle, value):
        handle.assign_sub(self.tf.cast(value, handle.dtype))


_CACHE = {}


def get_math():
    """The namespace for the active backend (built once per backend)."""
    backend = _backend()
    xp = _CACHE.get(backend.NAME)
    if xp is None:
        cls = {"torch": TorchMath, "tensorflow": TFMath}.get(backend.NAME, OpsMath)
        xp = _CACHE[backend.NAME] = cls(backend)
    return xp
