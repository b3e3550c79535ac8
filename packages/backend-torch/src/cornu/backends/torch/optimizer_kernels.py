"""The torch backend's optional ``optimizer_kernels`` part (asked for by cornu-optimizers).

cornu-optimizers writes updates and schedules once against a small tensor namespace
``xp`` (``xp.sqrt``, ``xp.assign_add``, ``xp.run_if``...; the generic one, on
``cornu.ops``, is ``cornu.optimizers._math.OpsMath``).  A backend changes what differs:

* :class:`Math` is a *mixin*: the family builds the namespace class once per backend as
  ``type(name, (Math, OpsMath), {})``, so ``Math`` overrides only the methods it makes
  faster and may call ``super()``; it has no base of its own, and this module never
  imports the optimizers family (a backend imports no family).  Its ``fused = True``
  declares the fused capability: native handles are eager tensors updated in place,
  and the ``list_*`` methods update whole lists of tensors at once
  (``torch._foreach_*``; one kernel per list, no host sync, no per-variable loop).
* :data:`KERNELS` maps a cornu optimizer's registered name (``"adam"``) to its fused
  update ``kernel(optimizer, grads, params, learning_rate)``: ``grads`` and ``params``
  are lists of native tensors of one float dtype, ``learning_rate`` a native scalar.
  It reads the optimizer's attributes (hyperparameters, ``optimizer._gather(slots)``
  for the slot handles of the current variables).  The family uses one only where
  the optimizer's ``update_step`` is that registered cornu class's own; everywhere
  else it runs ``update_step`` per variable.
"""

import torch

from cornu.backends.torch._utils import standardize_dtype


class Math:
    """Eager torch: python numbers are fine as second operands, control flow is python."""

    name = "torch"
    #: The fused capability (see the module docstring).
    fused = True

    # -- fused list ops (``fused = True``): bound straight to torch, no python frame --
    list_add = staticmethod(torch._foreach_add)
    list_add_ = staticmethod(torch._foreach_add_)
    list_mul = staticmethod(torch._foreach_mul)
    list_mul_ = staticmethod(torch._foreach_mul_)
    list_div_ = staticmethod(torch._foreach_div_)
    list_zero_ = staticmethod(torch._foreach_zero_)
    #: ``handle += value`` in place (the caller is under ``no_grad()``).
    inplace_add = staticmethod(torch.Tensor.add_)

    #: ``astype(x, dtype)``: ``x`` cast to a native dtype (``other.dtype``).
    astype = staticmethod(torch.Tensor.to)

    @staticmethod
    def list_clip_by_norm(xs, clipnorm):
        """Each tensor of ``xs`` clipped to the L2 norm ``clipnorm`` (a float)."""
        norms = torch.stack(torch._foreach_norm(xs))
        factors = clipnorm / torch.clamp_min(norms, clipnorm)
        return torch._foreach_mul(xs, list(factors.unbind()))

    @staticmethod
    def list_global_norm(xs):
        """The L2 norm of all tensors of ``xs`` together (a scalar tensor)."""
        return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(xs)))

    @staticmethod
    def list_clip(xs, lo, hi):
        """Each tensor of ``xs`` clipped element-wise to ``[lo, hi]`` (floats)."""
        clipped = torch._foreach_clamp_min(xs, lo)
        torch._foreach_clamp_max_(clipped, hi)
        return clipped

    @staticmethod
    def list_unscale_and_check(grads, scale):
        """``(grads / scale, all finite)`` in one fused pass, or None when ``grads``
        are not float tensors of one dtype on one device (then the caller does it)."""
        first = grads[0]
        if not (all(t.dtype == first.dtype and t.device == first.device for t in grads)
                and first.is_floating_point()):
            return None
        unscaled = torch._foreach_div(grads, scale.to(first.dtype))
        found_inf = torch.zeros((), dtype=torch.float32, device=first.device)
        one = torch.ones((), dtype=torch.float32, device=first.device)
        # One fused pass that flags any inf/NaN (multiplying by 1 changes nothing).
        torch._amp_foreach_non_finite_check_and_unscale_(unscaled, found_inf, one)
        return unscaled, found_inf == 0

    # -- the namespace ------------------------------------------------------------
    def _t(self, x, like):
        if isinstance(x, torch.Tensor):
            return x
        return torch.as_tensor(x, dtype=like.dtype, device=like.device)

    def sqrt(self, x):
        return torch.sqrt(x)

    def square(self, x):
        return torch.square(x)

    def abs(self, x):
        return torch.abs(x)

    def sign(self, x):
        return torch.sign(x)

    def maximum(self, a, b):
        if not isinstance(a, torch.Tensor):
            a = self._t(a, b)
        return torch.maximum(a, self._t(b, a))

    def minimum(self, a, b):
        if not isinstance(a, torch.Tensor):
            a = self._t(a, b)
        return torch.minimum(a, self._t(b, a))

    def power(self, a, b):
        return torch.pow(a, b)

    def floor(self, x):
        return torch.floor(x)

    def ceil(self, x):
        return torch.ceil(x)

    def cos(self, x):
        return torch.cos(x)

    def log(self, x):
        return torch.log(x)

    def where(self, c, a, b):
        like = a if isinstance(a, torch.Tensor) else b
        return torch.where(c, self._t(a, like), self._t(b, like))

    def equal(self, a, b):
        return torch.eq(a, b)

    def floor_divide(self, a, b):
        return torch.div(a, b, rounding_mode="floor")

    def clip(self, x, lo, hi):
        return torch.clamp(x, lo, hi)

    def sum_squares(self, x):
        return torch.sum(torch.square(x))

    def stack(self, xs):
        return torch.stack(xs)

    def mean(self, x, axis=None, keepdims=False):
        if axis is None:
            return torch.mean(x)
        return torch.mean(x, dim=axis, keepdim=keepdims)

    def sum(self, x, axis=None, keepdims=False):
        if axis is None:
            return torch.sum(x)
        return torch.sum(x, dim=axis, keepdim=keepdims)

    def expand_dims(self, x, axis):
        return torch.unsqueeze(x, axis)

    def matmul(self, a, b):
        return torch.matmul(a, b)

    def swap_last_axes(self, x):
        return torch.transpose(x, -2, -1)

    def all_finite(self, xs):
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
        return torch.no_grad()

    def assign(self, handle, value):
        with torch.no_grad():
            handle.copy_(value)

    def assign_add(self, handle, value):
        with torch.no_grad():
            handle.add_(value)

    def assign_sub(self, handle, value):
        with torch.no_grad():
            handle.sub_(value)


