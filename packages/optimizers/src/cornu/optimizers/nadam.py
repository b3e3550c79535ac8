"""Nadam: Adam with Nesterov momentum (Dozat, 2015)."""
from cornu import config
from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class Nadam(Optimizer):
    """The Nadam optimizer.

    With ``t`` = iterations + 1, ``u_t = beta_1 * (1 - 0.5 * 0.96 ** t)`` and
    ``u_product`` the running product of the ``u_t``::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g ** 2 - v) * (1 - beta_2)
        m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2 ** t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
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
        var_list = list(var_list)
        dtype = var_list[0].dtype if var_list else config.floatx()
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        self._u_product = self._create_variable(1.0, "u_product", dtype)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        xp = self._xp
        dtype = self._u_product.dtype
        local_step = xp.cast(self._iterations_native() + 1, dtype)
        decay = xp.power(xp.cast(0.96, dtype), local_step)
        self.assign(self._u_product,
                    self._u_product.value * self.beta_1 * (1.0 - 0.5 * decay))
        super()._backend_update_step(grads, trainable_variables, learning_rate)

    def _coefficients(self, dtype):
        xp = self._xp
        local_step = xp.cast(self._iterations_native() + 1, dtype)
        next_step = xp.cast(self._iterations_native() + 2, dtype)
        decay = xp.cast(0.96, dtype)
        beta_1 = xp.cast(self.beta_1, dtype)
        beta_2 = xp.cast(self.beta_2, dtype)
        u_t = beta_1 * (1.0 - 0.5 * xp.power(decay, local_step))
        u_t_1 = beta_1 * (1.0 - 0.5 * xp.power(decay, next_step))
        u_product_t = xp.cast(self._u_product.value, dtype)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = xp.power(beta_2, local_step)
        return u_t, u_t_1, u_product_t, u_product_t_1, beta_2_power

    def update_step(self, gradient, variable, learning_rate):
        xp = self._xp
        dtype = variable.dtype
        lr = xp.cast(learning_rate, dtype)
        gradient = xp.cast(gradient, dtype)
        u_t, u_t_1, u_product_t, u_product_t_1, beta_2_power = self._coefficients(dtype)
        i = self._get_variable_index(variable)
        m = self._momentums[i]
        v = self._velocities[i]
        self.assign_add(m, (gradient - m.value) * (1 - self.beta_1))
        self.assign_add(v, (xp.square(gradient) - v.value) * (1 - self.beta_2))
        m_hat = (u_t_1 * m.value / (1 - u_product_t_1)
                 + (1 - u_t) * gradient / (1 - u_product_t))
        v_hat = v.value / (1 - beta_2_power)
        self.assign_sub(variable, m_hat * lr / (xp.sqrt(v_hat) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
