"""``TextVectorization``: raw strings to token indices or bag-of-words vectors.

What runs where: standardization, splitting, n-grams and the vocabulary lookup are host
work in pure Python (torch has no string tensor), with the same results as Keras 3's
TensorFlow string ops:

* ``"lower"`` lower-cases ASCII letters only (``tf.strings.lower``: ``"ÉTÉ"`` becomes
  ``"ÉtÉ"``);
* ``"strip_punctuation"`` removes the ASCII punctuation ``!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'``;
* ``"whitespace"`` splits on runs of ASCII whitespace (space, ``\\t\\n\\r\\f\\v``) and
  drops empty tokens; ``"character"`` splits into Unicode code points;
* n-grams of each width are joined by a space and listed width by width.

The token ids become an int64 backend tensor; the multi-hot / count / tf-idf encodings
run on the device. Custom ``standardize`` callables receive a numpy array of ``str``
(a callable built from ``tf.strings`` ops also works: its ``tf.Tensor`` result is read
back); custom ``split`` callables receive a 1-D numpy array of ``str`` and return one
sequence of tokens per element (lists, a numpy array or a ``tf.RaggedTensor``). On the
TensorFlow backend, string ``tf.Tensor`` inputs are accepted as well, through
``tf.numpy_function`` inside graphs (``tf.data`` pipelines, ``tf.function``).
"""
import re

import numpy as np

from cornu import ops
from cornu.layer import Layer
from cornu.layers.preprocessing import _common
from cornu.layers.preprocessing.index_lookup import check_vocabulary_config
from cornu.layers.preprocessing.string_lookup import StringLookup

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


