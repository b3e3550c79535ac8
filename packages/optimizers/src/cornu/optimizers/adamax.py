"""Adamax: Adam with the infinity norm."""
from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class Adamax(Optimizer):
    """The Adamax optimizer (a variant of Adam based on the infinity norm).

    Update rule (``t`` = iterations + 1)::

        m = m + (g - m) * (1 - beta_1)
        u = max(beta_2 * u, abs(g))
        w = w - learning_rate * m / ((1 - beta_1 ** t) * (u + epsilon))

    Args:
        learning_rate: default 0.001.
        beta_1: decay of the first-moment estimates (default 0.9).
        beta_2: decay of the weighted infinity norm (default 0.999).
        epsilon: default 1e-7.
    """ + _BASE_ARGS_DOC

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(
            learning_rate=learning_rate, name=name, weight_decay=weight_decay,
            clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
            use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        xp = self._xp
        dtype = variable.dtype
        lr = xp.cast(learning_rate, dtype)
        gradient = xp.cast(gradient, dtype)
        local_step = xp.cast(self._iterations_native() + 1, dtype)
        beta_1_power = xp.power(xp.cast(self.beta_1, dtype), local_step)
        i = self._get_variable_index(variable)
        m = self._m[i]
        u = self._u[i]
        self.assign_add(m, (gradient - m.value) * (1 - self.beta_1))
        self.assign(u, xp.maximum(self.beta_2 * u.value, xp.abs(gradient)))
        self.assign_sub(variable, lr * m.value / ((1 - beta_1_power) * (u.value + self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
