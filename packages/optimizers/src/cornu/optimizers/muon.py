"""Muon: momentum orthogonalized by Newton-Schulz iterations (Jordan et al., 2024)."""
import math
import re

from cornu.optimizers.optimizer import _BASE_ARGS_DOC, Optimizer


class Muon(Optimizer):
    """The Muon optimizer, with an AdamW step for the variables Muon does not suit.

    A variable gets the AdamW step if it is not 2D, if ``exclude_embeddings``
    and its path contains "embedding", or if its path matches one of the
    regular expressions in ``exclude_layers``; every other (2D) variable gets
    the Muon step::

        m = momentum * m + g
        d = g + momentum * m            (nesterov; else d = m)
        o = newton_schulz(d, ns_steps)  # ~ the orthogonal factor U V^T of d
        w = w - learning_rate * o * sqrt(max(rows, cols)) * rms_rate

    (without the last two factors when ``rms_rate`` is None).  ``newton_schulz``
    works on the wide orientation of ``d``, normalizes it by its Frobenius norm
    and iterates ``x = a x + (b A + c A A) x`` with ``A = x x^T``.  The AdamW
    step is Adam's with ``learning_rate * adam_lr_ratio`` and the betas
    ``adam_beta_1``/``adam_beta_2``.  Decoupled weight decay uses
    ``weight_decay`` for the Muon variables and ``adam_weight_decay`` for the
    others.

    Slots (as in Keras): a ``momentum`` for every variable, followed by a
    ``velocity`` right after it for the AdamW variables.

    Args:
        learning_rate: default 0.001.
        adam_beta_1, adam_beta_2: the AdamW betas (defaults 0.9, 0.999).
        adam_weight_decay: the AdamW variables' weight decay (default 0.004).
        epsilon: the AdamW epsilon (default 1e-7).
        weight_decay: the Muon variables' weight decay (default 0.004).
        exclude_layers: regular expressions; matching variable paths use AdamW.
        exclude_embeddings: whether embedding variables use AdamW (default True).
        muon_a, muon_b, muon_c: the Newton-Schulz coefficients
            (defaults 3.4445, -4.7750, 2.0315).
        adam_lr_ratio: the AdamW learning rate relative to ``learning_rate``
            (default 1).
        momentum: the Muon momentum (default 0.95).
        ns_steps: the number of Newton-Schulz iterations (default 5).
        nesterov: whether to use Nesterov momentum (default True).
        rms_rate: the update scale of Liu et al. (2025), which lets Muon share
            Adam's learning rate and weight decay (default 0.2; None disables it).
    """ + _BASE_ARGS_DOC

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(
            learning_rate=learning_rate, name=name, weight_decay=weight_decay,
            clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
            use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, **kwargs,
        )
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        """Whether ``variable`` gets the AdamW step (see the class docstring)."""
        if len(variable.shape) != 2:
            return True
        path = getattr(variable, "path", variable.name)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        super().build(var_list)
        self.momentums = [None] * len(var_list)
        self.adam_velocities = [None] * len(var_list)
        for i, var in enumerate(var_list):
            if getattr(var, "overwrite_with_gradient", False):
                continue
            self.momentums[i] = self.add_variable_from_reference(var, name="momentum")
            if self._should_use_adamw(var):
                self.adam_velocities[i] = self.add_variable_from_reference(var, name="velocity")

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m = self.momentums[i]
        v = self.adam_velocities[i]
        if v is not None:
            self._adamw_update_step(gradient, variable, learning_rate * self.adam_lr_ratio, m, v)
        else:
            self._muon_update_step(gradient, variable, learning_rate, m)

    def _muon_update_step(self, gradient, variable, learning_rate, m):
        xp = self._xp
        dtype = variable.dtype
        lr = xp.cast(learning_rate, dtype)
        gradient = xp.cast(gradient, dtype)
        self.assign(m, m.value * self.momentum + gradient)
        direction = gradient + self.momentum * m.value if self.nesterov else m.value
        update = self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        self.assign_sub(variable, self.lr_adjust(lr * update))

    def _adamw_update_step(self, gradient, variable, learning_rate, m, v):
        xp = self._xp
        dtype = variable.dtype
        lr = xp.cast(learning_rate, dtype)
        gradient = xp.cast(gradient, dtype)
        local_step = xp.cast(self._iterations_native() + 1, dtype)
        beta_1_power = xp.power(xp.cast(self.adam_beta_1, dtype), local_step)
        beta_2_power = xp.power(xp.cast(self.adam_beta_2, dtype), local_step)
        alpha = lr * xp.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        self.assign_add(m, (gradient - m.value) * (1 - self.adam_beta_1))
        self.assign_add(v, (xp.square(gradient) - v.value) * (1 - self.adam_beta_2))
        self.assign_sub(variable, (m.value * alpha) / (xp.sqrt(v.value) + self.epsilon))

    def lr_adjust(self, x):
        """Scale an update of shape ``(n, m)`` by ``sqrt(max(n, m)) * rms_rate`` (Moonlight)."""
        if self.rms_rate is None:
            return x
        return x * (math.sqrt(max(x.shape[0], x.shape[1])) * self.rms_rate)

    def zeropower_via_newtonschulz5(self, x, steps):
        """An approximation of the orthogonal factor of ``x`` (rank >= 2, last two axes).

        A quintic Newton-Schulz iteration tuned for a steep slope at zero: the
        result is close to ``U S' V^T`` with ``S'`` near the identity rather than
        exactly ``U V^T``, which trains as well.
        """
        xp = self._xp
        shape = tuple(x.shape)
        if len(shape) < 2:
            raise ValueError(
                "Expected gradient or momentum to have at least 2 dimensions. "
                f"Received: shape={shape}"
            )
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = shape[-2] > shape[-1]
        if tall:
            x = xp.swap_last_axes(x)
        norm = xp.sqrt(xp.sum(xp.square(x), axis=(-2, -1), keepdims=True))
        x = x / (norm + 1e-7)
        for _ in range(steps):
            gram = xp.matmul(x, xp.swap_last_axes(x))
            x = a * x + xp.matmul(b * gram + c * xp.matmul(gram, gram), x)
        if tall:
            x = xp.swap_last_axes(x)
        return x

    def _apply_weight_decay(self, variables, learning_rate=None):
        """Decoupled decay with ``weight_decay`` (Muon variables) or ``adam_weight_decay``."""
        xp = self._xp
        if learning_rate is None:
            learning_rate = self._lr_native()
        flags = self._weight_decay_flags
        for variable in variables:
            i = self._get_variable_index(variable)
            if not flags[i]:
                continue
            decay = (self.adam_weight_decay if self._should_use_adamw(variable)
                     else self.weight_decay)
            if decay is None:
                continue
            lr = xp.cast(learning_rate, variable.dtype)
            self.assign_sub(variable, variable.value * (decay * lr))

    def get_config(self):
        config = super().get_config()
        config.update({
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        })
        return config