# -- the fused update kernels: kernel(optimizer, grads, params, learning_rate) ----------

def adam_kernel(optimizer, grads, params, learning_rate):
    dtype = params[0].dtype
    lr = learning_rate.to(dtype)
    local_step = (optimizer._iterations_native() + 1).to(dtype)
    beta_1_power = torch.pow(optimizer.beta_1, local_step)
    beta_2_power = torch.pow(optimizer.beta_2, local_step)
    alpha = lr * torch.sqrt(1 - beta_2_power) / (1 - beta_1_power)
    m = optimizer._gather(optimizer._momentums)
    v = optimizer._gather(optimizer._velocities)
    torch._foreach_lerp_(m, grads, 1 - optimizer.beta_1)
    torch._foreach_mul_(v, optimizer.beta_2)
    torch._foreach_addcmul_(v, grads, grads, value=1 - optimizer.beta_2)
    if optimizer.amsgrad:
        v_hat = optimizer._gather(optimizer._velocity_hats)
        torch._foreach_maximum_(v_hat, v)
        v = v_hat
    denom = torch._foreach_sqrt(v)
    torch._foreach_add_(denom, optimizer.epsilon)
    torch._foreach_div_(denom, alpha)
    torch._foreach_addcdiv_(params, m, denom, value=-1.0)


def adamax_kernel(optimizer, grads, params, learning_rate):
    dtype = params[0].dtype
    lr = learning_rate.to(dtype)
    local_step = (optimizer._iterations_native() + 1).to(dtype)
    beta_1_power = torch.pow(optimizer.beta_1, local_step)
    m = optimizer._gather(optimizer._m)
    u = optimizer._gather(optimizer._u)
    torch._foreach_lerp_(m, grads, 1 - optimizer.beta_1)
    torch._foreach_mul_(u, optimizer.beta_2)
    torch._foreach_maximum_(u, torch._foreach_abs(grads))
    denominators = torch._foreach_add(u, optimizer.epsilon)
    torch._foreach_mul_(denominators, 1 - beta_1_power)
    updates = torch._foreach_mul(m, lr)
    torch._foreach_div_(updates, denominators)
    torch._foreach_sub_(params, updates)


def adagrad_kernel(optimizer, grads, params, learning_rate):
    lr = learning_rate.to(params[0].dtype)
    accumulators = optimizer._gather(optimizer._accumulators)
    torch._foreach_addcmul_(accumulators, grads, grads)
    denominators = torch._foreach_add(accumulators, optimizer.epsilon)
    torch._foreach_sqrt_(denominators)
    updates = torch._foreach_mul(grads, lr)
    torch._foreach_div_(updates, denominators)
    torch._foreach_sub_(params, updates)


