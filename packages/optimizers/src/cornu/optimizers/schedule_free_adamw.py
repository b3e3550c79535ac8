"""Schedule-Free AdamW: interpolation and iterate averaging instead of a schedule.

Defazio et al., 2024, "The Road Less Scheduled" (arXiv:2405.15682).
"""
from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class ScheduleFreeAdamW(Optimizer):
    """The Schedule-Free AdamW optimizer.

    Three sequences per variable: ``z`` (the ``momentum`` slot, where the
    gradient steps land, starting at the initial weights), ``x`` (the running
    average of ``z``, used for evaluation in the paper) and ``y``, the model
    variable itself, where gradients are taken.  With ``t`` = iterations + 1,
    ``lr_t = learning_rate * min(t / warmup_steps, 1)`` (or ``learning_rate``
    without warmup) and ``c = 1 / t``::

        v = v + (g ** 2 - v) * (1 - beta_2)
        s = lr_t * g / (sqrt(v / (1 - beta_2 ** t)) + epsilon)
        x = (y - (1 - beta_1) * z) / beta_1          # the current average
        z = z - s
        x = (1 - c) * x + c * z
        y = (1 - beta_1) * z + beta_1 * x

    computed as ``y = (1 - c) * y + c * z_old - (1 - beta_1 + beta_1 * c) * s``
    (the same algebra without the division by ``beta_1``).

    Note: Keras 3 (3.15) recovers ``x`` with the already-updated ``z`` although
    its comments say ``momentum_old``; cornu follows the algorithm as published
    (and as Keras documents it), so trajectories agree with Keras at the first
    step only.

    Args:
        learning_rate: default 0.0025.
        beta_1: the interpolation between ``z`` and ``x`` (default 0.9).
        beta_2: decay of the second-moment estimates (default 0.999).
        epsilon: default 1e-8.
        warmup_steps: linear learning-rate warmup from 0 over this many steps
            (default 0: none).
    """ + _BASE_ARGS_DOC

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, weight_decay=None, clipnorm=None, clipvalue=None,
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
        self.warmup_steps = warmup_steps

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        super().build(var_list)
        self._momentums, self._velocities = [], []
        for var in var_list:
            if getattr(var, "overwrite_with_gradient", False):
                self._momentums.append(None)
                self._velocities.append(None)
                continue
            # z starts at the initial weights: its initializer copies them (at creation,
            # so building inside a tf.function adds no assign to the traced step).
            self._momentums.append(self.add_variable_from_reference(
                var, name="momentum", initializer=_CopyOf(var)))
            self._velocities.append(self.add_variable_from_reference(var, name="velocity"))

    def _coefficients(self, learning_rate, dtype):
        """``lr_t``, ``c`` and ``1 - beta_2 ** t`` for this step."""
        xp = self._xp
        local_step = xp.cast(self._iterations_native() + 1, dtype)
        lr = xp.cast(learning_rate, dtype)
        if self.warmup_steps > 0:
            lr = lr * xp.minimum(local_step / float(self.warmup_steps), 1.0)
        weight = 1.0 / local_step
        correction_2 = 1.0 - xp.power(xp.cast(self.beta_2, dtype), local_step)
        return lr, weight, correction_2

    def update_step(self, gradient, variable, learning_rate):
        xp = self._xp
        dtype = variable.dtype
        gradient = xp.cast(gradient, dtype)
        lr, weight, correction_2 = self._coefficients(learning_rate, dtype)
        i = self._get_variable_index(variable)
        z = self._momentums[i]
        v = self._velocities[i]
        self.assign_add(v, (xp.square(gradient) - v.value) * (1 - self.beta_2))
        step = lr * gradient / (xp.sqrt(v.value / correction_2) + self.epsilon)
        y = variable.value
        self.assign(variable, (1.0 - weight) * y + weight * z.value
                    - (1.0 - self.beta_1 + self.beta_1 * weight) * step)
        self.assign_sub(z, step)

    def get_config(self):
        config = super().get_config()
        config.update({
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        })
        return config


class _CopyOf:
    """An initializer that returns the current value of a variable."""

    def __init__(self, variable):
        self.variable = variable

    def __call__(self, shape, dtype=None):
        return self.variable.value
