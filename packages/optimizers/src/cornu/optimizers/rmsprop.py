"""RMSprop: divide the gradient by a running RMS of its recent magnitudes."""
from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class RMSprop(Optimizer):
    """The RMSprop optimizer.

    Update rule::

        v = rho * v + (1 - rho) * g ** 2
        (centered)  a = rho * a + (1 - rho) * g;  denominator = v - a ** 2 + epsilon
        (otherwise) denominator = v + epsilon
        increment = learning_rate * g / sqrt(denominator)
        (momentum > 0) m = momentum * m + increment;  w = w - m
        (otherwise)    w = w - increment

    Args:
        learning_rate: default 0.001.
        rho: the discount factor of the gradient history (default 0.9).
        momentum: default 0.0.
        epsilon: default 1e-7.
        centered: normalize by the estimated variance of the gradient (default False).
    """ + _BASE_ARGS_DOC

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list,
                                                                   "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        xp = self._xp
        lr = xp.cast(learning_rate, variable.dtype)
        gradient = xp.cast(gradient, variable.dtype)
        i = self._get_variable_index(variable)
        velocity = self._velocities[i]
        rho = self.rho
        self.assign(velocity, rho * velocity.value + (1 - rho) * xp.square(gradient))
        if self.centered:
            average_grad = self._average_gradients[i]
            self.assign(average_grad, rho * average_grad.value + (1 - rho) * gradient)
            denominator = velocity.value - xp.square(average_grad.value) + self.epsilon
        else:
            denominator = velocity.value + self.epsilon
        increment = lr * gradient / xp.sqrt(denominator)
        if self.momentum > 0:
            momentum = self._momentums[i]
            self.assign(momentum, self.momentum * momentum.value + increment)
            self.assign_sub(variable, momentum.value)
        else:
            self.assign_sub(variable, increment)

    def get_config(self):
        config = super().get_config()
        config.update({
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        })
        return config