def adadelta_kernel(optimizer, grads, params, learning_rate):
    lr = learning_rate.to(params[0].dtype)
    rho = optimizer.rho
    accumulated_grads = optimizer._gather(optimizer._accumulated_grads)
    accumulated_delta_vars = optimizer._gather(optimizer._accumulated_delta_vars)
    torch._foreach_mul_(accumulated_grads, rho)
    torch._foreach_addcmul_(accumulated_grads, grads, grads, value=1 - rho)
    rms_delta = torch._foreach_add(accumulated_delta_vars, optimizer.epsilon)
    torch._foreach_sqrt_(rms_delta)
    rms_grad = torch._foreach_add(accumulated_grads, optimizer.epsilon)
    torch._foreach_sqrt_(rms_grad)
    delta_vars = torch._foreach_mul(rms_delta, grads)
    torch._foreach_div_(delta_vars, rms_grad)
    torch._foreach_neg_(delta_vars)
    torch._foreach_mul_(accumulated_delta_vars, rho)
    torch._foreach_addcmul_(accumulated_delta_vars, delta_vars, delta_vars, value=1 - rho)
    torch._foreach_mul_(delta_vars, lr)
    torch._foreach_add_(params, delta_vars)


def ftrl_kernel(optimizer, grads, params, learning_rate):
    lr = learning_rate.to(params[0].dtype)
    power = -optimizer.learning_rate_power
    accumulators = optimizer._gather(optimizer._accumulators)
    linears = optimizer._gather(optimizer._linears)
    new_accumulators = torch._foreach_addcmul(accumulators, grads, grads)
    new_powers = torch._foreach_pow(new_accumulators, power)
    sigma = torch._foreach_sub(new_powers, torch._foreach_pow(accumulators, power))
    torch._foreach_div_(sigma, lr)
    torch._foreach_add_(linears, grads)
    if optimizer.l2_shrinkage_regularization_strength:
        torch._foreach_add_(linears, params,
                            alpha=2.0 * optimizer.l2_shrinkage_regularization_strength)
    torch._foreach_addcmul_(linears, sigma, params, value=-1.0)
    quadratic = torch._foreach_div(new_powers, lr)
    torch._foreach_add_(quadratic, 2.0 * optimizer._l2(lr))
    l1 = optimizer.l1_regularization_strength
    weights = torch._foreach_clamp_min(linears, -l1)
    torch._foreach_clamp_max_(weights, l1)
    torch._foreach_sub_(weights, linears)
    torch._foreach_div_(weights, quadratic)
    torch._foreach_copy_(params, weights)
    torch._foreach_copy_(accumulators, new_accumulators)


def lion_kernel(optimizer, grads, params, learning_rate):
    lr = learning_rate.to(params[0].dtype)
    m = optimizer._gather(optimizer._momentums)
    direction = torch._foreach_mul(m, optimizer.beta_1)
    torch._foreach_add_(direction, grads, alpha=1 - optimizer.beta_1)
    torch._foreach_sign_(direction)
    torch._foreach_mul_(direction, lr)
    torch._foreach_sub_(params, direction)
    torch._foreach_mul_(m, optimizer.beta_2)
    torch._foreach_add_(m, grads, alpha=1 - optimizer.beta_2)


def lamb_kernel(optimizer, grads, params, learning_rate):
    dtype = params[0].dtype
    lr = learning_rate.to(dtype)
    correction_1, correction_2 = optimizer._bias_corrections(
        standardize_dtype(dtype))
    m = optimizer._gather(optimizer._momentums)
    v = optimizer._gather(optimizer._velocities)
    torch._foreach_lerp_(m, grads, 1 - optimizer.beta_1)
    torch._foreach_mul_(v, optimizer.beta_2)
    torch._foreach_addcmul_(v, grads, grads, value=1 - optimizer.beta_2)
    denominators = torch._foreach_div(v, correction_2)
    torch._foreach_sqrt_(denominators)
    torch._foreach_add_(denominators, optimizer.epsilon)
    torch._foreach_mul_(denominators, correction_1)
    updates = torch._foreach_div(m, denominators)
    w_norms = torch.stack(torch._foreach_norm(params))
    u_norms = torch.stack(torch._foreach_norm(updates))
    one = torch.ones((), dtype=dtype, device=w_norms.device)
    ratios = torch.where((w_norms > 0) & (u_norms > 0), w_norms / u_norms, one)
    torch._foreach_mul_(updates, list((ratios * lr).unbind()))
    torch._foreach_sub_(params, updates)


def nadam_kernel(optimizer, grads, params, learning_rate):
    dtype = params[0].dtype
    lr = learning_rate.to(dtype)
    u_t, u_t_1, u_product_t, u_product_t_1, beta_2_power = optimizer._coefficients(
        standardize_dtype(dtype))
    m = optimizer._gather(optimizer._momentums)
    v = optimizer._gather(optimizer._velocities)
    torch._foreach_lerp_(m, grads, 1 - optimizer.beta_1)
    torch._foreach_mul_(v, optimizer.beta_2)
    torch._foreach_addcmul_(v, grads, grads, value=1 - optimizer.beta_2)
    m_hat = torch._foreach_mul(m, u_t_1 / (1 - u_product_t_1))
    torch._foreach_add_(m_hat, torch._foreach_mul(grads, (1 - u_t) / (1 - u_product_t)))
    denominators = torch._foreach_div(v, 1 - beta_2_power)
    torch._foreach_sqrt_(denominators)
    torch._foreach_add_(denominators, optimizer.epsilon)
    torch._foreach_mul_(m_hat, lr)
    torch._foreach_div_(m_hat, denominators)
    torch._foreach_sub_(params, m_hat)


