"""``Normalization``: feature-wise ``(x - mean) / sqrt(variance)``.

``adapt()`` computes the statistics on the host with numpy (exact two-pass mean and
variance for an array, the pairwise merge of per-batch moments for a dataset or an
iterable of batches) and stores them in the layer's non-trainable variables
``mean``, ``variance`` and ``count`` (the Keras 3 weights, in Keras's order; ``count``
is kept at 0 as in Keras), so they
are saved and loaded with the model's weights. ``call`` runs on the backend.
"""
import math

import numpy as np

from cornu import config, ops
from cornu.layer import Layer
from cornu.layers.preprocessing import _common


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance per feature.

    The statistics are either given (``mean`` and ``variance``) or learned with
    ``adapt(data)``. The layer computes ``(inputs - mean) / sqrt(variance)`` (with the
    square root clipped below at ``cornu.config.epsilon()``); with ``invert=True`` it
    computes ``mean + inputs * sqrt(variance)``.

    Args:
        axis: int, tuple of ints or None: the axes that keep separate statistics for
            each index (default ``-1``, the feature axis); ``None`` normalizes with a
            single scalar mean and variance.
        mean: the mean value(s), broadcast to the kept axes; given with ``variance``.
        variance: the variance value(s), broadcast to the kept axes.
        invert: apply the inverse transformation (de-normalize).
        **kwargs: base ``Layer`` arguments.
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._build_input_shape = None
        if (mean is not None) != (variance is not None):
            raise ValueError(
                "Normalization: when setting values directly, both `mean` and `variance` "
                f"must be set. Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: `mean` and `variance` must have the same shape. "
                    f"Received: mean shape {np.shape(mean)} and variance shape "
                    f"{np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    "Normalization: the rank of `mean` must be less than or equal to the "
                    f"number of axes ({len(self.axis)}). Received: mean shape "
                    f"{np.shape(mean)} for axis {self.axis}"
                )

    def build(self, input_shape):
        if input_shape is None:
            return
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        self._build_input_shape = input_shape
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                "Normalization: all `axis` values must be in the range [-ndim, ndim). "
                f"Received inputs with ndim={ndim}, while axis={self.axis}"
            )
        self._keep_axis = tuple(sorted(d if d >= 0 else d + ndim for d in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(
                    "Normalization: all `axis` values to be kept must have a known shape. "
                    f"Received axis={self.axis}, inputs.shape={input_shape}, with unknown "
                    f"axis at index {d}"
                )
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(
            input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        shape = tuple(input_shape[d] for d in self._keep_axis)
        self._mean_and_var_shape = shape
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape,
                                                  initializer="ones", trainable=False)
            # Kept for the Keras weight layout (older saved models); Keras leaves it at 0.
            self.count = self.add_weight(name="count", shape=(), dtype="int32",
                                         initializer="zeros", trainable=False)
        else:
            mean = np.asarray(self.input_mean, dtype="float64")
            variance = np.asarray(self.input_variance, dtype="float64")
            if mean.ndim > 0:
                # Align the given values with the kept axes, right to left.
                expanded = [1] * ndim
                for i in range(1, mean.ndim + 1):
                    expanded[self._keep_axis[-i]] = mean.shape[-i]
                try:
                    mean = mean.reshape(expanded)
                    variance = variance.reshape(expanded)
                except ValueError:
                    raise ValueError(
                        f"Normalization: `mean` of shape {np.shape(self.input_mean)} cannot "
                        f"be broadcast to the kept axes of an input of shape {input_shape}"
                    ) from None
            try:
                mean = np.broadcast_to(mean, self._broadcast_shape)
                variance = np.broadcast_to(variance, self._broadcast_shape)
            except ValueError:
                raise ValueError(
                    f"Normalization: `mean` of shape {np.shape(self.input_mean)} cannot be "
                    f"broadcast to the shape {self._broadcast_shape} of an input of shape "
                    f"{input_shape}"
                ) from None
            self._given = (
                _common.constant(mean, self.compute_dtype),
                _common.constant(self._denominator(variance), self.compute_dtype),
            )
        self.built = True

    @staticmethod
    def _denominator(variance):
        return np.maximum(np.sqrt(variance), config.epsilon())

    # -- adapt -------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance of ``data`` along the reduced axes.

        Args:
            data: a numpy array, a backend tensor, a ``tf.data.Dataset`` (on
                TensorFlow installs) or an iterable of batches (arrays or ``(x, y)``
                tuples). Datasets and iterables must yield batches.
            batch_size: process an array in batches of this many rows.
            steps: the number of batches to read from a dataset or iterable.
        """
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization '{self.name}': cannot adapt a layer created with explicit "
                "`mean` and `variance`"
            )
        total_mean = total_var = None
        total_count = 0
        for batch in _common.adapt_batches(data, batch_size, steps, layer="Normalization",
                                               list_is_batches=True):
            batch = np.asarray(batch)
            if batch.dtype.kind not in "biuf":
                raise TypeError(
                    f"Normalization '{self.name}'.adapt() expects numeric data, received "
                    f"an array of dtype {batch.dtype}"
                )
            batch = batch.astype("float64")
            if not self.built:
                self.build(batch.shape)
            self._check_adapt_shape(batch.shape)
            mean = batch.mean(axis=self._reduce_axis)
            var = batch.var(axis=self._reduce_axis)
            count = math.prod(batch.shape[d] for d in self._reduce_axis)
            if count == 0:
                continue
            if total_mean is None:
                total_mean, total_var, total_count = mean, var, count
                continue
            # Chan et al.'s pairwise merge of (count, mean, M2), exact in real arithmetic.
            new_count = total_count + count
            delta = mean - total_mean
            new_mean = total_mean + delta * (count / new_count)
            m2 = total_var * total_count + var * count + delta ** 2 * (
                total_count * count / new_count)
            total_mean, total_var, total_count = new_mean, m2 / new_count, new_count
        if total_mean is None:
            raise ValueError(f"Normalization '{self.name}'.adapt() received no samples")
        self.adapt_mean.assign(total_mean.astype(self.adapt_mean.dtype))
        self.adapt_variance.assign(total_var.astype(self.adapt_variance.dtype))

    def _check_adapt_shape(self, shape):
        ref = self._build_input_shape
        if len(shape) != len(ref) or any(shape[d] != ref[d] for d in self._keep_axis):
            raise ValueError(
                f"Normalization '{self.name}': the layer was built with input_shape={ref}, "
                f"but adapt() received data with an incompatible shape {tuple(shape)}"
            )

    def finalize_state(self):
        """Kept for the Keras API: the statistics are read from the variables at call time."""

    # -- call ------------------------------------------------------------------------
    def _statistics(self):
        if self.input_mean is not None:
            return self._given
        dtype = self.compute_dtype
        mean = ops.reshape(ops.cast(self.adapt_mean.value, dtype), self._broadcast_shape)
        variance = ops.reshape(ops.cast(self.adapt_variance.value, dtype),
                               self._broadcast_shape)
        return mean, ops.maximum(ops.sqrt(variance), config.epsilon())

    def call(self, inputs):
        inputs = ops.convert_to_tensor(inputs, dtype=self.compute_dtype)
        mean, denominator = self._statistics()
        if self.invert:
            return ops.add(mean, ops.multiply(inputs, denominator))
        return ops.divide(ops.subtract(inputs, mean), denominator)

    def compute_output_shape(self, input_shape):
        return input_shape

    # -- state and config ------------------------------------------------------------
    def save_own_variables(self, store):
        """Keras's protocol: ``store["0"]``, ``["1"]``, ``["2"]`` = mean, variance, count."""
        for i, v in enumerate(self._own_weights()):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store):
        for i, v in enumerate(self._own_weights()):
            v.assign(np.asarray(store[str(i)]))

    def _own_weights(self):
        if self.input_mean is not None or not self.built:
            return []
        return [self.adapt_mean, self.adapt_variance, self.count]

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        })
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return cls(**config)

    def get_build_config(self):
        if self._build_input_shape:
            return {"input_shape": list(self._build_input_shape)}
        return None

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None:
            self._build_with(tuple(config["input_shape"]))
