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

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
