"""Adadelta: an adaptive learning rate from running averages of updates and gradients."""
from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class Adadelta(Optimizer):
    """The Adadelta optimizer (Zeiler, 2012).

    Update rule (``rms(x) = sqrt(x + epsilon)``)::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * g ** 2
        delta = -rms(accumulated_delta_var) * g / rms(accumulated_grad)
        accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta ** 2
        w = w + learning_rate * delta

    Args:
        learning_rate: default 0.001.
        rho: the decay rate (default 0.95).
        epsilon: default 1e-7.
    """ + _BASE_ARGS_DOC

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, grad, variable, learning_rate):
        xp = self._xp
        lr = xp.cast(learning_rate, variable.dtype)
        grad = xp.cast(grad, variable.dtype)
        rho = self.rho
        i = self._get_variable_index(variable)
        accumulated_grad = self._accumulated_grads[i]
        accumulated_delta_var = self._accumulated_delta_vars[i]

        def rms(x):
            return xp.sqrt(x + self.epsilon)

        self.assign(accumulated_grad,
                    rho * accumulated_grad.value + (1 - rho) * xp.square(grad))
        delta_var = -(rms(accumulated_delta_var.value) * grad / rms(accumulated_grad.value))
        self.assign(accumulated_delta_var,
                    rho * accumulated_delta_var.value + (1 - rho) * xp.square(delta_var))
        self.assign_add(variable, lr * delta_var)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
