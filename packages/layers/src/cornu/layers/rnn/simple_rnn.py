"""``SimpleRNNCell`` and ``SimpleRNN``: the fully-connected recurrence ``h = act(x W + h U + b)``."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils
from cornu.layers.rnn import _cell_args
from cornu.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from cornu.layers.rnn.rnn import RNN


class SimpleRNNCell(Layer, DropoutRNNCell):
    """One step of a fully-connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @
    recurrent_kernel + bias)``.

    Args:
        units: positive int, the size of the state and the output.
        activation: the activation (default tanh; None for linear).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers of the
            ``(input_dim, units)`` kernel, ``(units, units)`` recurrent kernel and
            ``(units,)`` bias.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: their regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: their constraints.
        dropout: fraction of the inputs dropped (one mask per sequence) in training.
        recurrent_dropout: fraction of the previous state dropped in training.
        seed: seed of the dropout masks.

    Call arguments: ``inputs (batch, features)``, ``states`` (``[h]``), ``training``.
    Weights, in order: ``kernel``, ``recurrent_kernel``, ``bias``.
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        _utils.check_positive_int(units, "units", type(self).__name__)
        super().__init__(**kwargs)
        self.units = units
        self.activation = _utils.get_activation(activation)
        self.use_bias = bool(use_bias)
        _cell_args.set_weight_args(
            self, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint)
        self._init_dropout(dropout, recurrent_dropout, seed)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        _cell_args.add_kernels(self, input_shape[-1], self.units)
        self.bias = _cell_args.add_bias(self, (self.units,)) if self.use_bias else None
        self.built = True

    def call(self, inputs, states, training=False):
        prev = states[0] if isinstance(states, (list, tuple)) else states
        if training:
            dp_mask = self.get_dropout_mask(inputs)
            if dp_mask is not None:
                inputs = inputs * dp_mask
            rec_mask = self.get_recurrent_dropout_mask(prev)
            if rec_mask is not None:
                prev = prev * rec_mask
        h = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            h = ops.add(h, self.bias)
        output = self.activation(h + ops.matmul(prev, self.recurrent_kernel))
        return output, ([output] if isinstance(states, (list, tuple)) else output)

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def get_config(self):
        return {
            **Layer.get_config(self),
            "units": self.units,
            "activation": _utils.serialize_activation(self.activation),
            "use_bias": self.use_bias,
            **_cell_args.weight_args_config(self),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class SimpleRNN(RNN):
    """A fully-connected RNN whose output is fed back as the next step's state.

    Args: those of ``SimpleRNNCell`` (units, activation, use_bias, the initializers,
    regularizers and constraints, dropout, recurrent_dropout, seed), plus
    ``activity_regularizer`` and the ``RNN`` arguments (return_sequences, return_state,
    go_backwards, stateful, unroll).

    Input ``(batch, time, features)``; output ``(batch, units)`` or, with
    ``return_sequences``, ``(batch, time, units)``.
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="simple_rnn_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask,
                            training=training)

    def get_config(self):
        config = RNN.get_config(self)
        del config["cell"]
        config.update({
            "units": self.units,
            "activation": _utils.serialize_activation(self.activation),
            "use_bias": self.use_bias,
            **_cell_args.weight_args_config(self.cell),
            "activity_regularizer": _utils.serialize_regularizer(self.activity_regularizer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.cell.seed,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


_cell_args.forward_properties(
    SimpleRNN, ("units", "activation", "use_bias", "dropout", "recurrent_dropout")
    + _cell_args.WEIGHT_ARGS)
