"""Adafactor: adaptive learning rates with factored second moments (Shazeer & Stern, 2018)."""
from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class Adafactor(Optimizer):
    """The Adafactor optimizer.

    For a variable of rank >= 2 the second-moment estimate is factored over
    its last two axes: a row statistic ``r`` (shape ``w.shape[:-1]``) and a
    column statistic ``c`` (shape ``w.shape[:-2] + w.shape[-1:]``) replace the
    full matrix, which saves memory.  With ``t`` = iterations + 1 and
    ``rms(x) = sqrt(mean(x ** 2))``::

        rho = min(learning_rate, 1 / sqrt(t))
        alpha = max(epsilon_2, rms(w)) * rho
        g2 = g ** 2 + epsilon_1
        beta_2_t = 1 - t ** beta_2_decay
        rank >= 2:  r = beta_2_t * r + (1 - beta_2_t) * mean(g2, axis=-1)
                    c = beta_2_t * c + (1 - beta_2_t) * mean(g2, axis=-2)
                    v = (r / mean(r, axis=-1))[..., :, None] * c[..., None, :]
        rank < 2:   v = beta_2_t * v + (1 - beta_2_t) * g2
        u = g / sqrt(v)
        w = w - alpha * u / max(1, rms(u) / clip_threshold)

    Variable order (as in Keras): for each variable, ``r`` and ``c`` (two
    int32 scalar placeholders for a variable of rank < 2), then its
    ``velocity`` (``v``).

    Args:
        learning_rate: default 0.001.
        beta_2_decay: the decay exponent of ``beta_2`` (default -0.8).
        epsilon_1: keeps the denominator away from 0 (default 1e-30).
        epsilon_2: the smallest parameter scale (default 1e-3).
        clip_threshold: the update clipping threshold, part of the algorithm and
            independent of ``clipnorm``/``clipvalue`` (default 1.0).
        relative_step: accepted and saved as in Keras 3; the step is always
            capped at ``1 / sqrt(t)`` (``rho`` above), so it changes nothing.
    """ + _BASE_ARGS_DOC

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
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
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for var in var_list:
            overwrite = getattr(var, "overwrite_with_gradient", False)
            shape = tuple(var.shape)
            if len(shape) < 2:
                # Not factored: placeholders keep the Keras variable layout.
                self._r.append(self.add_variable((), dtype="int32", name=var.name))
                self._c.append(self.add_variable((), dtype="int32", name=var.name))
            elif overwrite:
                self._r.append(None)
                self._c.append(None)
            else:
                self._r.append(self.add_variable(shape[:-1], dtype=var.dtype, name=var.name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype,
                                                 name=var.name))
            self._v.append(None if overwrite else self.add_variable_from_reference(
                var, name="velocity"))

    def _rms(self, x):
        xp = self._xp
        return xp.sqrt(xp.mean(xp.square(x)))

    def update_step(self, gradient, variable, learning_rate):
        xp = self._xp
        dtype = variable.dtype
        lr = xp.cast(learning_rate, dtype)
        gradient = xp.cast(gradient, dtype)
        local_step = xp.cast(self._iterations_native() + 1, dtype)
        i = self._get_variable_index(variable)
        r, c, v = self._r[i], self._c[i], self._v[i]

        rho = xp.minimum(lr, 1.0 / xp.sqrt(local_step))
        alpha = xp.maximum(xp.cast(self.epsilon_2, dtype), self._rms(variable.value)) * rho
        grad_squared = xp.square(gradient) + self.epsilon_1
        beta_2_t = 1.0 - xp.power(local_step, self.beta_2_decay)
        if len(variable.shape) >= 2:
            self.assign(r, beta_2_t * r.value
                        + (1.0 - beta_2_t) * xp.mean(grad_squared, axis=-1))
            self.assign(c, beta_2_t * c.value
                        + (1.0 - beta_2_t) * xp.mean(grad_squared, axis=-2))
            row = r.value / xp.mean(r.value, axis=-1, keepdims=True)
            self.assign(v, xp.expand_dims(row, -1) * xp.expand_dims(c.value, -2))
        else:
            self.assign(v, beta_2_t * v.value + (1.0 - beta_2_t) * grad_squared)
        u = gradient / xp.sqrt(v.value)
        u_hat = u / xp.maximum(xp.cast(1.0, dtype), self._rms(u) / self.clip_threshold)
        self.assign_sub(variable, alpha * u_hat)

    def get_config(self):
        config = super().get_config()
        config.update({
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        })
        return config
