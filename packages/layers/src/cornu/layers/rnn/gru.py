"""``GRUCell`` and ``GRU``: the gated recurrent unit (Cho et al., 2014)."""
from cornu import ops
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils
from cornu.layers.rnn import _cell_args
from cornu.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from cornu.layers.rnn.lstm import check_use_cudnn
from cornu.layers.rnn.rnn import RNN, _backend_rnn


class GRUCell(Layer, DropoutRNNCell):
    """One GRU step, gates z (update), r (reset), h (candidate) in the Keras order::

        z = sigmoid(x W_z + h U_z + b_z),  r = sigmoid(x W_r + h U_r + b_r)
        reset_after=True:  hh = tanh(x W_h + b_h + r * (h U_h + b'_h))
        reset_after=False: hh = tanh(x W_h + b_h + (r * h) U_h)
        h_t = z * h + (1 - z) * hh

    Args:
        units: positive int, the size of the state and the output.
        activation: the candidate activation (default tanh).
        recurrent_activation: the gate activation (default sigmoid).
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers of the
            ``(input_dim, 3 * units)`` kernel, ``(units, 3 * units)`` recurrent kernel and
            the bias: ``(2, 3 * units)`` (input and recurrent biases) with
            ``reset_after``, else ``(3 * units,)``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout, recurrent_dropout: fractions dropped in training (per-sequence masks).
        reset_after: apply the reset gate after the recurrent matmul (the default, and
            the cuDNN/torch convention) or before it.
        seed: seed of the dropout masks.

    Weights, in order: ``kernel``, ``recurrent_kernel``, ``bias``.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
        _utils.check_positive_int(units, "units", type(self).__name__)
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = units
        self.activation = _utils.get_activation(activation)
        self.recurrent_activation = _utils.get_activation(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.reset_after = bool(reset_after)
        _cell_args.set_weight_args(
            self, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint)
        self._init_dropout(dropout, recurrent_dropout, seed)
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 3
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        _cell_args.add_kernels(self, input_shape[-1], 3 * self.units)
        if self.use_bias:
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            self.bias = _cell_args.add_bias(self, shape)
        else:
            self.bias = None
        self.built = True

    def _input_products(self, inputs, dp_mask):
        if isinstance(dp_mask, list):  # one mask per gate
            kernels = ops.split(self.kernel, 3, axis=1)
            return [ops.matmul(inputs * m, k) for m, k in zip(dp_mask, kernels)]
        if dp_mask is not None:
            inputs = inputs * dp_mask
        return ops.split(ops.matmul(inputs, self.kernel), 3, axis=-1)

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        h_tm1 = states[0] if nested else states
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h_tm1) if training else None
        u = self.units
        if self.bias is None:
            input_bias = recurrent_bias = None
        elif self.reset_after:
            bias = ops.convert_to_tensor(self.bias)
            input_bias, recurrent_bias = bias[0], bias[1]
        else:
            input_bias, recurrent_bias = ops.convert_to_tensor(self.bias), None
        x_z, x_r, x_h = self._input_products(inputs, dp_mask)
        if input_bias is not None:
            x_z, x_r, x_h = x_z + input_bias[:u], x_r + input_bias[u:2 * u], \
                x_h + input_bias[2 * u:]
        if rec_mask is None:
            h_z = h_r = h_h = h_tm1
        elif isinstance(rec_mask, list):
            h_z, h_r, h_h = (h_tm1 * m for m in rec_mask)
        else:
            h_z = h_r = h_h = h_tm1 * rec_mask
        rk = ops.convert_to_tensor(self.recurrent_kernel)
        if h_z is h_r and h_r is h_h and self.reset_after:
            inner = ops.matmul(h_z, rk)
            if recurrent_bias is not None:
                inner = inner + recurrent_bias
            i_z, i_r, i_h = ops.split(inner, 3, axis=-1)
        else:
            i_z = ops.matmul(h_z, rk[:, :u])
            i_r = ops.matmul(h_r, rk[:, u:2 * u])
            if recurrent_bias is not None:
                i_z, i_r = i_z + recurrent_bias[:u], i_r + recurrent_bias[u:2 * u]
            if self.reset_after:
                i_h = ops.matmul(h_h, rk[:, 2 * u:])
                if recurrent_bias is not None:
                    i_h = i_h + recurrent_bias[2 * u:]
        z = self.recurrent_activation(x_z + i_z)
        r = self.recurrent_activation(x_r + i_r)
        if self.reset_after:
            hh = self.activation(x_h + r * i_h)
        else:
            hh = self.activation(x_h + ops.matmul(r * h_h, rk[:, 2 * u:]))
        h = z * h_tm1 + (1 - z) * hh
        return h, ([h] if nested else h)

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def get_config(self):
        return {
            **Layer.get_config(self),
            "units": self.units,
            "activation": _utils.serialize_activation(self.activation),
            "recurrent_activation": _utils.serialize_activation(self.recurrent_activation),
            "use_bias": self.use_bias,
            **_cell_args.weight_args_config(self),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "reset_after": self.reset_after,
            "seed": self.seed,
        }


class GRU(RNN):
    """The gated recurrent unit layer over ``(batch, time, features)``.

    Runs on the framework's fused GRU kernel when the arguments allow it (torch:
    ``torch._VF.gru``, cuDNN on CUDA, for tanh/sigmoid, ``reset_after=True``,
    ``unroll=False``, no mask or a right-padded one, no recurrent dropout in
    training); otherwise on a loop with one input matmul for all steps and the
    recurrent matmul per step.

    Args: those of ``GRUCell``, plus ``activity_regularizer``, the ``RNN`` arguments
    (return_sequences, return_state, go_backwards, stateful, unroll) and ``use_cudnn``.

    Weights (those of the cell): ``kernel (input_dim, 3 * units)``,
    ``recurrent_kernel (units, 3 * units)``, ``bias`` ``(2, 3 * units)`` with
    ``reset_after`` else ``(3 * units,)``; gate order z, r, h.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            seed=seed, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="gru_cell", implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)
        self.use_cudnn = check_use_cudnn(use_cudnn, "GRU")

    def inner_loop(self, sequences, initial_state, mask, training=False, constants=None):
        cell = self.cell
        per_gate_masks = cell.recurrent_dropout or (cell.dropout and cell.implementation == 1)
        if constants is None and self.use_cudnn and not (training and per_gate_masks):
            if training and cell.dropout:
                dp_mask = cell.get_dropout_mask(sequences[:, 0])
                sequences = sequences * ops.expand_dims(dp_mask, 1)
            last, outputs, states = _backend_rnn().gru(
                sequences, initial_state[0], mask, kernel=cell.kernel,
                recurrent_kernel=cell.recurrent_kernel, bias=cell.bias,
                activation=cell.activation, recurrent_activation=cell.recurrent_activation,
                return_sequences=self.return_sequences, go_backwards=self.go_backwards,
                unroll=self.unroll, reset_after=cell.reset_after,
                zero_output_for_mask=self.zero_output_for_mask)
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
            **_cell_args.weight_args_config(self.cell),
            "activity_regularizer": _utils.serialize_regularizer(self.activity_regularizer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "reset_after": self.reset_after,
            "seed": self.cell.seed,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


_cell_args.forward_properties(
    GRU, ("units", "activation", "recurrent_activation", "use_bias", "reset_after",
          "dropout", "recurrent_dropout") + _cell_args.WEIGHT_ARGS)
