"""Stochastic gradient descent, with (Nesterov) momentum."""
from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class SGD(Optimizer):
    """Gradient descent (with momentum).

    Update rule (``momentum == 0``): ``w = w - learning_rate * g``.
    With momentum::

        velocity = momentum * velocity - learning_rate * g
        w = w + velocity                                   # nesterov=False
        w = w + momentum * velocity - learning_rate * g    # nesterov=True

    Args:
        learning_rate: default 0.01.
        momentum: a float in [0, 1] (default 0.0).
        nesterov: whether to apply Nesterov momentum (default False).
    """ + _BASE_ARGS_DOC

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, name=name, weight_decay=weight_decay,
            clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
            use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, **kwargs,
        )
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        xp = self._xp
        lr = xp.cast(learning_rate, variable.dtype)
        gradient = xp.cast(gradient, variable.dtype)
        if self.momentum != 0:
            m = self.momentums[self._get_variable_index(variable)]
            momentum = xp.cast(self.momentum, variable.dtype)
            self.assign(m, m.value * momentum - gradient * lr)
            if self.nesterov:
                self.assign_add(variable, m.value * momentum - gradient * lr)
            else:
                self.assign_add(variable, m.value)
        else:
            self.assign_sub(variable, gradient * lr)

    def _update_step_torch(self, grads, params, learning_rate):
        torch = self._xp.torch
        if learning_rate.device.type == "cpu":
            # Reading a CPU scalar costs no device sync, and a python alpha lets the
            # update fuse into one kernel per tensor list with no temporaries.
            step = -float(learning_rate)
            if self.momentum == 0:
                torch._foreach_add_(params, grads, alpha=step)
                return
            bufs = self._gather(self.momentums)
            torch._foreach_mul_(bufs, self.momentum)
            torch._foreach_add_(bufs, grads, alpha=step)
            if self.nesterov:
                torch._foreach_add_(params, grads, alpha=step)
                torch._foreach_add_(params, bufs, alpha=self.momentum)
            else:
                torch._foreach_add_(params, bufs)
            return
        lr = learning_rate.to(params[0].dtype)
        scaled = torch._foreach_mul(grads, lr)
        if self.momentum != 0:
            bufs = self._gather(self.momentums)
            torch._foreach_mul_(bufs, self.momentum)
            torch._foreach_sub_(bufs, scaled)
            if self.nesterov:
                torch._foreach_sub_(params, scaled)
                torch._foreach_add_(params, bufs, alpha=self.momentum)
            else:
                torch._foreach_add_(params, bufs)
        else:
            torch._foreach_sub_(params, scaled)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
