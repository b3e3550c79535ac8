"""``LossScaleOptimizer``: dynamic loss scaling for mixed-precision training."""
from cornu.optimizers.optimizer import Optimizer
from cornu.variables import Variable

# The base-optimizer arguments Keras accepts (at their defaults only) when loading an
# old config, where LossScaleOptimizer wrote them out although they did nothing.
_BASE_DEFAULTS = {
    "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
    "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
    "loss_scale_factor": None, "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Wraps an optimizer and scales the loss dynamically so float16 gradients don't underflow.

    The training step multiplies the loss by the current scale
    (``scale_loss(loss)``) before differentiating; ``apply`` divides the
    gradients by the scale and then:

    - if any gradient has an inf or a NaN, skips the step (the inner
      optimizer, its slots and its ``iterations`` are untouched), halves the
      scale and restarts the growth count;
    - otherwise applies the inner optimizer to the unscaled gradients, and
      doubles the scale after ``dynamic_growth_steps`` finite steps in a row.

    On torch the finiteness test is one fused kernel over all gradients and
    one host read of its flag per step (a skipped step must not run the inner
    update); on tensorflow the whole decision is a ``tf.cond`` that runs
    inside the trainer's ``tf.function``.

    Variables: ``iteration``, ``learning_rate`` (unused, as in Keras),
    ``step_counter``, ``dynamic_scale``, then the inner optimizer's.
    ``iterations`` and ``learning_rate`` are the inner optimizer's.

    Args:
        inner_optimizer: the ``Optimizer`` to wrap (its own ``loss_scale_factor``
            is reset to None so gradients are not unscaled twice).
        initial_scale: the starting loss scale (default ``2 ** 15``); a high value
            is cheap, since a too-high scale halves at once.
        dynamic_growth_steps: finite steps between doublings (default 2000).
        name: the optimizer's name.
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{arg}`. Instead, set `{arg}` "
                    "on the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`."
            )
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(
                "LossScaleOptimizer: `inner_optimizer` must be a cornu.optimizers.Optimizer, "
                f"received {inner_optimizer!r}"
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        inner_optimizer.loss_scale_factor = None

    # -- the loss scale -----------------------------------------------------------------
    @property
    def loss_scale_factor(self):
        """Not None, so that training steps call ``scale_loss`` (the scale itself is dynamic).

        Keras 3 leaves this None on a ``LossScaleOptimizer`` because its trainers
        call ``scale_loss`` unconditionally; cornu's call it when this is set.
        The factor actually used is ``dynamic_scale`` (``initial_scale`` before
        the optimizer is built).
        """
        return self.initial_scale

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        if value is not None:
            raise ValueError(
                "LossScaleOptimizer does not support `loss_scale_factor`. Instead, set "
                "`loss_scale_factor` on the `inner_optimizer`."
            )

    def scale_loss(self, loss):
        """``loss * scale`` (computed in float32 at least, so a float16 loss can't overflow)."""
        xp = self._xp
        if not xp.is_native(loss):
            loss = xp.convert(loss)
        dtype = xp.dtype_name(loss)
        if dtype in ("float16", "bfloat16"):
            loss = xp.cast(loss, "float32")
            dtype = "float32"
        scale = self.dynamic_scale.value if self.built else self.initial_scale
        return loss * xp.cast(scale, dtype)

    # -- variables ------------------------------------------------------------------------
    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        from cornu.initializers import Constant

        self.step_counter = self.add_variable((), initializer="zeros", dtype="int64",
                                              name="step_counter")
        self.dynamic_scale = self.add_variable((), initializer=Constant(self.initial_scale),
                                               dtype="float32", name="dynamic_scale")
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        return self._variables + self.inner_optimizer.variables

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    # -- applying gradients -----------------------------------------------------------------
    def apply(self, grads, trainable_variables=None):
        """Unscale ``grads`` and apply them with the inner optimizer, or skip the step.

        Args:
            grads: the gradients of the scaled loss (None for a variable without one).
            trainable_variables: the variables (default: those it was built with).
        """
        grads = list(grads)
        if not grads:
            return
        if not self.built:
            if trainable_variables is None:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already "
                    "be built on a list of variables. Call "
                    "`optimizer.build(trainable_variables)` first."
                )
            self.build(trainable_variables)
        xp = self._xp
        with xp.no_grad():
            present = [k for k, g in enumerate(grads) if g is not None]
            if not present:
                raise ValueError("No gradients provided for any variable.")
            native = [self._native_gradient(grads[k]) for k in present]
            unscaled, finite = self._unscale_and_check(native)
            grads = list(grads)
            for k, g in zip(present, unscaled):
                grads[k] = g

            def finite_step():
                self.inner_optimizer.apply(grads, trainable_variables)
                self._count_finite_step()

            xp.run_if(finite, finite_step, self._skip_step)

    def _native_gradient(self, g):
        xp = self._xp
        if isinstance(g, Variable):
            g = g.value
        if not xp.is_native(g):
            g = xp.convert(g)
        return xp.densify(g)

    def _unscale_and_check(self, grads):
        """The gradients divided by the scale, and a boolean scalar: all finite."""
        xp = self._xp
        scale = self.dynamic_scale.value
        # Unscale half-precision gradients in float32: the scale itself may not fit in
        # float16 (2 ** 16 and up); the inner optimizer casts them to the variables' dtype.
        grads = [xp.cast(g, "float32") if xp.dtype_name(g) in ("float16", "bfloat16") else g
                 for g in grads]
        if xp.fused:
            # One fused pass (the backend's), or None when the gradients don't allow it.
            fused = xp.list_unscale_and_check(grads, scale)
            if fused is not None:
                return fused
        unscaled = [g / xp.cast(scale, xp.dtype_name(g)) for g in grads]
        return unscaled, xp.all_finite(grads)

    def _count_finite_step(self):
        """Count a finite step; at ``dynamic_growth_steps`` double the scale and restart."""
        xp = self._xp
        counter = self.step_counter.value
        scale = self.dynamic_scale.value
        grow = xp.equal(counter, self.dynamic_growth_steps - 1)
        self.assign(scale, xp.where(grow, scale * 2.0, scale))
        self.assign(counter, xp.where(grow, xp.cast(0, "int64"), counter + 1))

    def _skip_step(self):
        self.assign(self.step_counter, self.step_counter.value * 0)
        self.assign(self.dynamic_scale, self.dynamic_scale.value * 0.5)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    # -- config -------------------------------------------------------------------------------
    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        return {
            "name": self.name,
            "inner_optimizer": serialize_cornu_object(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.serialization import deserialize_cornu_object

        config = dict(config)
        inner = deserialize_cornu_object(config.pop("inner_optimizer"),
                                         custom_objects=custom_objects, kind="optimizer")
        return cls(inner, **config)

