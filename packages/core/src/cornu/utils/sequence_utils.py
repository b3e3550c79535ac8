"""``pad_sequences``: lists of variable-length sequences to one padded array."""
import numpy as np

__all__ = ["pad_sequences"]


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (and truncates) sequences to the same length.

    Args:
        sequences: a list of sequences (lists or arrays; each element may itself
            be an array, giving a trailing sample shape).
        maxlen: the output length; the longest sequence's length when None.
        dtype: the output dtype (``"object"`` or a string dtype for strings).
        padding: ``"pre"`` or ``"post"``: pad before or after each sequence.
        truncating: ``"pre"`` or ``"post"``: drop values from the start or the end
            of sequences longer than ``maxlen``.
        value: the padding value.

    Returns:
        A numpy array of shape ``(len(sequences), maxlen) + sample_shape``.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: `sequences` must be iterable; received {sequences!r}.")
    for name, arg in (("padding", padding), ("truncating", truncating)):
        if arg not in ("pre", "post"):
            raise ValueError(f'pad_sequences: `{name}` must be "pre" or "post"; received {arg!r}.')
    lengths, sample_shape = [], ()
    for i, seq in enumerate(sequences):
        try:
            lengths.append(len(seq))
        except TypeError as err:
            raise ValueError(
                f"pad_sequences: `sequences` must be a list of iterables; element {i} is "
                f"{seq!r}."
            ) from err
        if not sample_shape and len(seq):
            sample_shape = np.asarray(seq).shape[1:]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    is_text = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.object_)
    if isinstance(value, str) and not is_text:
        raise ValueError(
            f"pad_sequences: `dtype` {dtype} is not compatible with the padding value "
            f"{value!r}; use dtype=object for string padding."
        )
    out = np.full((len(sequences), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for i, seq in enumerate(sequences):
        if not len(seq) or not maxlen:
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(
                f"pad_sequences: the values of sequence {i} have shape {kept.shape[1:]}, "
                f"different from the others' {tuple(sample_shape)}."
            )
        if padding == "post":
            out[i, : len(kept)] = kept
        else:
            out[i, -len(kept):] = kept
    return out