class TextVectorization(Layer):
    """Maps text to sequences of token indices or to dense token vectors.

    Args:
        max_tokens: the maximum vocabulary size (including the padding token ``""``
            and the OOV token in int mode).
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
            ``"strip_punctuation"``, None, or a callable on a numpy array of str.
        split: ``"whitespace"`` (default), ``"character"``, None (no splitting) or a
            callable.
        ngrams: None, an int (all n-grams up to that width) or a tuple of widths.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``
            (``"one_hot"`` too, for unsplit inputs).
        output_sequence_length: int mode only: pad or truncate every sequence to this
            length (otherwise padded to the longest sequence of the batch).
        pad_to_max_tokens: make the encodings ``max_tokens`` wide.
        vocabulary: a list of strings, or the path of a text file, one token per line.
        idf_weights: the idf weights (tf-idf mode with a given vocabulary).
        sparse: not supported by cornu; must be False.
        ragged: int mode: return a ragged tensor (``tf.RaggedTensor``): only on a
            backend that declares the ``"ragged"`` capability (TensorFlow).
        encoding: the text encoding of ``bytes`` inputs.
        name: the layer's name.
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        if not (standardize is None or callable(standardize) or standardize in (
                "lower_and_strip_punctuation", "lower", "strip_punctuation")):
            raise ValueError(
                "TextVectorization: `standardize` must be one of "
                "'lower_and_strip_punctuation', 'lower', 'strip_punctuation', None or a "
                f"callable. Received: standardize={standardize!r}"
            )
        if not (split is None or callable(split) or split in ("whitespace", "character")):
            raise ValueError(
                "TextVectorization: `split` must be one of 'whitespace', 'character', "
                f"None or a callable. Received: split={split!r}"
            )
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        _common.check_output_mode(output_mode,
                                  ("int", "one_hot", "multi_hot", "count", "tf_idf"),
                                  "TextVectorization")
        if not (ngrams is None or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
                or isinstance(ngrams, tuple) and all(isinstance(i, int) for i in ngrams)):
            raise ValueError(
                "TextVectorization: `ngrams` must be None, an integer, or a tuple of "
                f"integers. Received: ngrams={ngrams}"
            )
        if output_mode == "int" and not (output_sequence_length is None or isinstance(
                output_sequence_length, int)):
            raise ValueError(
                "TextVectorization: `output_sequence_length` must be either None or an "
                "integer when `output_mode` is 'int'. Received: "
                f"output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "TextVectorization: `output_sequence_length` must not be set if "
                f"`output_mode` is not 'int'. Received output_sequence_length="
                f"{output_sequence_length}."
            )
        if ragged and output_mode != "int":
            raise ValueError(
                "TextVectorization: `ragged` may only be true when `output_mode` is 'int'. "
                f"Received: ragged={ragged} and output_mode={output_mode}"
            )
        if ragged and not _common.supports("ragged"):
            from cornu.backend import backend_name

            raise ValueError(
                "TextVectorization: `ragged=True` can only be used with the TensorFlow "
                f"backend (a backend with ragged tensors; the {backend_name()!r} backend "
                "has none)."
            )
        if sparse:
            raise ValueError(
                "TextVectorization: `sparse=True` is not supported by cornu; the encodings "
                "are dense tensors"
            )
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self._convert_input_args = False  # strings are never cast
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            sparse=sparse, has_input_vocabulary=has_input_vocabulary, encoding=encoding,
            vocabulary_size=vocabulary_size)

    # -- vocabulary ----------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary (the padding ``""`` and OOV tokens first in int mode)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The vocabulary size, including the padding and OOV tokens."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and idf weights in tf-idf mode) directly."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- text processing on the host ------------------------------------------------------
    def _standardized(self, texts):
        """Apply ``standardize`` to a numpy object array of str."""
        std = self._standardize
        if std is None:
            return texts
        if callable(std):
            result = std(texts.astype(str) if texts.size else texts)
            return _common.to_text_array(_common.to_numpy(result) if _common.is_tf_tensor(
                result) else result, self._encoding)
        flat = texts.reshape(-1).tolist()
        if std in ("lower", "lower_and_strip_punctuation"):
            flat = [s.translate(_ASCII_LOWER) for s in flat]
        if std in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [_PUNCTUATION.sub("", s) for s in flat]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(texts.shape)

    def _split_rows(self, texts):
        """One list of tokens per sample (``texts`` is 1-D)."""
        split = self._split
        if split == "whitespace":
            return [[t for t in _WHITESPACE.split(s) if t] for s in texts.tolist()]
        if split == "character":
            return [list(s) for s in texts.tolist()]
        result = split(texts.astype(str))
        if hasattr(result, "to_list"):  # a tf.RaggedTensor
            result = result.to_list()
        elif _common.is_tf_tensor(result):
            result = result.numpy().tolist()
        rows = []
        for row in result:
            row = row.tolist() if isinstance(row, np.ndarray) else list(row)
            rows.append([t.decode(self._encoding) if isinstance(t, bytes) else str(t)
                         for t in row])
        return rows

    def _ngram_rows(self, rows):
        if self._ngrams is None:
            return rows
        out = []
        for tokens in rows:
            grams = []
            for width in self._ngrams:
                grams.extend(" ".join(tokens[i:i + width])
                             for i in range(len(tokens) - width + 1))
            out.append(grams)
        return out

    def _token_rows(self, inputs):
        """(rows of tokens, whether the input was split) for any string input."""
        texts = _common.to_text_array(inputs, self._encoding)
        if texts.ndim == 0:
            texts = texts.reshape(1)
        texts = self._standardized(texts)
        if self._split is None:
            return texts, False
        if texts.ndim > 1:
            if texts.shape[-1] != 1:
                raise ValueError(
                    "TextVectorization: when tokenizing strings, the input rank must be 1 "
                    "or the last shape dimension must be 1. Received: "
                    f"inputs.shape={texts.shape} with rank={texts.ndim}"
                )
            texts = texts.reshape(texts.shape[:-1])
        if texts.ndim != 1:
            raise ValueError(
                "TextVectorization: expected a batch of strings of shape (batch,) or "
                f"(batch, 1), received shape {texts.shape}"
            )
        return self._ngram_rows(self._split_rows(texts)), True

    def _ids(self, inputs):
        """Token ids as a padded int64 numpy array (pad: 0 in int mode, -1 otherwise)."""
        rows, was_split = self._token_rows(inputs)
        lookup = self._lookup_layer
        if not was_split:
            ids = lookup._lookup_host(rows)
            if self._output_mode != "int" and ids.ndim == 1:
                ids = ids[:, None]  # one token per sample
            if self._output_mode == "int" and self._output_sequence_length is not None:
                ids = _fit_length(ids.reshape(ids.shape[0], -1) if ids.ndim > 1
                                  else ids[:, None], self._output_sequence_length, 0)
            return ids
        flat = np.empty(sum(len(r) for r in rows), dtype=object)
        flat[:] = [t for r in rows for t in r]
        flat_ids = lookup._lookup_host(flat) if flat.size else np.zeros(0, "int64")
        lengths = [len(r) for r in rows]
        width = self._output_sequence_length if (
            self._output_mode == "int" and self._output_sequence_length is not None) else max(
            lengths, default=0)
        pad = 0 if self._output_mode == "int" else -1
        out = np.full((len(rows), width), pad, dtype="int64")
        start = 0
        for i, n in enumerate(lengths):
            keep = min(n, width)
            out[i, :keep] = flat_ids[start:start + keep]
            start += n
        if self._ragged:
            return [flat_ids[sum(lengths[:i]):sum(lengths[:i + 1])].tolist()
                    for i in range(len(rows))]
        return out

    # -- call --------------------------------------------------------------------------------
    def call(self, inputs):
        self._lookup_layer._ensure_known_vocab_size()
        if not _common.is_string_like(inputs) and not (
                _common.is_tf_tensor(inputs) and inputs.dtype.name == "string"):
            value = np.asarray(_common.to_numpy(inputs)) if hasattr(inputs, "shape") else None
            if value is None or value.size:
                raise TypeError(
                    f"TextVectorization '{self.name}': expected string inputs, received "
                    f"{type(inputs).__name__}"
                    + (f" of dtype {value.dtype}" if value is not None else "")
                )
        if self._ragged:  # the backend's ragged tensor (convert_to_tensor(ragged=True))
            return ops.convert_to_tensor(self._ids(inputs), dtype="int64", ragged=True)
        batch = inputs.shape[0] if hasattr(inputs, "shape") and len(inputs.shape) else None
        if self._output_mode == "int":
            shape = (batch, self._output_sequence_length) if self._split is not None else (
                None if not hasattr(inputs, "shape") else inputs.shape)
            return _common.host_call(self._ids, inputs, "int64", shape)
        ids = _common.host_call(self._ids, inputs, "int64", (batch, None))
        return self._lookup_layer._encode(ids)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0] if input_shape else None, self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:  # (batch,) or (batch, 1) texts become (batch, tokens)
            input_shape = (input_shape[0] if input_shape else None, None)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs):
        if self._output_mode != "int":
            self._lookup_layer._shape_locked = True
        dtype = "int64" if self._output_mode in ("int", "one_hot", "multi_hot", "count") else (
            self._lookup_layer._output_dtype())
        return _common.symbolic_spec(self.compute_output_shape(inputs.shape), dtype)

    def _build_with(self, input_shape):
        self.built = True

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.built = True

    # -- adapt ----------------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and the document frequencies in tf-idf mode) from texts.

        Args:
            data: a numpy array or list of strings, a ``tf.data.Dataset`` of batches of
                strings, or any iterable of batches.
            batch_size: process an array in batches of this many texts.
            steps: the number of batches to read from a dataset or iterable.
        """
        self.reset_state()
        if isinstance(data, (list, tuple, np.ndarray)) or (
                hasattr(data, "shape") and not hasattr(data, "element_spec")):
            if not _common.is_string_like(data) and np.size(_common.to_numpy(data)):
                raise TypeError(
                    f"TextVectorization '{self.name}'.adapt() expects strings, received "
                    f"values of dtype {np.asarray(_common.to_numpy(data)).dtype}"
                )
            texts = _common.to_text_array(data if not hasattr(data, "shape") or isinstance(
                data, np.ndarray) else _common.to_numpy(data), self._encoding)
            if texts.ndim == 1:
                texts = texts[:, None]
            batches = _common.adapt_batches(texts, batch_size, steps, "TextVectorization")
        else:
            batches = _common.adapt_batches(data, batch_size, steps, "TextVectorization")
        for batch in batches:
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        lookup = self._lookup_layer
        if lookup._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "the `vocabulary` argument or the `set_vocabulary()` method."
            )
        if not _common.is_string_like(data):
            raise TypeError(
                f"TextVectorization '{self.name}'.adapt() expects strings, received "
                f"{type(data).__name__}"
                + (f" of dtype {np.asarray(data).dtype}" if hasattr(data, "dtype") else "")
            )
        rows, was_split = self._token_rows(data)
        if not was_split:
            arr = np.asarray(rows, dtype=object)
            arr = arr.reshape(arr.shape[0], -1) if arr.ndim else arr.reshape(1, 1)
            rows = [r.tolist() for r in arr]
        lookup._count_rows(rows)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    # -- saving and config -----------------------------------------------------------------
    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)

    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        lookup = self._lookup_layer
        cfg = super().get_config()
        cfg.update({
            "max_tokens": lookup.max_tokens,
            "standardize": self._standardize if self._standardize is None or isinstance(
                self._standardize, str) else serialize_cornu_object(self._standardize),
            "split": self._split if self._split is None or isinstance(self._split, str)
            else serialize_cornu_object(self._split),
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": lookup.sparse,
            "ragged": self._ragged,
            "vocabulary": lookup.get_config()["vocabulary"],
            "idf_weights": lookup.get_config()["idf_weights"],
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        })
        return cfg

    @classmethod
    def from_config(cls, config):
        from cornu.serialization import deserialize_cornu_object, get_registered_object

        config = dict(config)
        check_vocabulary_config(cls.__name__, config.get("vocabulary"))
        for key in ("standardize", "split"):
            value = config.get(key)
            if value is not None and not isinstance(value, str):
                config[key] = deserialize_cornu_object(value)
            elif isinstance(value, str) and value not in (
                    "lower_and_strip_punctuation", "lower", "strip_punctuation", "whitespace",
                    "character"):
                # A registered custom function saved by its name.
                resolved = get_registered_object(value)
                if resolved is not None:
                    config[key] = resolved
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)


def _fit_length(ids, length, pad):
    """Truncate or right-pad the last axis of a 2-D array to ``length``."""
    if ids.shape[-1] >= length:
        return ids[..., :length]
    out = np.full(ids.shape[:-1] + (length,), pad, dtype=ids.dtype)
    out[..., :ids.shape[-1]] = ids
    return out
