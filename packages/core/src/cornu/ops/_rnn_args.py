"""Weight-layout bookkeeping of the fused recurrent ops, shared by the backends
(no framework import)."""


def gru_biases(bias, reset_after):
    """``(input_bias, recurrent_bias)`` of a Keras-layout GRU ``bias``: ``(2, 3 * units)``
    (input and recurrent rows) with ``reset_after``, else ``(3 * units,)`` on the input
    side only; ``None`` where there is none."""
    if bias is None:
        return None, None
    if reset_after:
        return bias[0], bias[1]
    return bias, None
