"""Adam: adaptive moment estimation (Kingma & Ba, 2014)."""
from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class Adam(Optimizer):
    """The Adam optimizer.

    Update rule (``t`` = iterations + 1)::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g ** 2 - v) * (1 - beta_2)
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    With ``amsgrad``, ``v`` in the last line is the running maximum of ``v``.

    Args:
        learning_rate: default 0.001.
        beta_1: decay of the first-moment estimates (default 0.9).
        beta_2: decay of the second-moment estimates (default 0.999).
        epsilon: a small constant for numerical stability (default 1e-7).
        amsgrad: whether to use the AMSGrad variant (default False).
    """ + _BASE_ARGS_DOC

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
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
        self.amsgrad = amsgrad

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate):
        xp = self._xp
        dtype = variable.dtype
        lr = xp.cast(learning_rate, dtype)
        gradient = xp.cast(gradient, dtype)
        local_step = xp.cast(self._iterations_native() + 1, dtype)
        beta_1_power = xp.power(xp.cast(self.beta_1, dtype), local_step)
        beta_2_power = xp.power(xp.cast(self.beta_2, dtype), local_step)
        i = self._get_variable_index(variable)
        m = self._momentums[i]
        v = self._velocities[i]
        alpha = lr * xp.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        self.assign_add(m, (gradient - m.value) * (1 - self.beta_1))
        self.assign_add(v, (xp.square(gradient) - v.value) * (1 - self.beta_2))
        if self.amsgrad:
            v_hat = self._velocity_hats[i]
            self.assign(v_hat, xp.maximum(v_hat.value, v.value))
            v = v_hat
        self.assign_sub(variable, (m.value * alpha) / (xp.sqrt(v.value) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        config.update({
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        })
        return config
