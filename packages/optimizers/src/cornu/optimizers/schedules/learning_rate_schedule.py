"""Learning-rate schedules (Keras 3 names, arguments, formulas and configs).

A schedule is called with the optimizer's iteration count (a ``cornu.Variable``,
a native tensor or a python int) and returns the learning rate as a native
0-d tensor.  The arithmetic is graph-safe on tensorflow (it runs inside the
trainer's ``tf.function``) and eager on torch.
"""
import math

from cornu.optimizers._math import get_math


def _float_dtype(xp, value):
    tensor = xp.convert(value)
    return tensor, xp.dtype_name(tensor)


class LearningRateSchedule:
    """The base class of learning-rate schedules.

    Subclasses implement ``__call__(step)`` (returning the learning rate for the
    given optimizer step) and ``get_config()``.  A schedule can be passed as the
    ``learning_rate`` of any optimizer.
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' "
            "must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' "
            "must override `get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Instantiate a schedule from the output of ``get_config()``."""
        return cls(**config)


def _check_positive(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class _RateDecay(LearningRateSchedule):
    """Shared by the schedules driven by ``decay_rate`` and ``step / decay_steps``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_positive("decay_steps", self.decay_steps)

    def __call__(self, step):
        xp = get_math()
        initial, dtype = _float_dtype(xp, self.initial_learning_rate)
        decay_steps = xp.cast(self.decay_steps, dtype)
        decay_rate = xp.cast(self.decay_rate, dtype)
        p = xp.cast(step, dtype) / decay_steps
        if self.staircase:
            p = xp.floor(p)
        return self._decay(xp, initial, decay_rate, p, dtype)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the initial learning rate (float).
        decay_steps: must be positive; see the formula.
        decay_rate: the decay rate.
        staircase: if True, ``step / decay_steps`` is an integer division and
            the learning rate decays in steps.
        name: defaults to ``"ExponentialDecay"``.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decay(self, xp, initial, decay_rate, p, dtype):
        return initial * xp.power(decay_rate, p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """A piecewise constant learning rate.

    ``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``boundaries[0] < step <= boundaries[1]``, ..., ``values[-1]`` after the
    last boundary.

    Args:
        boundaries: a list of increasing step numbers.
        values: a list with one more element than ``boundaries``.
        name: defaults to ``"PiecewiseConstant"``.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        super().__init__()
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of "
                f"values. Received: boundaries={boundaries} of length "
                f"{len(boundaries)}, and values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        xp = get_math()
        values = [xp.convert(v) for v in self.values]
        dtype = xp.dtype_name(values[0])
        step = xp.convert(step)
        step_dtype = xp.dtype_name(step)
        boundaries = [xp.cast(b, step_dtype) for b in self.boundaries]
        result = xp.cast(step <= boundaries[0], dtype) * values[0]
        result = result + xp.cast(step > boundaries[-1], dtype) * values[-1]
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            in_range = xp.cast(step > low, dtype) * xp.cast(step <= high, dtype)
            result = result + in_range * value
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """A polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``.

    ``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``;
    with ``cycle=True`` ``decay_steps`` grows to the next multiple above ``step``.

    Args:
        initial_learning_rate: the initial learning rate.
        decay_steps: must be positive.
        end_learning_rate: the final learning rate (default 0.0001).
        power: the polynomial's power (default 1.0, linear).
        cycle: whether to cycle beyond ``decay_steps``.
        name: defaults to ``"PolynomialDecay"``.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_positive("decay_steps", self.decay_steps)

    def __call__(self, step):
        xp = get_math()
        initial, dtype = _float_dtype(xp, self.initial_learning_rate)
        end = xp.cast(self.end_learning_rate, dtype)
        power = xp.cast(self.power, dtype)
        step = xp.cast(step, dtype)
        decay_steps = xp.cast(self.decay_steps, dtype)
        if self.cycle:
            multiplier = xp.where(xp.equal(step, 0), xp.cast(1.0, dtype),
                                  xp.ceil(step / decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = xp.minimum(step, decay_steps)
        p = step / decay_steps
        return (initial - end) * xp.power(1 - p, power) + end

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: the initial learning rate.
        decay_steps: how often to apply the decay (must be positive).
        decay_rate: the decay rate.
        staircase: if True, ``step / decay_steps`` is an integer division.
        name: defaults to ``"InverseTimeDecay"``.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decay(self, xp, initial, decay_rate, p, dtype):
        return initial / (xp.cast(1, dtype) + decay_rate * p)


class CosineDecay(LearningRateSchedule):
    """Cosine decay (SGDR without restarts), with an optional linear warmup.

    Without warmup: ``lr * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)``
    with ``s = min(step, decay_steps)``.  With ``warmup_target``, the rate first
    grows linearly from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps`` steps, then decays from ``warmup_target``.

    Args:
        initial_learning_rate: the initial learning rate.
        decay_steps: the number of decay steps (must be positive).
        alpha: the minimum learning rate as a fraction of the initial one.
        name: defaults to ``"CosineDecay"``.
        warmup_target: the learning rate at the end of warmup (None: no warmup).
        warmup_steps: the number of warmup steps.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_positive("decay_steps", self.decay_steps)

    def _decay_function(self, xp, step, decay_steps, decay_from_lr, dtype):
        completed_fraction = step / decay_steps
        pi = xp.cast(math.pi, dtype)
        cosine_decayed = 0.5 * (1.0 + xp.cos(pi * completed_fraction))
        decayed = (1 - self.alpha) * cosine_decayed + self.alpha
        return decay_from_lr * decayed

    def __call__(self, step):
        xp = get_math()
        initial, dtype = _float_dtype(xp, self.initial_learning_rate)
        decay_steps = xp.cast(self.decay_steps, dtype)
        step = xp.cast(step, dtype)
        if self.warmup_target is None:
            step = xp.minimum(step, decay_steps)
            return self._decay_function(xp, step, decay_steps, initial, dtype)
        warmup_target = xp.cast(self.warmup_target, dtype)
        warmup_steps = xp.cast(self.warmup_steps, dtype)
        step = xp.minimum(step, decay_steps + warmup_steps)
        # Both branches are cheap scalars: select instead of branching (graph-safe).
        safe_warmup = xp.maximum(warmup_steps, xp.cast(1.0, dtype))
        warmup = (warmup_target - initial) * (step / safe_warmup) + initial
        decay = self._decay_function(xp, step - warmup_steps, decay_steps, warmup_target,
                                     dtype)
        return xp.where(step < warmup_steps, warmup, decay)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2017).

    Each period is ``t_mul`` times longer than the previous one and starts
    from ``m_mul`` times the previous initial rate.

    Args:
        initial_learning_rate: the initial learning rate.
        first_decay_steps: the length of the first period (must be positive).
        t_mul: period length multiplier (default 2.0).
        m_mul: initial learning-rate multiplier per period (default 1.0).
        alpha: the minimum learning rate as a fraction of the initial one.
        name: defaults to ``"SGDRDecay"``.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_positive("first_decay_steps", self.first_decay_steps)

    def __call__(self, step):
        xp = get_math()
        initial, dtype = _float_dtype(xp, self.initial_learning_rate)
        first_decay_steps = xp.cast(self.first_decay_steps, dtype)
        alpha = xp.cast(self.alpha, dtype)
        t_mul = xp.cast(self._t_mul, dtype)
        m_mul = xp.cast(self._m_mul, dtype)
        completed_fraction = xp.cast(step, dtype) / first_decay_steps
        # t_mul is a python number: choose the formula in python (Keras uses a cond).
        if float(self._t_mul) == 1.0:
            i_restart = xp.floor(completed_fraction)
            completed_fraction = completed_fraction - i_restart
        else:
            i_restart = xp.floor(
                xp.log(1.0 - completed_fraction * (1.0 - t_mul)) / xp.log(t_mul)
            )
            sum_r = (1.0 - xp.power(t_mul, i_restart)) / (1.0 - t_mul)
            completed_fraction = (completed_fraction - sum_r) / xp.power(t_mul, i_restart)
        m_fac = xp.power(m_mul, i_restart)
        pi = xp.cast(math.pi, dtype)
        cosine_decayed = 0.5 * m_fac * (1.0 + xp.cos(pi * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return initial * decayed

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


ALL_SCHEDULES = (
    LearningRateSchedule,
    ExponentialDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    InverseTimeDecay,
    CosineDecay,
    CosineDecayRestarts,
)
