"""The weight arguments shared by the recurrent cells (private helpers)."""
from cornu.layers import _utils

_INITIALIZERS = ("kernel_initializer", "recurrent_initializer", "bias_initializer")
_REGULARIZERS = ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer")
_CONSTRAINTS = ("kernel_constraint", "recurrent_constraint", "bias_constraint")
WEIGHT_ARGS = _INITIALIZERS + _REGULARIZERS + _CONSTRAINTS


def set_weight_args(cell, **arguments):
    """Resolve and set the initializer/regularizer/constraint arguments on ``cell``."""
    for name in _INITIALIZERS:
        setattr(cell, name, _utils.get_initializer(arguments[name]))
    for name in _REGULARIZERS:
        setattr(cell, name, _utils.get_regularizer(arguments[name]))
    for name in _CONSTRAINTS:
        setattr(cell, name, _utils.get_constraint(arguments[name]))


def weight_args_config(cell):
    """The serialized weight arguments of ``cell`` (config entries)."""
    config = {}
    for name in _INITIALIZERS:
        config[name] = _utils.serialize_initializer(getattr(cell, name))
    for name in _REGULARIZERS:
        config[name] = _utils.serialize_regularizer(getattr(cell, name))
    for name in _CONSTRAINTS:
        config[name] = _utils.serialize_constraint(getattr(cell, name))
    return config


def add_kernels(cell, input_dim, width, kernel_shape=None, recurrent_shape=None):
    """Create ``kernel`` and ``recurrent_kernel`` (Keras names and order)."""
    cell.kernel = cell.add_weight(
        name="kernel", shape=kernel_shape or (input_dim, width),
        initializer=cell.kernel_initializer, regularizer=cell.kernel_regularizer,
        constraint=cell.kernel_constraint)
    cell.recurrent_kernel = cell.add_weight(
        name="recurrent_kernel", shape=recurrent_shape or (cell.units, width),
        initializer=cell.recurrent_initializer, regularizer=cell.recurrent_regularizer,
        constraint=cell.recurrent_constraint)


def add_bias(cell, shape, initializer=None):
    return cell.add_weight(
        name="bias", shape=shape, initializer=initializer or cell.bias_initializer,
        regularizer=cell.bias_regularizer, constraint=cell.bias_constraint)


def forget_bias_initializer(base, units):
    """A bias initializer giving ``base`` everywhere except ones for the forget gate
    (the second of four gates): Keras's ``unit_forget_bias``."""
    from cornu import ops

    def initializer(shape, dtype=None):
        return ops.concatenate([
            base((units,), dtype=dtype), ops.ones((units,), dtype=dtype),
            base((units * 2,), dtype=dtype)])

    return initializer


def forward_properties(cls, names):
    """Give the layer class ``cls`` read-only properties reading its ``cell``'s ``names``."""
    for name in names:
        setattr(cls, name, property(lambda self, _n=name: getattr(self.cell, _n)))
    return cls
