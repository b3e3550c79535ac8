"""The handful of tensor functions the optimizers and schedules need, per backend.

Optimizer updates and learning-rate schedules are written once against a small
namespace ``xp`` (``xp.sqrt``, ``xp.maximum``, ``xp.run_if``, ``xp.assign_add``, ...)
that works on *native* tensors.  :class:`OpsMath` is the generic namespace, on
``cornu.ops``, for any backend.

The family asks the backend, never branches on its name: a backend may provide the
optional part ``optimizer_kernels`` (``cornu.backend_spec``; the submodule
``<backend>.optimizer_kernels``, or an attribute of that name), with

* ``Math``: a mixin class that overrides what differs; the namespace class is built
  once per backend as ``type(name, (Math, OpsMath), {})`` (the backend never imports
  this family, so its ``Math`` has no base and cooperates through ``super()``);
* ``KERNELS`` (optional): ``{registered optimizer name: kernel(optimizer, grads,
  params, learning_rate)}``, fused updates of all variables at once.  They are
  ``xp.kernels`` (``{}`` without).

Capabilities a namespace declares: ``fused`` (False here): native handles are eager
tensors updated in place, and the namespace has the fused list operations
(``list_add``, ``list_add_``, ``list_mul``, ``list_mul_``, ``list_div_``,
``list_zero_``, ``list_clip``, ``list_clip_by_norm``, ``list_global_norm``,
``list_unscale_and_check``, ``astype``) that ``Optimizer`` uses on its fused path.

``get_math()`` builds the namespace once per backend module; nothing here is looked
up per step (optimizers keep theirs from construction).
"""
import contextlib
import importlib


def _backend():
    from cornu.backend import get_backend

    return get_backend()


class OpsMath:
    """The portable namespace: ``cornu.ops`` on native tensors (any backend)."""

    name = "generic"
    #: Whether the fused list operations and in-place updates are there (see above).
    fused = False

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

    def inplace_add(self, handle, value):
        """``handle += value`` where the caller already is under ``no_grad()``."""
        self.assign_add(handle, value)


_CACHE = {}


def _backend_part(backend):
    """The backend's ``optimizer_kernels`` part, or None when it has none."""
    part = vars(backend).get("optimizer_kernels")
    if part is not None:
        return part
    if hasattr(backend, "__path__"):
        name = f"{backend.__name__}.optimizer_kernels"
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
    return getattr(backend, "optimizer_kernels", None)


def _build(backend):
    part = _backend_part(backend)
    mixin = getattr(part, "Math", None)
    if mixin is None:
        xp = OpsMath(backend)
    else:
        cls = type(f"{mixin.__name__}_{backend.NAME}", (mixin, OpsMath),
                   {"__module__": __name__, "__qualname__": f"{mixin.__name__}_{backend.NAME}"})
        xp = cls(backend)
    xp.kernels = dict(getattr(part, "KERNELS", None) or {})
    return xp


def get_math():
    """The namespace for the active backend (built once per backend module)."""
    backend = _backend()
    xp = _CACHE.get(backend)
    if xp is None:
        xp = _CACHE[backend] = _build(backend)
    return xp
