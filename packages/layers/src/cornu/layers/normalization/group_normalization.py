"""``GroupNormalization``: normalize groups of channels of each sample."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class GroupNormalization(Layer):
    """Splits the channels (``axis``) into ``groups`` and normalizes each group of each
    sample over its channels and the other non-batch axes.

    ``groups=1`` is layer normalization over all axes; ``groups=-1`` (one group per
    channel) is instance normalization.

    Args:
        groups: the number of groups (it must divide the channels), or -1.
        axis: the channel axis (default -1).
        epsilon: float added to the variance.
        center, scale: learn an offset ``beta`` / a scale ``gamma`` per channel.
        beta_initializer, gamma_initializer: for the weights.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: for the weights.

    Weights, in order: ``gamma`` ``(channels,)``, ``beta`` ``(channels,)``.
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        if isinstance(groups, bool) or not isinstance(groups, int) or (
                groups <= 0 and groups != -1):
            raise ValueError(
                f"GroupNormalization: `groups` must be a positive int or -1, received "
                f"groups={groups!r}"
            )
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = _utils.get_initializer(beta_initializer)
        self.gamma_initializer = _utils.get_initializer(gamma_initializer)
        self.beta_regularizer = _utils.get_regularizer(beta_regularizer)
        self.gamma_regularizer = _utils.get_regularizer(gamma_regularizer)
        self.beta_constraint = _utils.get_constraint(beta_constraint)
        self.gamma_constraint = _utils.get_constraint(gamma_constraint)

    def build(self, input_shape):
        where = f"Layer '{self.name}' (GroupNormalization)"
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(
                f"{where}: axis {self.axis} is out of range for input shape "
                f"{_utils.shape_str(input_shape)}"
            )
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"{where}: axis {self.axis} of the input must have a known size, received "
                f"input shape {_utils.shape_str(input_shape)}"
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(
                f"{where}: the number of groups ({self.groups}) cannot be more than the "
                f"number of channels ({dim})"
            )
        if dim % self.groups:
            raise ValueError(
                f"{where}: the number of channels ({dim}) must be a multiple of the number "
                f"of groups ({self.groups})"
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.gamma = self.add_weight(
            shape=(dim,), name="gamma", initializer=self.gamma_initializer,
            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
            autocast=False) if self.scale else None
        self.beta = self.add_weight(
            shape=(dim,), name="beta", initializer=self.beta_initializer,
            regularizer=self.beta_regularizer, constraint=self.beta_constraint,
            autocast=False) if self.center else None
        self.built = True

    def call(self, inputs):
        inputs = ops.convert_to_tensor(inputs)
        ndim = len(inputs.shape)
        axis = self.axis % ndim
        dim = inputs.shape[axis]
        shape = ops.shape(inputs)
        grouped_shape = [-1] + [shape[i] for i in range(1, axis)] + [
            self.groups, dim // self.groups] + [shape[i] for i in range(axis + 1, ndim)]
        x = ops.reshape(inputs, grouped_shape)
        dtype = ops.dtype(x)
        if dtype in ("float16", "bfloat16"):
            x = ops.cast(x, "float32")
        # Reduce over every axis but the batch and the groups.
        axes = [i for i in range(1, ndim + 1) if i != axis]
        mean, variance = ops.moments(x, axes=axes, keepdims=True)
        inv = ops.rsqrt(ops.add(variance, self.epsilon))
        param_shape = [1] * (ndim + 1)
        param_shape[axis] = self.groups
        param_shape[axis + 1] = dim // self.groups
        if self.gamma is not None:
            inv = ops.multiply(inv, ops.cast(ops.reshape(self.gamma, param_shape), x.dtype))
        offset = ops.multiply(ops.negative(mean), inv)
        if self.beta is not None:
            offset = ops.add(offset, ops.cast(ops.reshape(self.beta, param_shape), x.dtype))
        out = ops.add(ops.multiply(x, inv), offset)
        return ops.cast(ops.reshape(out, shape), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _utils.serialize_initializer(self.beta_initializer),
            "gamma_initializer": _utils.serialize_initializer(self.gamma_initializer),
            "beta_regularizer": _utils.serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": _utils.serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": _utils.serialize_constraint(self.beta_constraint),
            "gamma_constraint": _utils.serialize_constraint(self.gamma_constraint),
        })
        return cfg