def rmsprop_kernel(optimizer, grads, params, learning_rate):
    lr = learning_rate.to(params[0].dtype)
    rho = optimizer.rho
    velocities = optimizer._gather(optimizer._velocities)
    torch._foreach_mul_(velocities, rho)
    torch._foreach_addcmul_(velocities, grads, grads, value=1 - rho)
    denominators = torch._foreach_add(velocities, optimizer.epsilon)
    if optimizer.centered:
        average_grads = optimizer._gather(optimizer._average_gradients)
        torch._foreach_mul_(average_grads, rho)
        torch._foreach_add_(average_grads, grads, alpha=1 - rho)
        torch._foreach_addcmul_(denominators, average_grads, average_grads, value=-1)
    torch._foreach_sqrt_(denominators)
    increments = torch._foreach_mul(grads, lr)
    torch._foreach_div_(increments, denominators)
    if optimizer.momentum > 0:
        momentums = optimizer._gather(optimizer._momentums)
        torch._foreach_mul_(momentums, optimizer.momentum)
        torch._foreach_add_(momentums, increments)
        torch._foreach_sub_(params, momentums)
    else:
        torch._foreach_sub_(params, increments)


def sgd_kernel(optimizer, grads, params, learning_rate):
    if learning_rate.device.type == "cpu":
        # Reading a CPU scalar costs no device sync, and a python alpha lets the
        # update fuse into one kernel per tensor list with no temporaries.
        step = -float(learning_rate)
        if optimizer.momentum == 0:
            torch._foreach_add_(params, grads, alpha=step)
            return
        bufs = optimizer._gather(optimizer.momentums)
        torch._foreach_mul_(bufs, optimizer.momentum)
        torch._foreach_add_(bufs, grads, alpha=step)
        if optimizer.nesterov:
            torch._foreach_add_(params, grads, alpha=step)
            torch._foreach_add_(params, bufs, alpha=optimizer.momentum)
        else:
            torch._foreach_add_(params, bufs)
        return
    lr = learning_rate.to(params[0].dtype)
    scaled = torch._foreach_mul(grads, lr)
    if optimizer.momentum != 0:
        bufs = optimizer._gather(optimizer.momentums)
        torch._foreach_mul_(bufs, optimizer.momentum)
        torch._foreach_sub_(bufs, scaled)
        if optimizer.nesterov:
            torch._foreach_sub_(params, scaled)
            torch._foreach_add_(params, bufs, alpha=optimizer.momentum)
        else:
            torch._foreach_add_(params, bufs)
    else:
        torch._foreach_sub_(params, scaled)


def schedule_free_adamw_kernel(optimizer, grads, params, learning_rate):
    dtype = params[0].dtype
    lr, weight, correction_2 = optimizer._coefficients(
        learning_rate, standardize_dtype(dtype))
    z = optimizer._gather(optimizer._momentums)
    v = optimizer._gather(optimizer._velocities)
    torch._foreach_mul_(v, optimizer.beta_2)
    torch._foreach_addcmul_(v, grads, grads, value=1 - optimizer.beta_2)
    denominators = torch._foreach_div(v, correction_2)
    torch._foreach_sqrt_(denominators)
    torch._foreach_add_(denominators, optimizer.epsilon)
    steps = torch._foreach_div(grads, denominators)
    torch._foreach_mul_(steps, lr)
    torch._foreach_mul_(params, 1.0 - weight)
    torch._foreach_add_(params, torch._foreach_mul(z, weight))
    torch._foreach_sub_(params, torch._foreach_mul(
        steps, 1.0 - optimizer.beta_1 + optimizer.beta_1 * weight))
    torch._foreach_sub_(z, steps)


#: The fused kernels, keyed by the cornu optimizer's registered name.
KERNELS = {
    "adam": adam_kernel,
    "adamax": adamax_kernel,
    "adagrad": adagrad_kernel,
    "adadelta": adadelta_kernel,
    "ftrl": ftrl_kernel,
    "lion": lion_kernel,
    "lamb": lamb_kernel,
    "nadam": nadam_kernel,
    "rmsprop": rmsprop_kernel,
    "sgd": sgd_kernel,
    "schedule_free_adamw": schedule_free_adamw_kernel,
}
