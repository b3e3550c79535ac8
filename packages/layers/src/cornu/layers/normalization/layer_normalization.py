"""``LayerNormalization``: normalize each sample over its feature axes."""
import warnings

from cornu import CornuWarning, ops
from cornu.layer import Layer
from cornu.layers import _utils


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Args:
        axis: int or list of ints, the axes to normalize over (and the shape of
            ``gamma``/``beta``).
        epsilon: float added to the variance.
        center: add the learned offset ``beta``.
        scale: multiply by the learned ``gamma``.
        beta_initializer, gamma_initializer: for the weights.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: for the weights.
        rms_scaling: deprecated in Keras (scales by the variance, no centering);
            kept for compatibility.

    Weights, in order: ``gamma``, ``beta``.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        if rms_scaling:
            warnings.warn("LayerNormalization: rms_scaling=True is deprecated (it scales by "
                          "the variance, not the root mean square).", stacklevel=2, category=CornuWarning)
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
                raise ValueError(
                    f"LayerNormalization: `axis` must be an int or a list of ints, "
                    f"received axis={axis!r}"
                )
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise ValueError(
                f"LayerNormalization: `axis` must be an int or a list of ints, received "
                f"axis={axis!r}"
            )
        self.epsilon = epsilon
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = _utils.get_initializer(beta_initializer)
        self.gamma_initializer = _utils.get_initializer(gamma_initializer)
        self.beta_regularizer = _utils.get_regularizer(beta_regularizer)
        self.gamma_regularizer = _utils.get_regularizer(gamma_regularizer)
        self.beta_constraint = _utils.get_constraint(beta_constraint)
        self.gamma_constraint = _utils.get_constraint(gamma_constraint)
        self.supports_masking = True
        self.autocast = False

    def _axes(self, ndim):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(
                    f"Layer '{self.name}' (LayerNormalization): axis {a} is out of range "
                    f"for an input of rank {ndim} (axis={self.axis})"
                )
        return sorted(a % ndim for a in axes)

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        if isinstance(self.axis, list):
            self.axis = sorted(self.axis)
        else:
            self.axis = [self.axis]
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(
                f"Layer '{self.name}' (LayerNormalization): the normalized axes {self.axis} "
                f"must be known, received input shape {_utils.shape_str(input_shape)}"
            )
        self.gamma = None
        self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                name="gamma", shape=shape, initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                trainable=True, autocast=False,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                name="beta", shape=shape, initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                trainable=True, autocast=False,
            )
        self.built = True

    def call(self, inputs):
        x = ops.convert_to_tensor(inputs)
        input_dtype = ops.dtype(x)
        x = ops.cast(x, "float64" if input_dtype == "float64" else "float32")
        ndim = len(x.shape)
        axes = self._axes(ndim)
        broadcast = [1] * ndim
        for a in axes:
            broadcast[a] = x.shape[a]

        def expand(v):
            if v is None:
                return None
            v = ops.cast(v, ops.dtype(x))
            return v if axes == [ndim - 1] else ops.reshape(v, broadcast)

        gamma, beta = expand(self.gamma), expand(self.beta)
        if self.rms_scaling:
            variance = ops.var(x, axis=axes, keepdims=True)
            out = ops.multiply(x, ops.rsqrt(ops.add(variance, self.epsilon)))
            if gamma is not None:
                out = ops.multiply(out, gamma)
        else:
            mean, variance = ops.moments(x, axes=axes, keepdims=True)
            inv = ops.rsqrt(ops.add(variance, self.epsilon))
            if gamma is not None:
                inv = ops.multiply(inv, gamma)
            shift = ops.negative(ops.multiply(mean, inv))
            if beta is not None:
                shift = ops.add(shift, beta)
            out = ops.add(ops.multiply(x, inv), shift)
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        self._axes(len(input_shape))
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": _utils.serialize_initializer(self.beta_initializer),
            "gamma_initializer": _utils.serialize_initializer(self.gamma_initializer),
            "beta_regularizer": _utils.serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": _utils.serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": _utils.serialize_constraint(self.beta_constraint),
            "gamma_constraint": _utils.serialize_constraint(self.gamma_constraint),
        })
        return cfg
