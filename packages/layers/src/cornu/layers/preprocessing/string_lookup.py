"""``StringLookup``: map strings to integer indices (or back), on the host.

Strings are looked up on the host (torch has no string tensor): inputs are numpy
arrays or lists of ``str``/``bytes`` (or, on the TensorFlow backend, ``tf.Tensor``s of
strings); the indices come back as an int64 backend tensor and the encodings run on
the device. With ``invert=True`` the layer returns a numpy array of ``str`` (a string
``tf.Tensor`` when it was given one). See ``index_lookup.py`` for the details.
"""
from cornu.layers.preprocessing.index_lookup import IndexLookup, check_vocabulary_config


class StringLookup(IndexLookup):
    """Maps strings from a vocabulary to integer indices.

    Args:
        max_tokens: the maximum vocabulary size, including the mask and OOV tokens.
        num_oov_indices: the number of out-of-vocabulary indices (default 1; several
            OOV indices are chosen by FarmHash, or SipHash with ``salt``).
        mask_token: the token that stands for masked inputs (default None).
        oov_token: the token returned for OOV indices when inverting (default
            ``"[UNK]"``).
        vocabulary: a list of strings or the path of a text file, one token per line.
        idf_weights: the idf weights (``output_mode="tf_idf"`` with a given vocabulary).
        invert: map indices to strings.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"``.
        pad_to_max_tokens: make the encodings ``max_tokens`` wide.
        sparse: not supported by cornu; must be False.
        encoding: the text encoding of ``bytes`` inputs (default ``"utf-8"``).
        name: the layer's name.
        salt: an int or a pair of ints keying the OOV hash.
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None,
                 salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
            oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights,
            invert=invert, output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse, name=name, salt=salt, vocabulary_dtype="string", **kwargs)

    def get_config(self):
        cfg = super().get_config()
        del cfg["vocabulary_dtype"]
        cfg["encoding"] = self.encoding
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        check_vocabulary_config(cls.__name__, config.get("vocabulary"))
        return cls(**config)
