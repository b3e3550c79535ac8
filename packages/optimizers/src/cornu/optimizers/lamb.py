"""LAMB: layer-wise adaptive moments for large batches (You et al., 2019)."""
from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class Lamb(Optimizer):
    """The LAMB optimizer: an Adam step rescaled per variable by a trust ratio.

    Update rule (``t`` = iterations + 1)::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g ** 2 - v) * (1 - beta_2)
        update = (m / (1 - beta_1 ** t)) / (sqrt(v / (1 - beta_2 ** t)) + epsilon)
        ratio = ||w|| / ||update||   (1 if either norm is 0)
        w = w - learning_rate * ratio * update

    The norms are L2 norms over the whole variable.

    Args:
        learning_rate: default 0.001.
        beta_1: decay of the first-moment estimates (default 0.9).
        beta_2: decay of the second-moment estimates (default 0.999).
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
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])

    def _bias_corrections(self, dtype):
        xp = self._xp
        local_step = xp.cast(self._iterations_native() + 1, dtype)
        return (1 - xp.power(xp.cast(self.beta_1, dtype), local_step),
                1 - xp.power(xp.cast(self.beta_2, dtype), local_step))

    def update_step(self, gradient, variable, learning_rate):
        xp = self._xp
        dtype = variable.dtype
        lr = xp.cast(learning_rate, dtype)
        gradient = xp.cast(gradient, dtype)
        correction_1, correction_2 = self._bias_corrections(dtype)
        i = self._get_variable_index(variable)
        m = self._momentums[i]
        v = self._velocities[i]
        self.assign_add(m, (gradient - m.value) * (1 - self.beta_1))
        self.assign_add(v, (xp.square(gradient) - v.value) * (1 - self.beta_2))
        update = (m.value / correction_1) / (xp.sqrt(v.value / correction_2) + self.epsilon)
        w_norm = xp.sqrt(xp.sum_squares(variable.value))
        u_norm = xp.sqrt(xp.sum_squares(update))
        ratio = xp.where(w_norm > 0, xp.where(u_norm > 0, w_norm / u_norm, 1.0), 1.0)
        self.assign_sub(variable, ratio * lr * update)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
