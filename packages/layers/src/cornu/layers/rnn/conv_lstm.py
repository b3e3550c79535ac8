"""``ConvLSTMCell`` and ``ConvLSTM``: the LSTM with convolutions instead of matmuls
(Shi et al., 2015), the shared base of ``ConvLSTM1D/2D/3D``."""
from cornu import ops, tree
from cornu.layer import InputSpec, Layer
from cornu.layers import _utils
from cornu.layers.rnn import _cell_args
from cornu.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from cornu.layers.rnn.rnn import RNN


class ConvLSTMCell(Layer, DropoutRNNCell):
    """One ConvLSTM step over ``rank``-D inputs ``(batch, *spatial, channels)``.

    The gates (i, f, c, o, Keras order) are ``conv(x, kernel) + conv(h, recurrent_kernel)
    + bias``; the recurrent convolution is always ``padding="same"``, stride 1.

    Args:
        rank: 1, 2 or 3.
        filters: the number of output channels (and of state channels).
        kernel_size, strides, padding, data_format, dilation_rate: the input convolution.
        activation, recurrent_activation, use_bias, the initializers, unit_forget_bias,
        regularizers, constraints, dropout, recurrent_dropout, seed: as in ``LSTMCell``.

    Weights: ``kernel (*kernel_size, in_channels, 4 * filters)``,
    ``recurrent_kernel (*kernel_size, filters, 4 * filters)``, ``bias (4 * filters,)``.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation="tanh",
                 recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        name = type(self).__name__
        super().__init__(**kwargs)
        if rank not in (1, 2, 3):
            raise ValueError(f"{name}: `rank` must be 1, 2 or 3, received rank={rank!r}")
        self.rank = rank
        self.filters = _utils.check_positive_int(filters, "filters", name)
        self.kernel_size = _utils.standardize_tuple(kernel_size, rank, "kernel_size", name)
        self.strides = _utils.standardize_tuple(strides, rank, "strides", name)
        self.padding = _utils.standardize_padding(padding, name)
        self.data_format = _utils.standardize_data_format(data_format, name)
        self.dilation_rate = _utils.standardize_tuple(dilation_rate, rank, "dilation_rate", name)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{name}: `strides > 1` is not compatible with `dilation_rate > 1`, received "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}")
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
        self.dropout_mask_count = 4
        self.input_spec = InputSpec(ndim=rank + 2)
        self.state_size = -1  # the states are feature maps: see compute_output_shape

    @property
    def units(self):
        return self.filters

    def build(self, input_shape, states_shape=None):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_first":
            channels, spatial = input_shape[1], input_shape[2:]
        else:
            channels, spatial = input_shape[-1], input_shape[1:-1]
        if None in spatial:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) needs static spatial "
                f"dimensions, received input shape {_utils.shape_str(input_shape)}")
        if channels is None:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) needs a known channel "
                f"dimension, received input shape {_utils.shape_str(input_shape)}")
        self.spatial_dims = tuple(spatial)
        self.input_dim = channels
        self.input_spec = InputSpec(ndim=self.rank + 2, shape=(None,) + input_shape[1:])
        _cell_args.add_kernels(
            self, channels, 4 * self.filters,
            kernel_shape=self.kernel_size + (channels, 4 * self.filters),
            recurrent_shape=self.kernel_size + (self.filters, 4 * self.filters))
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                init = _cell_args.forget_bias_initializer(init, self.filters)
            self.bias = _cell_args.add_bias(self, (4 * self.filters,), init)
        else:
            self.bias = None
        self.built = True

    def _bias(self, b):
        b = ops.convert_to_tensor(b)
        if self.data_format == "channels_last":
            return ops.reshape(b, (1,) * (self.rank + 1) + (-1,))
        return ops.reshape(b, (1, -1) + (1,) * self.rank)

    def _input_conv(self, x, kernel):
        return ops.conv(x, kernel, strides=self.strides, padding=self.padding,
                        data_format=self.data_format, dilation_rate=self.dilation_rate)

    def _recurrent_conv(self, h, kernel):
        return ops.conv(h, kernel, strides=1, padding="same", data_format=self.data_format)

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h_tm1) if training else None
        channel_axis = -1 if self.data_format == "channels_last" else 1
        if dp_mask is None and rec_mask is None:
            z = self._input_conv(inputs, self.kernel) + \
                self._recurrent_conv(h_tm1, self.recurrent_kernel)
        else:
            kernels = ops.split(self.kernel, 4, axis=-1)
            rec_kernels = ops.split(self.recurrent_kernel, 4, axis=-1)
            z = []
            for g in range(4):
                x_g = inputs if dp_mask is None else inputs * dp_mask[g]
                h_g = h_tm1 if rec_mask is None else h_tm1 * rec_mask[g]
                z.append(self._input_conv(x_g, kernels[g]) +
                         self._recurrent_conv(h_g, rec_kernels[g]))
            z = ops.concatenate(z, axis=channel_axis)
        if self.bias is not None:
            z = z + self._bias(self.bias)
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=channel_axis)
        c = self.recurrent_activation(z_f) * c_tm1 + \
            self.recurrent_activation(z_i) * self.activation(z_c)
        h = self.recurrent_activation(z_o) * self.activation(c)
        return h, [h, c]

    def compute_output_shape(self, inputs_shape, states_shape=None):
        inputs_shape = tuple(inputs_shape)
        spatial = inputs_shape[2:] if self.data_format == "channels_first" else \
            inputs_shape[1:-1]
        out = tuple(
            _utils.conv_output_length(d, k, s, self.padding, r)
            for d, k, s, r in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_first":
            shape = (inputs_shape[0], self.filters) + out
        else:
            shape = (inputs_shape[0],) + out + (self.filters,)
        return shape, [shape, shape]

    def get_initial_state(self, batch_size=None):
        if self.data_format == "channels_last":
            shape = (batch_size,) + self.spatial_dims + (self.input_dim,)
        else:
            shape = (batch_size, self.input_dim) + self.spatial_dims
        state_shape = self.compute_output_shape(shape)[0]
        return [ops.zeros(state_shape, dtype=self.compute_dtype),
                ops.zeros(state_shape, dtype=self.compute_dtype)]

    def _conv_config(self):
        return {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": _utils.serialize_activation(self.activation),
            "recurrent_activation": _utils.serialize_activation(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            **_cell_args.weight_args_config(self),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def get_config(self):
        return {**Layer.get_config(self), "rank": self.rank, **self._conv_config()}


class ConvLSTM(RNN):
    """The base of ``ConvLSTM1D/2D/3D``: a ``ConvLSTMCell`` run over
    ``(batch, time, *spatial, channels)`` (or ``(batch, time, channels, *spatial)``).

    Args: those of ``ConvLSTMCell`` (without ``rank``, fixed by the subclass) plus
    ``activity_regularizer`` and ``return_sequences``, ``return_state``,
    ``go_backwards``, ``stateful``.  The outputs and states are feature maps
    ``(batch, *out_spatial, filters)``.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation="tanh",
                 recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, **kwargs):
        cell = ConvLSTMCell(
            rank=rank, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, name="conv_lstm_cell",
            dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=rank + 3)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask,
                            training=training)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        batch, steps = sequences_shape[0], sequences_shape[1]
        state = self.cell.compute_output_shape((batch,) + sequences_shape[2:])[0][1:]
        output = (batch, steps) + state if self.return_sequences else (batch,) + state
        if self.return_state:
            return output, (batch,) + state, (batch,) + state
        return output

    def compute_mask(self, inputs, mask):
        mask = tree.flatten(mask)[0] if tree.is_nested(mask) else mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    def get_config(self):
        config = RNN.get_config(self)
        del config["cell"]
        config.update(self.cell._conv_config())
        config["activity_regularizer"] = _utils.serialize_regularizer(
            self.activity_regularizer)
        config["seed"] = self.cell.seed
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


_cell_args.forward_properties(
    ConvLSTM, ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
               "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
               "dropout", "recurrent_dropout") + _cell_args.WEIGHT_ARGS)
