"""``RNN``: run a recurrent cell over the time axis of a sequence."""
from cornu import ops, tree
from cornu.layer import Layer
from cornu.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from cornu.layers.rnn.stacked_rnn_cells import StackedRNNCells, in_cell_policy
from cornu.variables import Variable


def _backend_rnn():
    from cornu.backend import get_backend

    return get_backend().rnn


def _accepts(fn, name):
    import inspect

    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class RNN(Layer):
    """The base recurrent layer: applies ``cell`` to every step of ``(batch, time, ...)``.

    A cell is any object with ``call(inputs_t, states) -> (output_t, new_states)``
    and a ``state_size`` (an int, or a list of ints, one per state); optionally
    ``output_size`` and ``get_initial_state(batch_size)``.  A list of cells is
    stacked with ``StackedRNNCells``.

    Args:
        cell: the cell (or a list of cells).
        return_sequences: return the output of every step ``(batch, time, units)``
            instead of the last one ``(batch, units)``.
        return_state: also return the final states (``[output, *states]``).
        go_backwards: process the sequence from the last step to the first (and return
            the outputs in that reversed order).
        stateful: carry the final states of a batch over as the initial states of the
            next one (needs a fixed batch size; ``reset_states`` clears them).
        unroll: unroll the loop in Python (TensorFlow graph: no ``while_loop``); needs
            a known number of steps.
        zero_output_for_mask: masked steps output zeros instead of repeating the
            previous output (used by ``Bidirectional``).

    Call arguments:
        sequences: ``(batch, time, features)``.
        initial_state: a tensor or list of tensors (one per state).
        mask: ``(batch, time)`` booleans; a masked step leaves the states unchanged.
        training: passed to the cell (dropout).
        constants: tensors passed unchanged to every step; the cell's ``call`` must
            take a ``constants`` argument (a cornu addition kept from Keras 2).
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            # The stack is ours: it takes our policy (its cells keep their own).
            cell = StackedRNNCells(cell, dtype=kwargs.get("dtype"))
        if not callable(getattr(cell, "call", None)):
            raise ValueError(
                f"{type(self).__name__}: `cell` must have a `call` method, received "
                f"cell={cell!r}")
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError(
                f"{type(self).__name__}: the cell must have a `state_size` attribute (an "
                f"int or a list of ints, one per state), received cell={cell!r}")
        if not isinstance(state_size, (int, list, tuple)):
            raise ValueError(
                f"{type(self).__name__}: the cell's `state_size` must be an int or a list "
                f"of ints, received state_size={state_size!r}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = None
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)
        # The stateful states are not weights (Keras leaves them out of `weights`).
        object.__setattr__(self, "states", None)
        self._expected_batch_size = None
        self._cell_takes_training = isinstance(cell, Layer) and cell._call_has_training
        self._cell_takes_constants = _accepts(cell.call, "constants")

    # -- shapes ------------------------------------------------------------------
    def _output_size(self):
        size = getattr(self.cell, "output_size", None)
        if size is None:
            size = self.state_size[0]
            size = size[0] if isinstance(size, (list, tuple)) else size
        return size

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        size = self._output_size()
        output = (batch, steps, size) if self.return_sequences else (batch, size)
        if not self.return_state:
            return output
        states = []
        for s in self.state_size:
            if isinstance(s, (list, tuple)):
                states.append([(batch, d) for d in s])
            else:
                states.append((batch, s))
        return (output, *states)

    def compute_mask(self, inputs, mask):
        mask = tree.flatten(mask)[0] if tree.is_nested(mask) else mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # -- building and state ------------------------------------------------------------
    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of shape "
                f"(batch, time, features), received input shape {sequences_shape}")
        step_shape = (sequences_shape[0],) + sequences_shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_with(step_shape)
        if self.stateful:
            if self.states is not None:
                self.reset_state()
            else:
                if sequences_shape[0] is None:
                    raise ValueError(
                        f"Layer '{self.name}' ({type(self).__name__}): stateful=True needs a "
                        "static batch size (pass batch_size to Input, or batch_input_shape); "
                        f"received input shape {sequences_shape}")
                self._create_state_variables(sequences_shape[0])
        self.built = True

    def _create_state_variables(self, batch_size):
        initial = self.get_initial_state(batch_size)
        states = tree.map_structure(
            lambda v: Variable(ops.convert_to_numpy(v), trainable=False, name="rnn_state",
                               path=f"{self.name}/rnn_state"),
            initial)
        object.__setattr__(self, "states", states)
        self._expected_batch_size = batch_size

    def get_initial_state(self, batch_size):
        """Zero states (or the cell's ``get_initial_state``) for ``batch_size`` sequences."""
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            state = fn(batch_size=batch_size)
            return list(state) if tree.is_nested(state) else [state]
        dtype = getattr(self.cell, "compute_dtype", self.compute_dtype)
        return [ops.zeros((batch_size, d), dtype=dtype) for d in self.state_size]

    def reset_state(self, states=None):
        """Zero the stateful states (or set them to ``states``, arrays, one per state)."""
        if self.states is None:
            return
        flat = tree.flatten(self.states)
        if states is None:
            for v in flat:
                v.assign(ops.zeros(v.shape, dtype=v.dtype))
            return
        values = tree.flatten(states) if tree.is_nested(states) else [states]
        if len(values) != len(flat):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) has {len(flat)} states, "
                f"received {len(values)} values in reset_state(states=...)")
        for v, value in zip(flat, values):
            if tuple(getattr(value, "shape", ())) != tuple(v.shape):
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): state shape {v.shape} "
                    f"does not match the provided value's shape "
                    f"{tuple(getattr(value, 'shape', ()))}")
            v.assign(value)

    def reset_states(self, states=None):
        """Keras 2 name of ``reset_state``."""
        self.reset_state(states)

    # -- calling --------------------------------------------------------------------
    def _initial_states(self, sequences, initial_state):
        if initial_state is None:
            if self.stateful:
                if self._expected_batch_size is not None and sequences.shape[0] is not None \
                        and sequences.shape[0] != self._expected_batch_size:
                    raise ValueError(
                        f"Layer '{self.name}' ({type(self).__name__}) is stateful with batch "
                        f"size {self._expected_batch_size}, received a batch of "
                        f"{sequences.shape[0]} sequences (input shape "
                        f"{tuple(sequences.shape)})")
                # A copy: the variables are updated in place after the call, and the
                # autograd graph of this call must keep the values it used.
                return tree.map_structure(lambda v: ops.copy(v.value), self.states)
            return self.get_initial_state(ops.shape(sequences)[0])
        if not tree.is_nested(initial_state):
            initial_state = [initial_state]
        initial_state = list(initial_state)
        dtype = getattr(self.cell, "compute_dtype", self.compute_dtype)
        return tree.map_structure(lambda s: ops.convert_to_tensor(s, dtype=dtype),
                                  initial_state)

    def _cell_has_own_dtype(self):
        """Whether the cell (or a stacked cell) is a layer with a compute dtype other
        than this layer's (built with its own ``dtype=``): its steps then run in its own
        policy, and the outputs and states are cast to this layer's compute dtype."""
        cell, dtype = self.cell, self.compute_dtype
        if isinstance(cell, StackedRNNCells):
            return cell.compute_dtype != dtype or any(
                isinstance(c, Layer) and c.compute_dtype != dtype for c in cell.cells)
        return isinstance(cell, Layer) and cell.compute_dtype != dtype

    def _configure_dropout(self, cell, step_input, states):
        """Create every dropout mask before the loop (a graph loop only reads them)."""
        first = states[0] if isinstance(states, (list, tuple)) and states else states
        if isinstance(cell, DropoutRNNCell):
            cell.get_dropout_mask(step_input)
            cell.get_recurrent_dropout_mask(tree.flatten(first)[0])
        elif isinstance(cell, StackedRNNCells):
            for c, call, s in zip(cell.cells, cell._cell_calls(), states):
                if isinstance(c, Layer):
                    step_input = ops.cast(step_input, c.compute_dtype)
                self._configure_dropout(c, step_input, s)
                s = list(s) if tree.is_nested(s) else [s]
                step_input, _ = call(step_input, s)

    def _reset_dropout(self, cell):
        if isinstance(cell, DropoutRNNCell):
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        elif isinstance(cell, StackedRNNCells):
            for c in cell.cells:
                self._reset_dropout(c)

    def _uses_dropout(self, cell):
        if isinstance(cell, DropoutRNNCell):
            return cell.dropout > 0 or cell.recurrent_dropout > 0
        if isinstance(cell, StackedRNNCells):
            return any(self._uses_dropout(c) for c in cell.cells)
        return False

    def inner_loop(self, sequences, initial_state, mask, training=False, constants=None):
        """The generic loop: the cell's ``call`` once per step (``backend.rnn``)."""
        cell = self.cell
        kwargs = {}
        if self._cell_takes_training:
            kwargs["training"] = training
        if constants is not None:
            if not self._cell_takes_constants:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) received `constants`, but "
                    f"its cell's call ({type(cell).__name__}.call) takes no `constants` "
                    "argument")
            kwargs["constants"] = constants
        call = cell.call
        if self._cell_has_own_dtype():
            call = in_cell_policy(cell)

        def step(inputs, states):
            output, new_states = call(inputs, list(states), **kwargs)
            if not tree.is_nested(new_states):
                new_states = [new_states]
            return output, new_states

        return _backend_rnn().rnn(
            step, sequences, initial_state, go_backwards=self.go_backwards, mask=mask,
            unroll=self.unroll, zero_output_for_mask=self.zero_output_for_mask,
            return_all_outputs=self.return_sequences)

    def call(self, sequences, initial_state=None, mask=None, training=False, constants=None):
        sequences = ops.convert_to_tensor(sequences)
        if self.unroll and sequences.shape[1] is None:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): unroll=True needs a known "
                f"number of time steps, received input shape {tuple(sequences.shape)}")
        if tree.is_nested(mask):
            mask = tree.flatten(mask)[0]
        states = self._initial_states(sequences, initial_state)
        if constants is not None and not tree.is_nested(constants):
            constants = [constants]
        dropout = bool(training) and self._uses_dropout(self.cell)
        own_dtype = self._cell_has_own_dtype()
        if dropout:
            first = sequences[:, 0]
            if own_dtype:  # the masks meet the steps in the cell's dtype
                first = ops.cast(first, self.cell.compute_dtype)
            self._configure_dropout(self.cell, first, states)
        try:
            if constants is None:
                last_output, outputs, states = self.inner_loop(
                    sequences, states, mask, training=training)
            else:
                last_output, outputs, states = self.inner_loop(
                    sequences, states, mask, training=training, constants=constants)
        finally:
            if dropout:
                self._reset_dropout(self.cell)
        if self.stateful:
            for variable, value in zip(tree.flatten(self.states), tree.flatten(states)):
                variable.assign(value)
        if own_dtype:  # as in Keras, the outputs and states come in this layer's dtype
            last_output, outputs, states = tree.map_structure(
                lambda t: ops.cast(t, self.compute_dtype), (last_output, outputs, states))
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return [output, *states]
        return output

    # -- config ----------------------------------------------------------------------
    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        config = Layer.get_config(self)
        config.update({
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize_cornu_object(self.cell),
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.serialization import deserialize_cornu_object

        config = dict(config)
        cell = deserialize_cornu_object(config.pop("cell"), custom_objects=custom_objects,
                                        kind="layer")
        return cls(cell, **config)
