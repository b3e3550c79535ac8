"""An optimizer: signSGD with momentum ("signum", Bernstein et al. 2018).

    m = momentum * m + (1 - momentum) * g
    w = w - learning_rate * sign(m)

Written against ``cornu.ops`` and ``Optimizer.update_step``, so it runs on every
backend (inside ``tf.function`` on TensorFlow, eagerly on torch).
"""
from cornu import ops
from cornu.optimizers import Optimizer


class SignSGD(Optimizer):
    """signSGD with momentum.

    Args:
        learning_rate: the step size (default 0.001).
        momentum: in [0, 1) (default 0.9); 0 gives plain signSGD.
        **kwargs: the arguments every optimizer takes (``weight_decay``,
            ``clipnorm``, ``name``, ...).
    """

    def __init__(self, learning_rate=0.001, momentum=0.9, name="sign_sgd", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        momentum = float(momentum)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SignSGD: momentum must be in [0, 1), received {momentum}")
        self.momentum = momentum

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        m = self.momentums[self._get_variable_index(variable)]
        gradient = ops.cast(gradient, variable.dtype)
        lr = ops.cast(learning_rate, variable.dtype)
        new_m = ops.add(ops.multiply(m, self.momentum),
                        ops.multiply(gradient, 1.0 - self.momentum))
        self.assign(m, new_m)
        self.assign_sub(variable, ops.multiply(ops.sign(new_m), lr))

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}
