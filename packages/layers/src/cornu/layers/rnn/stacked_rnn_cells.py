"""``StackedRNNCells``: several recurrent cells acting as one (a deep RNN step)."""
from cornu import ops, tree
from cornu.layer import Layer


def in_cell_policy(cell):
    """``cell.call`` run as the cell's own ``__call__`` would: floating step inputs cast
    to its compute dtype and its variables read in its autocast scope (Keras calls the
    cell itself; cornu calls ``call`` and pays this only when the dtypes differ)."""
    dtype = cell.compute_dtype

    def call(inputs, states, **kwargs):
        inputs = tree.map_structure(lambda t: ops.cast(t, dtype), inputs)
        return cell._call_in_autocast_scope(inputs, states, **kwargs)

    return call


class StackedRNNCells(Layer):
    """Wraps a list of cells so that ``RNN`` runs them as one, each feeding the next.

    Args:
        cells: the cells, first to last.

    The states are a list with one entry per cell (that cell's state or list of
    states); the output is the last cell's output.
    """

    def __init__(self, cells, **kwargs):
        cells = list(cells)
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(
                    f"StackedRNNCells: every cell must have a `call` method, received {cell!r}")
            if getattr(cell, "state_size", None) is None:
                raise ValueError(
                    f"StackedRNNCells: every cell must have a `state_size` attribute, "
                    f"received {cell!r}")
        super().__init__(**kwargs)
        self.cells = cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        size = last.state_size
        return size[0] if isinstance(size, (list, tuple)) else size

    @staticmethod
    def _cell_output_size(cell):
        size = getattr(cell, "output_size", None)
        if size is None:
            size = cell.state_size
            size = size[0] if isinstance(size, (list, tuple)) else size
        return size

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                states.append(fn(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(ops.zeros((batch_size, cell.state_size), dtype=self.compute_dtype))
            else:
                states.append([ops.zeros((batch_size, d), dtype=self.compute_dtype)
                               for d in cell.state_size])
        return states

    def _cell_calls(self):
        """Each cell's step: its ``call``, or, for a cell built with a compute dtype
        other than the stack's, the call in that cell's own policy."""
        dtype = self.compute_dtype
        return [in_cell_policy(c) if isinstance(c, Layer) and c.compute_dtype != dtype
                else c.call for c in self.cells]

    def call(self, inputs, states, training=False, **kwargs):
        new_states = []
        for cell, call, cell_states in zip(self.cells, self._cell_calls(), states):
            nested = tree.is_nested(cell_states)
            cell_states = list(cell_states) if nested else [cell_states]
            if isinstance(cell, Layer) and cell._call_has_training:
                kwargs["training"] = training
            else:
                kwargs.pop("training", None)
            inputs, cell_states = call(inputs, cell_states, **kwargs)
            if not tree.is_nested(cell_states):
                cell_states = [cell_states]
            if len(cell_states) == 1 and not nested:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        if len(new_states) == 1:
            new_states = new_states[0]
        last = self.cells[-1]
        if isinstance(last, Layer) and last.compute_dtype != self.compute_dtype:
            inputs = ops.cast(inputs, self.compute_dtype)
        return inputs, new_states

    def build(self, input_shape):
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_with(tuple(input_shape))
            input_shape = (batch, self._cell_output_size(cell))
        self.built = True

    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        config = Layer.get_config(self)
        config["cells"] = [serialize_cornu_object(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.serialization import deserialize_cornu_object

        config = dict(config)
        cells = [deserialize_cornu_object(c, custom_objects=custom_objects, kind="layer")
                 for c in config.pop("cells")]
        return cls(cells, **config)
