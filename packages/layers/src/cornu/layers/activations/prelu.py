"""``PReLU``: a leaky ReLU whose negative slope is learned."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, ``alpha`` learned.

    Args:
        alpha_initializer: initializer of the slopes (default zeros).
        alpha_regularizer, alpha_constraint: for the slopes.
        shared_axes: axes (1-based, the batch is axis 0) along which one slope is
            shared, e.g. ``[1, 2]`` for one slope per channel of an image.

    Weights: ``alpha`` with the input shape without the batch axis, size 1 on the
    shared axes.
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = _utils.get_initializer(alpha_initializer)
        self.alpha_regularizer = _utils.get_regularizer(alpha_regularizer)
        self.alpha_constraint = _utils.get_constraint(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]
        for axis in self.shared_axes or ():
            if isinstance(axis, bool) or not isinstance(axis, int) or axis < 1:
                raise ValueError(
                    "PReLU: `shared_axes` must hold positive axis indices (axis 0 is the "
                    f"batch), received shared_axes={shared_axes!r}"
                )

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis >= len(input_shape):
                raise ValueError(
                    f"Layer '{self.name}' (PReLU): shared axis {axis} is out of range for "
                    f"input shape {_utils.shape_str(input_shape)}"
                )
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(
                f"Layer '{self.name}' (PReLU): every non-shared axis must be known, "
                f"received input shape {_utils.shape_str(input_shape)}; share the unknown "
                "axes with shared_axes"
            )
        self.alpha = self.add_weight(
            shape=param_shape, name="alpha", initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
        )
        axes = {i: input_shape[i] for i in range(1, len(input_shape))
                if i not in (self.shared_axes or ())}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        pos = ops.relu(inputs)
        neg = ops.multiply(ops.negative(self.alpha), ops.relu(ops.negative(inputs)))
        return ops.add(pos, neg)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({
            "alpha_initializer": _utils.serialize_initializer(self.alpha_initializer),
            "alpha_regularizer": _utils.serialize_regularizer(self.alpha_regularizer),
            "alpha_constraint": _utils.serialize_constraint(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return cfg
