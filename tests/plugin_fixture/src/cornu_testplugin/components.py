"""A layer and an optimizer as a third party would write them."""
import cornu
from cornu import ops


class ScaledDense(cornu.Layer):
    """``scale * (x @ kernel)``: a dense layer without bias and a fixed output scale."""

    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.scale = float(scale)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return ops.multiply(ops.matmul(inputs, self.kernel), self.scale)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scale": self.scale}


class PlainGD:
    """Plain gradient descent: ``w -= learning_rate * g``; works on every backend."""

    def __init__(self, learning_rate=0.1, name="plain_gd"):
        self.learning_rate = float(learning_rate)
        self.name = name
        self.built = False
        self.variables = []

    def build(self, variables):
        self.iterations = cornu.Variable(0, dtype="int64", trainable=False, name="iterations")
        self.variables = [self.iterations]
        self.built = True

    def apply(self, grads, trainable_variables):
        if not self.built:
            self.build(trainable_variables)
        for g, v in zip(grads, trainable_variables):
            if g is not None:
                v.assign_sub(ops.multiply(g, self.learning_rate))
        self.iterations.assign_add(1)

    def apply_gradients(self, grads_and_vars):
        grads, variables = zip(*grads_and_vars)
        self.apply(list(grads), list(variables))

    def get_config(self):
        return {"learning_rate": self.learning_rate, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
