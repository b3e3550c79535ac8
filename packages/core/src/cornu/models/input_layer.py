"""``Input`` and ``InputLayer``: the entry points of a Functional model."""
from cornu import config
from cornu.layer import Layer
from cornu.symbolic import KerasTensor, Node


class InputLayer(Layer):
    """Holds the symbolic input tensor of a model.

    Args:
        shape: the shape without the batch dimension, e.g. ``(28, 28)``.
        batch_size: an optional fixed batch size.
        dtype: the input dtype (default floatx).
        batch_shape: the full shape including the batch dimension (instead of shape).
        input_tensor: an existing symbolic tensor to wrap.
        name: the layer name.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None,
                 batch_shape=None, input_tensor=None, optional=False, name=None, **kwargs):
        ragged = kwargs.pop("ragged", None)
        if ragged and not _supports_ragged():
            # As Keras: only a backend with ragged tensors takes ragged inputs.
            raise ValueError(
                f"`ragged=True` is not supported with the {_backend_name()} backend. "
                "Please use a backend that supports ragged tensors (one that declares "
                "the 'ragged' capability, such as tensorflow).")
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(
                    f"InputLayer '{self.name}': input_tensor must be a KerasTensor, "
                    f"received {type(input_tensor).__name__}"
                )
            batch_shape = input_tensor.shape
            dtype = input_tensor.dtype
        if shape is not None and batch_shape is not None:
            raise ValueError(
                f"InputLayer '{self.name}': pass shape or batch_shape, not both "
                f"(received shape={shape}, batch_shape={batch_shape})"
            )
        if batch_shape is None:
            if shape is None:
                raise ValueError(f"InputLayer '{self.name}': a shape or batch_shape is required")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self._batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self._dtype = str(dtype or config.floatx())
        self.sparse = bool(sparse)
        self.ragged = bool(ragged)
        if self.sparse and self.ragged:
            raise ValueError("You cannot pass both `sparse=True` and `ragged=True` to an "
                             "Input or InputLayer.")
        self.optional = optional
        self.built = True
        tensor = input_tensor if input_tensor is not None else KerasTensor(
            self._batch_shape, dtype=self._dtype, sparse=self.sparse, name=self.name,
            ragged=self.ragged)
        Node(self, outputs=tensor)  # ``self.output`` (Layer's property) reads this node
        self._input_tensor = tensor

    @property
    def batch_shape(self):
        return self._batch_shape

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self._batch_shape), "dtype": self._dtype,
                "sparse": self.sparse, "ragged": self.ragged, "name": self.name,
                "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
          name=None, tensor=None, optional=False, ragged=None):
    """A symbolic tensor to start a Functional model: ``x = cornu.Input(shape=(784,))``.

    ``ragged`` is Keras 3's argument: False (or None) is a dense input; True is refused
    on backends without ragged tensors (all but tensorflow), as in Keras.
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, input_tensor=tensor, optional=optional,
                       name=name, ragged=ragged)
    return layer.output


def _backend_name():
    from cornu import backend

    return backend.backend()


def _supports_ragged():
    from cornu.backend import supports

    return supports("ragged")
