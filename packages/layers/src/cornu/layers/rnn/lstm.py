"""``LSTMCell`` and ``LSTM``: long short-term memory (Hochreiter and Schmidhuber, 1997)."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils
from cornu.layers.rnn import _cell_args
from cornu.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from cornu.layers.rnn.rnn import RNN, _backend_rnn


def check_use_cudnn(value, layer_cls):
    if value not in ("auto", True, False):
        raise ValueError(
            f"{layer_cls}: `use_cudnn` must be one of 'auto', True, False, received "
            f"use_cudnn={value!r}")
    return value


class LSTMCell(Layer, DropoutRNNCell):
    """One LSTM step.  With ``z = x @ kernel + h @ recurrent_kernel + bias`` split into
    the gates i, f, c, o (Keras order)::

        c_t = sigmoid(z_f) * c_{t-1} + sigmoid(z_i) * tanh(z_c)
        h_t = sigmoid(z_o) * tanh(c_t)

    (``recurrent_activation`` replaces sigmoid and ``activation`` tanh.)

    Args:
        units: positive int, the size of the states and the output.
        activation: the cell/output activation (default tanh).
        recurrent_activation: the gate activation (default sigmoid).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers of the
            ``(input_dim, 4 * units)`` kernel, ``(units, 4 * units)`` recurrent kernel and
            ``(4 * units,)`` bias.
        unit_forget_bias: initialize the forget gate's bias to 1 (the other gates' with
            ``bias_initializer``).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: fraction of the inputs dropped in training (one mask per sequence).
        recurrent_dropout: fraction of the previous ``h`` dropped in training (one mask
            per gate and sequence).
        seed: seed of the dropout masks.

    Call arguments: ``inputs (batch, features)``, ``states`` ``[h, c]``, ``training``.
    Weights, in order: ``kernel``, ``recurrent_kernel``, ``bias``.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        _utils.check_positive_int(units, "units", type(self).__name__)
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = units
        self.activation = _utils.get_activation(activation)
        self.recurrent_activation = _utils.get_activation(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        _cell_args.set_weight_args(
            self, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint)
        self._init_dropout(dropout, recurrent_dropout, seed)
        # Keras's implementation 1 (one dropout mask per gate) whenever recurrent dropout
        # is on; implementation 2 (one fused matmul, one input mask) otherwise.
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        _cell_args.add_kernels(self, input_shape[-1], 4 * self.units)
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                init = _cell_args.forget_bias_initializer(init, self.units)
            self.bias = _cell_args.add_bias(self, (4 * self.units,), init)
        else:
            self.bias = None
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h_tm1) if training else None
        if self.implementation == 1 and (dp_mask is not None or rec_mask is not None):
            # One mask per gate: four input and four recurrent products.
            kernels = ops.split(self.kernel, 4, axis=1)
            rec_kernels = ops.split(self.recurrent_kernel, 4, axis=1)
            z = []
            for g in range(4):
                x_g = inputs if dp_mask is None else inputs * dp_mask[g]
                h_g = h_tm1 if rec_mask is None else h_tm1 * rec_mask[g]
                z.append(ops.matmul(x_g, kernels[g]) + ops.matmul(h_g, rec_kernels[g]))
            z = ops.concatenate(z, axis=-1)
        else:
            if dp_mask is not None:
                inputs = inputs * (dp_mask[0] if isinstance(dp_mask, list) else dp_mask)
            z = ops.matmul(inputs, self.kernel) + ops.matmul(h_tm1, self.recurrent_kernel)
        if self.bias is not None:
            z = ops.add(z, self.bias)
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        c = self.recurrent_activation(z_f) * c_tm1 + \
            self.recurrent_activation(z_i) * self.activation(z_c)
        h = self.recurrent_activation(z_o) * self.activation(c)
        return h, [h, c]

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in self.state_size]

    def get_config(self):
        return {
            **Layer.get_config(self),
            "units": self.units,
            "activation": _utils.serialize_activation(self.activation),
            "recurrent_activation": _utils.serialize_activation(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            **_cell_args.weight_args_config(self),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class LSTM(RNN):
    """The long short-term memory layer over ``(batch, time, features)``.

    Runs on the framework's fused LSTM kernel when the arguments allow it (torch:
    ``torch._VF.lstm``, cuDNN on CUDA, for tanh/sigmoid activations, ``unroll=False``,
    no mask or a right-padded one, and no recurrent dropout in training); otherwise
    on a loop that projects all the inputs with one matmul and runs only the
    recurrent matmul per step (TensorFlow: one ``tf.while_loop``).  Results are the
    same either way.

    Args: those of ``LSTMCell``, plus ``activity_regularizer``, the ``RNN`` arguments
    (return_sequences, return_state, go_backwards, stateful, unroll) and
    ``use_cudnn`` ('auto' or True: use the fused kernels when possible; False: always
    the cell-by-cell loop).

    Weights (those of the cell): ``kernel (input_dim, 4 * units)``,
    ``recurrent_kernel (units, 4 * units)``, ``bias (4 * units,)``; gate order i, f, c, o.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="lstm_cell",
            implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)
        self.use_cudnn = check_use_cudnn(use_cudnn, "LSTM")

    def inner_loop(self, sequences, initial_state, mask, training=False, constants=None):
        cell = self.cell
        per_gate_masks = cell.recurrent_dropout or (cell.dropout and cell.implementation == 1)
        if constants is None and self.use_cudnn and not (training and per_gate_masks):
            if training and cell.dropout:
                dp_mask = cell.get_dropout_mask(sequences[:, 0])
                sequences = sequences * ops.expand_dims(dp_mask, 1)
            last, outputs, states = _backend_rnn().lstm(
                sequences, initial_state[0], initial_state[1], mask, kernel=cell.kernel,
                recurrent_kernel=cell.recurrent_kernel, bias=cell.bias,
                activation=cell.activation, recurrent_activation=cell.recurrent_activation,
                return_sequences=self.return_sequences, go_backwards=self.go_backwards,
                unroll=self.unroll, zero_output_for_mask=self.zero_output_for_mask)
            return last, outputs, list(states)
        return super().inner_loop(sequences, initial_state, mask, training=training,
                                  constants=constants)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask,
                            training=training)

    def get_config(self):
        config = RNN.get_config(self)
        del config["cell"]
        config.update({
            "units": self.units,
            "activation": _utils.serialize_activation(self.activation),
            "recurrent_activation": _utils.serialize_activation(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
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
    LSTM, ("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
           "dropout", "recurrent_dropout") + _cell_args.WEIGHT_ARGS)
