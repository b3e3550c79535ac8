"""``Merge``: the base of the layers that combine a list of tensors elementwise."""
from cornu import ops
from cornu.layer import Layer
from cornu.layers import _utils


def _is_shape(s):
    return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, int) for d in s)


class Merge(Layer):
    """Combines a list of tensors of broadcast-compatible shapes, elementwise.

    Inputs of lower rank get axes of size 1 inserted after the batch axis
    (as Keras).  Subclasses implement ``_merge_function(inputs)``.
    """

    _min_inputs = 1
    _max_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    # -- shapes --------------------------------------------------------------------
    def _check_input_list(self, input_shape):
        cls = type(self).__name__
        if not isinstance(input_shape, (list, tuple)) or _is_shape(input_shape):
            raise ValueError(
                f"Layer '{self.name}' ({cls}) must be called on a list of inputs, "
                f"received an input of shape {input_shape}"
            )
        n = len(input_shape)
        if n < self._min_inputs or (self._max_inputs is not None and n > self._max_inputs):
            expected = (f"exactly {self._min_inputs}" if self._min_inputs == self._max_inputs
                        else f"at least {self._min_inputs}")
            raise ValueError(
                f"Layer '{self.name}' ({cls}) must be called on a list of {expected} "
                f"inputs, received {n} inputs with shapes {list(input_shape)}"
            )
        batch = {tuple(s)[0] for s in input_shape if s} - {None}
        if len(batch) > 1:
            raise ValueError(
                f"Layer '{self.name}' ({cls}) cannot merge tensors with different batch "
                f"sizes, received shapes {list(input_shape)}"
            )

    def _elementwise_shape(self, shape1, shape2):
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return tuple(shape1)
        out = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                out.append(i if j == 1 else j if i == 1 else None)
            elif i == 1:
                out.append(j)
            elif j == 1 or i == j:
                out.append(i)
            else:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): inputs have incompatible "
                    f"shapes {_utils.shape_str(shape1)} and {_utils.shape_str(shape2)}"
                )
        return tuple(out)

    def build(self, input_shape):
        self._check_input_list(input_shape)
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_input_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        out = shapes[0][1:]
        for s in shapes[1:]:
            out = self._elementwise_shape(out, s[1:])
        batch = {s[0] for s in shapes} - {None}
        return (batch.pop() if batch else None,) + tuple(out)

    def compute_output_spec(self, inputs):
        shape = self.compute_output_shape([t.shape for t in inputs])
        return _utils.common_dtype_spec(shape, inputs, self.compute_dtype)

    # -- calling --------------------------------------------------------------------
    def _merge_function(self, inputs):
        raise NotImplementedError

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) must be called on a list of "
                f"inputs, received {type(inputs).__name__}"
            )
        inputs = [ops.convert_to_tensor(x) for x in inputs]
        ranks = [len(x.shape) for x in inputs]
        top = max(ranks)
        if min(ranks) != top:
            expanded = []
            for x, r in zip(inputs, ranks):
                for _ in range(top - r):
                    x = ops.expand_dims(x, 1)
                expanded.append(x)
            inputs = expanded
        return self._merge_function(inputs)

    def compute_mask(self, inputs, mask=None):
        # Keras 3: an element is kept where any input keeps it; no mask if an input
        # has none (right for Add, Subtract, Average, Maximum, Minimum, Multiply).
        if mask is None or any(m is None for m in mask):
            return None
        output_mask = mask[0]
        for m in mask[1:]:
            output_mask = ops.logical_or(output_mask, m)
        return output_mask

    def get_config(self):
        return Layer.get_config(self)

