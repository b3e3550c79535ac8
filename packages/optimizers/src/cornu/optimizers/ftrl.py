"""FTRL-Proximal: follow the regularized leader (McMahan et al., 2013)."""
from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class Ftrl(Optimizer):
    """The FTRL optimizer, with online L2 and shrinkage-type L2 regularization.

    Per variable ``w``, with the accumulator ``n`` (starting at
    ``initial_accumulator_value``), the linear term ``z`` (starting at 0) and
    ``p = -learning_rate_power``::

        l2 = l2_regularization_strength + beta / (2 * learning_rate)
        g_shrunk = g + 2 * l2_shrinkage_regularization_strength * w
        n_new = n + g ** 2
        z = z + g_shrunk - (n_new ** p - n ** p) / learning_rate * w
        w = (clip(z, -l1, l1) - z) / (n_new ** p / learning_rate + 2 * l2)
        n = n_new

    so ``w`` is 0 where ``|z| <= l1``.  The accumulator grows with the plain
    gradient; the shrinkage term only enters the linear term.

    Args:
        learning_rate: default 0.001.
        learning_rate_power: <= 0; how the per-coordinate learning rate decays
            with the accumulated squared gradients (default -0.5; 0 keeps it fixed).
        initial_accumulator_value: >= 0 (default 0.1).
        l1_regularization_strength: >= 0 (default 0.0).
        l2_regularization_strength: >= 0, the stabilizing L2 term (default 0.0).
        l2_shrinkage_regularization_strength: >= 0, an L2 penalty on the
            weights' magnitude added to the gradient (default 0.0).
        beta: the ``beta`` of the paper (default 0.0).
    """ + _BASE_ARGS_DOC

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
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
        if initial_accumulator_value < 0.0:
            raise ValueError(
                "`initial_accumulator_value` needs to be positive or zero. Received: "
                f"initial_accumulator_value={initial_accumulator_value}."
            )
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        for arg, value in (
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if value < 0.0:
                raise ValueError(
                    f"`{arg}` needs to be positive or zero. Received: {arg}={value}."
                )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list):
        if self.built:
            return
        from cornu.initializers import Constant

        super().build(var_list)
        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list, ["accumulator", "linear"],
            initializer=[Constant(self.initial_accumulator_value), "zeros"])

    def _l2(self, lr):
        """The stabilizing L2 strength, with ``beta`` folded in (a tensor if beta != 0)."""
        if self.beta:
            return self.l2_regularization_strength + self.beta / (2.0 * lr)
        return self.l2_regularization_strength

    def update_step(self, gradient, variable, learning_rate):
        xp = self._xp
        dtype = variable.dtype
        lr = xp.cast(learning_rate, dtype)
        gradient = xp.cast(gradient, dtype)
        i = self._get_variable_index(variable)
        accumulator = self._accumulators[i]
        linear = self._linears[i]
        power = -self.learning_rate_power
        w = variable.value
        n_old = accumulator.value
        n_new = n_old + xp.square(gradient)
        grad = gradient
        if self.l2_shrinkage_regularization_strength:
            grad = grad + 2.0 * self.l2_shrinkage_regularization_strength * w
        sigma = (xp.power(n_new, power) - xp.power(n_old, power)) / lr
        self.assign_add(linear, grad - sigma * w)
        quadratic = xp.power(n_new, power) / lr + 2.0 * self._l2(lr)
        z = linear.value
        l1 = self.l1_regularization_strength
        self.assign(variable, (xp.clip(z, -l1, l1) - z) / quadratic)
        self.assign(accumulator, n_new)

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        })
        return config
