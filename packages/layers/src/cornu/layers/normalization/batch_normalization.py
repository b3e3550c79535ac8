"""``BatchNormalization``: normalize with batch statistics in training, moving ones at inference."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils


class BatchNormalization(Layer):
    """Normalizes ``axis`` to zero mean and unit variance, then scales and shifts.

    Training (``training=True`` and the layer trainable): normalizes with the
    batch's mean and variance and updates the moving statistics::

        moving_mean = moving_mean * momentum + mean * (1 - momentum)

    (``Variable.assign``, so this works eagerly, under torch autograd and
    inside ``tf.function``).  Inference: normalizes with the moving statistics.
    Output: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Args:
        axis: int, the features axis (usually -1; 1 for channels-first images).
        momentum: float, the momentum of the moving statistics.
        epsilon: float added to the variance.
        center: add the learned offset ``beta``.
        scale: multiply by the learned ``gamma``.
        beta_initializer, gamma_initializer: for the weights.
        moving_mean_initializer, moving_variance_initializer: for the moving statistics.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: for the weights.
        synchronized: passed to ``cornu.ops.moments`` (cross-replica statistics
            where the backend supports them).
        renorm: batch renormalization (Ioffe, 2017): in training the batch-normalized
            values are corrected by ``r = std_batch / std_renorm`` and
            ``d = (mean_batch - mean_renorm) / std_renorm`` (no gradient through
            them), so training and inference see the same transform once the
            statistics settle.  The moving standard deviation is tracked, and the
            moving variance derived from it.
        renorm_clipping: ``{"rmin", "rmax", "dmax"}`` bounds for ``r`` and ``|d|``
            (any may be left out).
        renorm_momentum: the momentum of the renorm statistics.

    Weights, in order: ``gamma``, ``beta`` (trainable), ``moving_mean``,
    ``moving_variance`` (non-trainable), each of shape ``(features,)``; with
    ``renorm`` also ``moving_stddev``, ``renorm_mean`` and ``renorm_stddev``
    (non-trainable), as Keras.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(
                f"BatchNormalization: `axis` must be an int, received axis={axis!r}"
            )
        if renorm:
            renorm_clipping = dict(renorm_clipping or {})
            unknown = set(renorm_clipping) - {"rmin", "rmax", "dmax"}
            if unknown:
                raise ValueError(
                    f"BatchNormalization: renorm_clipping takes the keys 'rmin', 'rmax' and "
                    f"'dmax', received {renorm_clipping!r} (unknown: {sorted(unknown)})")
            rmin, rmax = renorm_clipping.get("rmin"), renorm_clipping.get("rmax")
            dmax = renorm_clipping.get("dmax")
            if rmin is not None and rmax is not None and rmax < rmin:
                raise ValueError(f"BatchNormalization: renorm_clipping needs rmax >= rmin, "
                                 f"received rmax={rmax}, rmin={rmin}")
            if dmax is not None and dmax < 0:
                raise ValueError(f"BatchNormalization: renorm_clipping needs dmax >= 0, "
                                 f"received dmax={dmax}")
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = _utils.get_initializer(beta_initializer)
        self.gamma_initializer = _utils.get_initializer(gamma_initializer)
        self.moving_mean_initializer = _utils.get_initializer(moving_mean_initializer)
        self.moving_variance_initializer = _utils.get_initializer(moving_variance_initializer)
        self.beta_regularizer = _utils.get_regularizer(beta_regularizer)
        self.gamma_regularizer = _utils.get_regularizer(gamma_regularizer)
        self.beta_constraint = _utils.get_constraint(beta_constraint)
        self.gamma_constraint = _utils.get_constraint(gamma_constraint)
        self.synchronized = bool(synchronized)
        self.renorm = bool(renorm)
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.supports_masking = True
        self.gamma = None
        self.beta = None
        self.moving_mean = None
        self.moving_variance = None
        self._reduction_axes = None

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization): axis={self.axis} is out of "
                f"range for input shape {_utils.shape_str(input_shape)}"
            )
        features = input_shape[self.axis]
        if features is None:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization): axis {self.axis} of the input "
                f"must be known, received input shape {_utils.shape_str(input_shape)}"
            )
        shape = (features,)
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma", shape=shape, initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                trainable=True, autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                name="beta", shape=shape, initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                trainable=True, autocast=False,
            )
        self.moving_mean = self.add_weight(
            name="moving_mean", shape=shape, initializer=self.moving_mean_initializer,
            trainable=False, autocast=False,
        )
        self.moving_variance = self.add_weight(
            name="moving_variance", shape=shape,
            initializer=self.moving_variance_initializer, trainable=False, autocast=False,
        )
        if self.renorm:
            # The standard deviations start at the square root of the variance
            # initializer's values; the renorm mean at the moving mean's.
            def stddev_initializer(shape, dtype=None):
                return ops.sqrt(_utils.get_initializer(
                    _utils.serialize_initializer(self.moving_variance_initializer))(
                        shape, dtype=dtype))

            def statistic(name, initializer):
                return self.add_weight(name=name, shape=shape, initializer=initializer,
                                       trainable=False, autocast=False)

            self.moving_stddev = statistic("moving_stddev", stddev_initializer)
            self.renorm_mean = statistic("renorm_mean", _utils.get_initializer(
                _utils.serialize_initializer(self.moving_mean_initializer)))
            self.renorm_stddev = statistic("renorm_stddev", stddev_initializer)
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: features})
        axis = self.axis % ndim
        self._reduction_axes = [i for i in range(ndim) if i != axis]
        self.built = True

    def _moments(self, inputs, mask):
        if mask is None:
            return ops.moments(inputs, axes=self._reduction_axes,
                               synchronized=self.synchronized)
        weights = ops.cast(ops.expand_dims(ops.convert_to_tensor(mask), -1), inputs.dtype)
        weights = ops.broadcast_to(weights, ops.shape(inputs))
        total = ops.sum(weights, axis=self._reduction_axes, keepdims=True)
        mean = ops.divide(ops.sum(ops.multiply(inputs, weights), axis=self._reduction_axes,
                                  keepdims=True), total)
        centered = ops.subtract(inputs, mean)
        variance = ops.divide(
            ops.sum(ops.multiply(ops.square(centered), weights), axis=self._reduction_axes,
                    keepdims=True), total)
        return ops.squeeze(mean, self._reduction_axes), ops.squeeze(variance,
                                                                   self._reduction_axes)

    def call(self, inputs, training=None, mask=None):
        inputs = ops.convert_to_tensor(inputs)
        if mask is not None and len(mask.shape) != len(inputs.shape) - 1:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization): the mask must have one "
                f"dimension less than the inputs, received mask shape "
                f"{tuple(mask.shape)} and inputs shape {tuple(inputs.shape)}"
            )
        input_dtype = ops.dtype(inputs)
        compute_dtype = "float64" if input_dtype == "float64" else "float32"
        inputs = ops.cast(inputs, compute_dtype)
        moving_mean = ops.cast(self.moving_mean, compute_dtype)
        moving_variance = ops.cast(self.moving_variance, compute_dtype)
        gamma = ops.cast(self.gamma, compute_dtype) if self.scale else None
        beta = ops.cast(self.beta, compute_dtype) if self.center else None
        if training and self.trainable and self.renorm:
            mean, variance = self._moments(inputs, mask)
            gamma, beta = self._renormalize(mean, variance, gamma, beta, compute_dtype)
        elif training and self.trainable:
            mean, variance = self._moments(inputs, mask)
            keep = self.momentum
            self.moving_mean.assign(ops.stop_gradient(
                ops.add(ops.multiply(moving_mean, keep), ops.multiply(mean, 1.0 - keep))))
            self.moving_variance.assign(ops.stop_gradient(
                ops.add(ops.multiply(moving_variance, keep),
                        ops.multiply(variance, 1.0 - keep))))
        else:
            mean, variance = moving_mean, moving_variance
        outputs = ops.batch_normalization(inputs, mean, variance, axis=self.axis,
                                          offset=beta, scale=gamma, epsilon=self.epsilon)
        return ops.cast(outputs, self.compute_dtype)

    def _renormalize(self, mean, variance, gamma, beta, dtype):
        """Batch renorm: the scale and offset that apply the (r, d) correction, and the
        updates of the renorm and moving statistics."""
        def moving(variable, value, keep):
            old = ops.cast(variable, dtype)
            return ops.stop_gradient(ops.add(ops.multiply(old, keep),
                                             ops.multiply(value, 1.0 - keep)))

        stddev = ops.sqrt(ops.add(variance, self.epsilon))
        renorm_mean = ops.cast(self.renorm_mean, dtype)
        # floored at sqrt(epsilon): no division by ~0 in the first steps
        renorm_stddev = ops.maximum(ops.cast(self.renorm_stddev, dtype), self.epsilon ** 0.5)
        r = ops.divide(stddev, renorm_stddev)
        d = ops.divide(ops.subtract(mean, renorm_mean), renorm_stddev)
        bounds = self.renorm_clipping or {}
        if bounds.get("rmin") is not None:
            r = ops.maximum(r, bounds["rmin"])
        if bounds.get("rmax") is not None:
            r = ops.minimum(r, bounds["rmax"])
        if bounds.get("dmax") is not None:
            d = ops.clip(d, -bounds["dmax"], bounds["dmax"])
        r, d = ops.stop_gradient(r), ops.stop_gradient(d)
        # (x_hat * r + d) * gamma + beta  ==  x_hat * (r * gamma) + (d * gamma + beta)
        new_gamma = r if gamma is None else ops.multiply(r, gamma)
        new_beta = d if gamma is None else ops.multiply(d, gamma)
        if beta is not None:
            new_beta = ops.add(new_beta, beta)

        self.renorm_mean.assign(moving(self.renorm_mean, mean, self.renorm_momentum))
        self.renorm_stddev.assign(moving(self.renorm_stddev, stddev, self.renorm_momentum))
        self.moving_mean.assign(moving(self.moving_mean, mean, self.momentum))
        moving_stddev = moving(self.moving_stddev, stddev, self.momentum)
        self.moving_stddev.assign(moving_stddev)
        # the inference variance follows the stddev (relu: rounding may make it negative)
        self.moving_variance.assign(ops.relu(ops.subtract(ops.square(moving_stddev),
                                                          self.epsilon)))
        return new_gamma, new_beta

    def compute_output_shape(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization): axis={self.axis} is out of "
                f"range for input shape {_utils.shape_str(input_shape)}"
            )
        return input_shape

    def get_config(self):
        cfg = Layer.get_config(self)
        cfg.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _utils.serialize_initializer(self.beta_initializer),
            "gamma_initializer": _utils.serialize_initializer(self.gamma_initializer),
            "moving_mean_initializer": _utils.serialize_initializer(
                self.moving_mean_initializer),
            "moving_variance_initializer": _utils.serialize_initializer(
                self.moving_variance_initializer),
            "beta_regularizer": _utils.serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": _utils.serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": _utils.serialize_constraint(self.beta_constraint),
            "gamma_constraint": _utils.serialize_constraint(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return cfg
