"""``Discretization``: bucket continuous values by ranges.

``adapt()`` learns ``num_bins - 1`` quantile boundaries on the host with numpy, using
Keras's mergeable weighted-summary scheme (each batch is reduced to about
``1 / epsilon`` weighted points, summaries are merged and compressed, and the
boundaries are read off the merged cumulative weights by linear interpolation), so
the boundaries equal the ones Keras 3 learns from the same batches. ``call`` bucketizes
on the backend (``ops.digitize``) and encodes the bucket ids on device.
"""
import numpy as np

from cornu import ops
from cornu.layer import Layer
from cornu.layers.preprocessing import _common


class Discretization(Layer):
    """Places each element of the input into one of several contiguous ranges.

    ``bin_boundaries=[0., 1., 2.]`` makes the bins ``(-inf, 0)``, ``[0, 1)``,
    ``[1, 2)`` and ``[2, +inf)``.

    Args:
        bin_boundaries: the sorted bin boundaries; if given, do not call ``adapt``.
        num_bins: the number of bins to learn with ``adapt()`` (instead of
            ``bin_boundaries``).
        epsilon: the error tolerance of the quantile summary (default 0.01).
        output_mode: ``"int"`` (bin ids, int32), ``"one_hot"``, ``"multi_hot"`` or
            ``"count"`` (float encodings of depth ``len(bin_boundaries) + 1``).
        sparse: not supported by cornu (Keras supports it on TensorFlow only); must be
            False.
        dtype, name: as for every layer.
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError(
                "Discretization: `sparse=True` is not supported by cornu; the encoded "
                "outputs are dense tensors"
            )
        _common.check_output_mode(output_mode, ("int", "one_hot", "multi_hot", "count"),
                                  "Discretization")
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                "Discretization: `num_bins` must be greater than or equal to 0. "
                f"Received: num_bins={num_bins}"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Discretization: both `num_bins` and `bin_boundaries` should not be set. "
                f"Received: num_bins={num_bins} and bin_boundaries={bin_boundaries}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(
                "Discretization: you need to set either `num_bins` or `bin_boundaries`."
            )
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in np.asarray(bin_boundaries).reshape(-1)]
            if any(b > a for a, b in zip(bin_boundaries[1:], bin_boundaries[:-1])):
                raise ValueError(
                    "Discretization: `bin_boundaries` must be sorted in increasing order. "
                    f"Received: bin_boundaries={bin_boundaries}"
                )
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.bin_boundaries = bin_boundaries
        self.summary = None if bin_boundaries else np.zeros((2, 0), dtype="float32")

    @property
    def bin_boundaries(self):
        return self._bin_boundaries

    @bin_boundaries.setter
    def bin_boundaries(self, value):
        object.__setattr__(self, "_bin_boundaries",
                           None if value is None else [float(v) for v in value])
        object.__setattr__(self, "_boundaries_tensor", None)

    @property
    def output_dtype(self):
        return self.compute_dtype if self.output_mode != "int" else "int32"

    # -- adapt -------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn ``num_bins - 1`` quantile boundaries from ``data``.

        Args:
            data: a numpy array, a tensor, a ``tf.data.Dataset`` or an iterable of
                batches.
            batch_size: process an array in batches of this many rows.
            steps: the number of batches to read from a dataset or iterable.
        """
        if self.num_bins is None:
            raise ValueError(
                f"Discretization '{self.name}': cannot adapt a layer initialized with "
                "`bin_boundaries`; use `num_bins` instead."
            )
        self.reset_state()
        for batch in _common.adapt_batches(data, batch_size, steps, layer="Discretization",
                                               list_is_batches=True):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        data = np.asarray(_common.to_numpy(data))
        if data.dtype.kind not in "biuf":
            raise TypeError(
                f"Discretization '{self.name}'.adapt() expects numeric data, received an "
                f"array of dtype {data.dtype}"
            )
        summary = _summarize(data.astype("float32"), self.epsilon)
        self.summary = _merge_summaries(summary, self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        if self.summary.shape[1] == 0:
            raise ValueError(f"Discretization '{self.name}'.adapt() received no values")
        self.bin_boundaries = _compress_summary(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is None:
            return
        self.summary = np.zeros((2, 0), dtype="float32")

    # -- call ----------------------------------------------------------------------------
    def _depth(self):
        if self.bin_boundaries is not None:
            return len(self.bin_boundaries) + 1
        return self.num_bins

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"Discretization '{self.name}': you need to either pass the "
                "`bin_boundaries` argument at construction time or call `adapt(dataset)` "
                "before you can start using the layer."
            )
        boundaries = self._boundaries_tensor
        if boundaries is None:
            boundaries = _common.constant(self.bin_boundaries, "float32")
            object.__setattr__(self, "_boundaries_tensor", boundaries)
        inputs = ops.convert_to_tensor(inputs)
        if inputs.dtype != boundaries.dtype:
            inputs = ops.cast(inputs, "float32")
        indices = ops.digitize(inputs, boundaries)
        return _common.encode_categorical(indices, self.output_mode, self._depth(),
                                          self.output_dtype)

    def compute_output_shape(self, input_shape):
        return _common.encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs):
        return _common.symbolic_spec(self.compute_output_shape(inputs.shape),
                                     self.output_dtype)

    # -- config --------------------------------------------------------------------------
    def get_config(self):
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": Layer.get_config(self)["dtype"],
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # An adapted layer: both are set, which __init__ refuses.
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)


def _summarize(values, epsilon):
    """About ``1/epsilon`` evenly spaced order statistics of ``values``, each weighted by
    the number of values it stands for: a ``(2, k)`` array (values; weights)."""
    values = np.sort(values.reshape(-1))
    step = max(values.size / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _merge_summaries(a, b, epsilon):
    merged = np.concatenate((a, b), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


def _compress_summary(summary, epsilon):
    """Re-sample a summary at the cumulative-weight fractions ``epsilon, 2 epsilon, ...``."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    cum_fraction = cum / cum[-1]
    values = np.interp(fractions, cum_fraction, summary[0])
    new_cum = np.interp(fractions, cum_fraction, cum)
    weights = new_cum - np.concatenate((np.array([0]), new_cum[:-1]))
    return np.stack((values, weights)).astype("float32")
