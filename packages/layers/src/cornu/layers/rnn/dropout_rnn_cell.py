"""``DropoutRNNCell``: the dropout masks of a recurrent cell, one per sequence."""
from cornu import ops, random
from cornu.layers import _utils


class DropoutRNNCell:
    """Mixin for cells with ``dropout`` and ``recurrent_dropout`` (Keras semantics).

    The same mask is used at every step of a sequence: the ``RNN`` layer creates
    the masks before its loop (so a graph loop only reads them) and clears them
    after the call, so the next batch draws new ones.  A cell using the mixin sets
    ``dropout``, ``recurrent_dropout`` and ``seed_generator`` (``_init_dropout``), and
    may set ``dropout_mask_count`` to get that many masks (one per gate).
    """

    def _init_dropout(self, dropout, recurrent_dropout, seed):
        _utils.check_rate(dropout, type(self).__name__, "dropout")
        _utils.check_rate(recurrent_dropout, type(self).__name__, "recurrent_dropout")
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def _create_dropout_mask(self, step_input, rate):
        ones = ops.ones_like(step_input)
        count = getattr(self, "dropout_mask_count", None)
        if count is None:
            return random.dropout(ones, rate, seed=self.seed_generator)
        return [random.dropout(ones, rate, seed=self.seed_generator) for _ in range(count)]

    def get_dropout_mask(self, step_input):
        """The input dropout mask of the current sequence (created on first use)."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_state):
        """The recurrent dropout mask of the current sequence (created on first use)."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(
                step_state, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None
