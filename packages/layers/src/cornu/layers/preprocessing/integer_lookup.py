"""``IntegerLookup``: map integers to contiguous indices (or back), on the device.

Integer tensors are looked up on the backend (sorted keys and ``ops.searchsorted``),
inside models and traced graphs alike; numpy arrays and lists become tensors first.
Only ``oov_method="farmhash"`` with several OOV indices hashes on the host. See
``index_lookup.py`` for the details.
"""
from cornu.layers.preprocessing.index_lookup import IndexLookup, check_vocabulary_config


class IntegerLookup(IndexLookup):
    """Maps integers from a vocabulary to integer indices.

    Args:
        max_tokens: the maximum vocabulary size, including the mask and OOV tokens.
        num_oov_indices: the number of out-of-vocabulary indices (default 1; several
            OOV indices are chosen by ``floormod(value, num_oov_indices)``).
        mask_token: the integer that stands for masked inputs (default None).
        oov_token: the value returned for OOV indices when inverting (default -1).
        vocabulary: a list of integers or the path of a text file, one per line.
        vocabulary_dtype: only ``"int64"``.
        idf_weights: the idf weights (``output_mode="tf_idf"`` with a given vocabulary).
        invert: map indices to integers.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"``.
        sparse: not supported by cornu; must be False.
        pad_to_max_tokens: make the encodings ``max_tokens`` wide.
        oov_method: ``"floormod"`` (default) or ``"farmhash"`` (hash the decimal text).
        salt: with ``oov_method="farmhash"``, an int or a pair of ints keying the hash.
        name: the layer's name.
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "IntegerLookup: if `max_tokens` is set, it must be greater than 1. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "IntegerLookup: `num_oov_indices` must be >= 0. Received: "
                f"num_oov_indices={num_oov_indices}"
            )
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup: only vocabulary_dtype='int64' is supported at this time. "
                f"Received: vocabulary_dtype={vocabulary_dtype}"
            )
        super().__init__(
            max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
            oov_token=oov_token, vocabulary=vocabulary, vocabulary_dtype=vocabulary_dtype,
            idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt, name=name,
            **kwargs)

    def get_config(self):
        cfg = super().get_config()
        if cfg["oov_token"] is not None:
            cfg["oov_token"] = int(cfg["oov_token"])
        if cfg["mask_token"] is not None:
            cfg["mask_token"] = int(cfg["mask_token"])
        if isinstance(cfg["vocabulary"], list):
            cfg["vocabulary"] = [int(v) for v in cfg["vocabulary"]]
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        check_vocabulary_config(cls.__name__, config.get("vocabulary"))
        return cls(**config)
