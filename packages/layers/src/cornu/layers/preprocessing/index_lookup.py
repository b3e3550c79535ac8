"""``IndexLookup``: the vocabulary machinery shared by ``StringLookup``,
``IntegerLookup`` and ``TextVectorization`` (not a public Keras class).

What runs where:

* The vocabulary is a Python list on the host; ``adapt()`` counts tokens on the host
  (``collections.Counter``) and orders them as Keras does (by count, ties by token,
  both descending; the mask and OOV tokens are never learned).
* Strings are looked up on the host (a dict, once per distinct value of the batch) and
  the ids become a backend tensor. Integer tensors are looked up on the device: the
  vocabulary is kept as sorted keys and ``ops.searchsorted`` finds each input, so an
  ``IntegerLookup`` inside a model never leaves the device or the traced graph.
* The one-hot / multi-hot / count / tf-idf encodings run on the device.
* On the TensorFlow backend a ``tf.Tensor`` of strings is looked up with the same host
  code (through ``tf.numpy_function`` inside graphs).

Out-of-vocabulary values: with one OOV index they map to it; with several, integers go
to ``floormod(value, num_oov_indices)`` (``oov_method="floormod"``) and strings (or
integers with ``oov_method="farmhash"``) to FarmHash Fingerprint64 of their text
modulo ``num_oov_indices`` (SipHash-2-4 with ``salt``), the bins Keras uses.

Saving: a vocabulary given as a list lives in the config; an adapted vocabulary (or one
read from a file) is written by ``save_assets(dir)`` to ``dir/vocabulary.txt`` and read
back by ``load_assets(dir)``, the Keras 3 asset protocol. TF-IDF weights are saved by
``save_own_variables`` under the key ``"idf_weights"``, as Keras does.
"""
import collections
import os

import numpy as np

from cornu import config, ops
from cornu.layer import Layer
from cornu.layers.preprocessing import _common, _hash

_OOV = -2  # host marker of an out-of-vocabulary value before OOV bucketing


class IndexLookup(Layer):
    """Maps values from a vocabulary to integer indices (the base of the lookup layers).

    Args:
        max_tokens: the maximum vocabulary size, including the mask and OOV tokens
            (None: no cap).
        num_oov_indices: the number of out-of-vocabulary indices (0: OOV inputs raise).
        mask_token: the token that stands for masked inputs (index 0 in int mode,
            dropped from the encodings otherwise); None: no mask.
        oov_token: the token returned for OOV indices when ``invert=True``.
        vocabulary_dtype: ``"string"`` or ``"int64"``.
        vocabulary: a list/array of tokens, or the path of a text file with one token
            per line (refused when loading a model in safe mode).
        idf_weights: the inverse document frequencies (``output_mode="tf_idf"``).
        invert: map indices back to tokens (``output_mode="int"`` only).
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"``.
        sparse: not supported by cornu; must be False.
        pad_to_max_tokens: make the encodings ``max_tokens`` wide whatever the
            vocabulary size.
        oov_method: ``"floormod"`` or ``"farmhash"`` (integer vocabularies).
        salt: an int or a pair of ints: key the OOV string hash (SipHash).
    """

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", name=None,
                 salt=None, **kwargs):
        cls = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"{cls}: if set, `max_tokens` must be greater than 1. Received: "
                f"max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"{cls}: if pad_to_max_tokens is True, `max_tokens` must be set. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                f"{cls}: `num_oov_indices` must be greater than or equal to 0. Received: "
                f"num_oov_indices={num_oov_indices}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"{cls}: `oov_method` must be 'floormod' or 'farmhash'. Received: "
                f"oov_method={oov_method!r}"
            )
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(
                    f"{cls}: `salt` can only be used when oov_method='farmhash'. "
                    f"Received: oov_method={oov_method}"
                )
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    f"{cls}: the `salt` argument can only be a tuple of 2 integers, or a "
                    f"single integer. Received: salt={salt}."
                )
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        _common.check_output_mode(output_mode,
                                  ("int", "one_hot", "multi_hot", "count", "tf_idf"), cls)
        if invert and output_mode != "int":
            raise ValueError(
                f"{cls}: `output_mode` must be 'int' when `invert` is true. Received: "
                f"output_mode={output_mode}"
            )
        if sparse:
            raise ValueError(
                f"{cls}: `sparse=True` is not supported by cornu; the encodings are dense "
                "tensors"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{cls}: `idf_weights` should only be set if `output_mode` is 'tf_idf'. "
                f"Received: output_mode={output_mode}"
            )
        frozen_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self._convert_input_args = False  # tokens are looked up as given
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._frozen_vocab_size = frozen_size
        self._shape_locked = frozen_size is not None
        self._tokens = []
        self._table = None
        self._device_table = None
        self._invert_table = None
        self.idf_weights = None
        self._idf_tensor = None
        self.reset_state()
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                f"{cls}: when specifying the `vocabulary` argument in TF-IDF output mode, "
                "the `idf_weights` argument must also be provided."
            )
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif idf_weights is not None:
            self._set_idf(np.asarray(idf_weights, dtype=config.floatx()))

    # -- indices of the special tokens --------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _is_string(self):
        return self.vocabulary_dtype == "string"

    # -- the vocabulary -----------------------------------------------------------------
    def vocabulary_size(self):
        """The size of the vocabulary, including the mask and OOV indices."""
        return self._token_start_index() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, a token's position being its index (special tokens first)."""
        tokens = list(self._tokens)
        if not include_special_tokens:
            return tokens
        special = [self.mask_token] * self._oov_start_index() + [
            self.oov_token] * self.num_oov_indices
        return special + tokens

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and the idf weights in ``"tf_idf"`` mode) directly.

        Args:
            vocabulary: a list, tuple, 1-D array or tensor of tokens, or the path of a
                text file with one token per line. It may start with the special tokens
                (mask, then the OOV tokens) exactly as ``get_vocabulary()`` returns them.
            idf_weights: the idf weights, one per vocabulary entry (``"tf_idf"`` only).
        """
        cls = type(self).__name__
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{cls}: `idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                f"{cls}: `idf_weights` should only be set if output_mode is 'tf_idf'. "
                f"Received: output_mode={self.output_mode}"
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            path = os.fspath(vocabulary)
            if not os.path.exists(path):
                raise ValueError(f"{cls}: vocabulary file {path} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError(
                    f"{cls}: output_mode 'tf_idf' does not support loading a vocabulary "
                    "from a file."
                )
            vocabulary = self._read_vocabulary_file(path)
        vocabulary = self._standardize_tokens(vocabulary)
        if len(vocabulary) == 0:
            raise ValueError(f"{cls}: cannot set an empty vocabulary.")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [
            self.oov_token] * self.num_oov_indices
        found_special = vocabulary[:token_start] == special
        tokens = vocabulary[token_start:] if found_special else vocabulary
        counts = collections.Counter(tokens)
        repeated = [t for t, c in counts.items() if c > 1]
        if repeated:
            raise ValueError(
                f"{cls}: the passed vocabulary has at least one repeated term. Please "
                f"uniquify your dataset. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in counts:
            raise ValueError(
                f"{cls}: found reserved mask token at unexpected location in "
                "`vocabulary`. Note that the passed `vocabulary` does not need to include "
                "the OOV and mask tokens. Either remove all mask and OOV tokens, or "
                "include them only at the start of the vocabulary in precisely this "
                f"order: {special}. Received: mask_token={self.mask_token!r} at vocabulary "
                f"index {vocabulary.index(self.mask_token)}"
            )
        if self.oov_token is not None and self.invert and self.oov_token in counts:
            raise ValueError(
                f"{cls}: found reserved OOV token at unexpected location in `vocabulary`. "
                "Either remove all mask and OOV tokens, or include them only at the start "
                f"of the vocabulary in precisely this order: {special}. Received: "
                f"oov_token={self.oov_token!r} at vocabulary index "
                f"{vocabulary.index(self.oov_token)}"
            )
        new_size = token_start + len(tokens)
        if self.max_tokens is not None and new_size > self.max_tokens:
            raise ValueError(
                f"{cls}: attempted to set a vocabulary larger than the maximum vocab size. "
                f"Received vocabulary size is {new_size}; `max_tokens` is {self.max_tokens}."
            )
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf_weights = np.asarray(_common.to_numpy(idf_weights), dtype="float64")
            if idf_weights.ndim != 1:
                raise ValueError(f"{cls}: TF-IDF data must be a 1-index array.")
            if len(vocabulary) != len(idf_weights):
                raise ValueError(
                    f"{cls}: `idf_weights` must be the same length as vocabulary. "
                    f"len(idf_weights) is {len(idf_weights)}; len(vocabulary) is "
                    f"{len(vocabulary)}"
                )
            front, front_value = (0, 0.0) if found_special else (
                token_start, float(np.average(idf_weights)))
            back = 0
            if self.pad_to_max_tokens and self.max_tokens is not None:
                back = self.max_tokens - front - len(idf_weights)
            weights = np.pad(idf_weights, (front, back), "constant",
                             constant_values=(front_value, 0.0))
            self._set_idf(weights.astype(config.floatx()))

    def _read_vocabulary_file(self, path):
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        while lines and lines[-1] == "":
            lines.pop()
        return [line[:-1] if line.endswith("\r") else line for line in lines]

    def _standardize_tokens(self, vocabulary):
        """The vocabulary as a list of Python ``str`` or ``int``."""
        values = vocabulary
        if not isinstance(values, (list, tuple)):
            values = _common.to_numpy(values)
            values = values.reshape(-1).tolist()
        out = []
        for v in values:
            if self._is_string():
                out.append(v.decode(getattr(self, "encoding", "utf-8"))
                           if isinstance(v, bytes) else str(v))
            else:
                try:
                    out.append(int(v))
                except (TypeError, ValueError):
                    raise ValueError(
                        f"{type(self).__name__}: the vocabulary must hold integers "
                        f"(vocabulary_dtype={self.vocabulary_dtype}); received {v!r}"
                    ) from None
        return out

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._table = {t: i + start for i, t in enumerate(self._tokens)}
        self._device_table = None
        self._invert_table = None
        self._record_vocabulary_size()

    def _set_idf(self, weights):
        self.idf_weights = np.asarray(weights)
        self._idf_tensor = None

    def _record_vocabulary_size(self):
        new_size = self.vocabulary_size()
        if (self._shape_locked and self.output_mode != "int" and not self.pad_to_max_tokens
                and self._frozen_vocab_size is not None and new_size != self._frozen_vocab_size):
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}': when using "
                f"output_mode={self.output_mode!r} and pad_to_max_tokens=False, the "
                "vocabulary size cannot be changed after the layer is used in a model. "
                f"Old vocab size is {self._frozen_vocab_size}, new vocab size is {new_size}"
            )
        self._frozen_vocab_size = new_size

    # -- adapt ------------------------------------------------------------------------------
    def reset_state(self):
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and the document frequencies in tf-idf mode) from ``data``.

        The vocabulary lists the tokens by decreasing count, ties broken by decreasing
        token, truncated to ``max_tokens``.

        Args:
            data: a numpy array or list of tokens (a 1-D array is one token per
                document), a tensor, a ``tf.data.Dataset`` or any iterable of batches.
            batch_size: process an array in batches of this many rows.
            steps: the number of batches to read from a dataset or iterable.
        """
        self.reset_state()
        if _is_array_like(data):
            arr = self._host_values(data)
            if arr.ndim == 1:
                arr = arr[:, None]
            for batch in _common.adapt_batches(arr, batch_size, steps, type(self).__name__):
                self.update_state(batch)
        else:
            for batch in _common.adapt_batches(data, batch_size, steps, type(self).__name__):
                self.update_state(batch)
        self.finalize_state()

    def _host_values(self, data):
        arr = _common.to_numpy(data) if not isinstance(data, (list, tuple)) else data
        if self._is_string():
            if not _common.is_string_like(arr) and np.asarray(arr, dtype=object).size:
                raise TypeError(
                    f"{type(self).__name__} '{self.name}': expected string data, received "
                    f"values of dtype {np.asarray(arr).dtype}"
                )
            return _common.to_text_array(arr, getattr(self, "encoding", "utf-8"))
        arr = np.asarray(arr)
        if arr.dtype.kind not in "iub":
            raise TypeError(
                f"{type(self).__name__} '{self.name}': expected integer data "
                f"(vocabulary_dtype={self.vocabulary_dtype}), received values of dtype "
                f"{arr.dtype}"
            )
        return arr.astype("int64")

    def update_state(self, data):
        """Count the tokens of one batch (rows are documents)."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "the `vocabulary` argument or the `set_vocabulary()` method."
            )
        if isinstance(data, list) and data and isinstance(data[0], list):
            rows = [self._host_values(row).reshape(-1).tolist() for row in data]
        else:
            arr = self._host_values(data)
            if arr.ndim == 0:
                arr = arr.reshape(1)
            if arr.ndim == 1:
                arr = arr[None, :]  # a 1-D batch is a single document (as in Keras)
            rows = [r.reshape(-1).tolist() for r in arr]
        self._count_rows(rows)

    def _count_rows(self, rows):
        """Add lists of tokens (one list per document) to the counts."""
        for row in rows:
            self._token_counts.update(row)
        if self.output_mode == "tf_idf":
            for row in rows:
                self._document_counts.update(set(row))
            self._num_documents += len(rows)

    def finalize_state(self):
        if self._has_input_vocabulary or not self._token_counts:
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            ordered = ordered[:self.max_tokens - self._token_start_index()]
        tokens = [t for t, _ in ordered]
        if self.output_mode == "tf_idf":
            doc_counts = np.asarray([self._document_counts[t] for t in tokens], dtype="float64")
            idf = np.log(1 + self._num_documents / (1 + doc_counts)).astype(config.floatx())
            mean = float(np.mean(idf)) if idf.size else 0.0
            idf = np.pad(idf, (self._token_start_index(), 0), constant_values=mean)
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - idf.size), constant_values=0)
            self._set_idf(idf)
        self._set_tokens(tokens)
        self.reset_state()

    # -- lookups on the host ---------------------------------------------------------------
    def _lookup_host(self, values):
        """Indices (int64 numpy) of a numpy array of tokens."""
        flat = values.reshape(-1)
        if flat.size == 0:
            return np.zeros(values.shape, dtype="int64")
        uniques, inverse = np.unique(flat, return_inverse=True)
        keys = uniques.tolist()
        table = self._table or {}
        ids = np.fromiter((table.get(k, _OOV) for k in keys), dtype="int64", count=len(keys))
        mask_id = 0 if self.output_mode == "int" else -1
        if self.mask_token is not None:
            ids = np.where(np.asarray([k == self.mask_token for k in keys]), mask_id, ids)
        oov = ids == _OOV
        if oov.any():
            oov_keys = [k for k, o in zip(keys, oov) if o]
            if self.num_oov_indices == 0:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': when num_oov_indices=0 all inputs "
                    f"should be in vocabulary, found OOV values {oov_keys[:10]}, consider "
                    "setting num_oov_indices=1."
                )
            start = self._oov_start_index()
            if self.num_oov_indices == 1:
                ids[oov] = start
            elif not self._is_string() and self.oov_method != "farmhash":
                ids[oov] = np.mod(np.asarray(oov_keys, dtype="int64"),
                                  self.num_oov_indices) + start
            else:
                ids[oov] = _hash.hash_buckets(np.asarray(oov_keys), self.num_oov_indices,
                                              key=self.salt) + start
        return ids[inverse.reshape(-1)].reshape(values.shape)

    def _invert_host(self, indices):
        """Tokens of a numpy array of indices; unknown indices give ``oov_token``."""
        vocab = self.get_vocabulary()
        size = len(vocab)
        flat = np.asarray(indices).reshape(-1).tolist()
        out = [vocab[i] if 0 <= i < size else self.oov_token for i in flat]
        return np.asarray(out, dtype=str).reshape(np.shape(indices))

    # -- lookups of integer tensors on the device -----------------------------------------
    def _device_tables(self):
        table = self._device_table
        if table is None:
            keys = np.asarray(self._tokens, dtype="int64")
            order = np.argsort(keys, kind="stable")
            ids = np.arange(len(keys), dtype="int64") + self._token_start_index()
            if len(keys) == 0:  # searchsorted needs one key: a sentinel that never matches
                keys_sorted, ids_sorted, empty = np.zeros(1, "int64"), np.zeros(1, "int64"), True
            else:
                keys_sorted, ids_sorted, empty = keys[order], ids[order], False
            table = (_common.constant(keys_sorted, "int64"), _common.constant(ids_sorted, "int64"),
                     empty, len(keys_sorted))
            object.__setattr__(self, "_device_table", table)
        return table

    def _lookup_tensor(self, x):
        keys, ids, empty, n = self._device_tables()
        x = ops.cast(x, "int64")
        pos = ops.minimum(ops.cast(ops.searchsorted(keys, x), "int64"), n - 1)
        found = ops.equal(ops.take(keys, pos), x)
        if empty:
            found = ops.not_equal(x, x)  # nothing is in an empty vocabulary
        if self.num_oov_indices == 0:
            self._assert_all_found(found, x)
            oov = ops.zeros_like(x)
        elif self.num_oov_indices == 1:
            oov = ops.full_like(x, self._oov_start_index())
        else:
            oov = ops.add(ops.mod(x, self.num_oov_indices), self._oov_start_index())
        out = ops.where(found, ops.take(ids, pos), oov)
        if self.mask_token is not None:
            mask_id = 0 if self.output_mode == "int" else -1
            out = ops.where(ops.equal(x, int(self.mask_token)), mask_id, out)
        return out

    def _assert_all_found(self, found, x):
        message = (f"{type(self).__name__} '{self.name}': when num_oov_indices=0 all inputs "
                   "should be in vocabulary; found OOV values, consider setting "
                   "num_oov_indices=1.")
        if _common.is_tf_graph_tensor(x):
            import tensorflow as tf

            tf.debugging.Assert(tf.reduce_all(found), [message])
            return
        if not bool(_common.to_numpy(ops.all(found))):
            bad = _common.to_numpy(x)[~_common.to_numpy(found)]
            raise ValueError(message + f" OOV values: {bad.reshape(-1)[:10].tolist()}")

    def _invert_tensor(self, x):
        vocab = np.asarray(self.get_vocabulary(), dtype="int64")
        table = self._invert_table
        if table is None:
            table = _common.constant(vocab, "int64")
            object.__setattr__(self, "_invert_table", table)
        x = ops.cast(x, "int64")
        valid = ops.logical_and(ops.greater_equal(x, 0), ops.less(x, len(vocab)))
        gathered = ops.take(table, ops.clip(x, 0, len(vocab) - 1))
        return ops.where(valid, gathered, int(self.oov_token))

    # -- call ------------------------------------------------------------------------------
    def _ensure_known_vocab_size(self):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if not self._tokens and self._frozen_vocab_size is None:
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}': when using "
                f"output_mode={self.output_mode!r} and pad_to_max_tokens=False, you must "
                "set the layer's vocabulary before calling it. Either pass a `vocabulary` "
                "argument to the layer, or call `adapt` with some sample data."
            )

    def _depth(self):
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self._tokens:
            return self.vocabulary_size()
        return self._frozen_vocab_size

    def _lookup_any(self, inputs):
        """Indices (a backend tensor, int64) of any input; host work for strings."""
        if self._is_string() or self.oov_method == "farmhash" and self.num_oov_indices > 1:
            if not self._is_string() and _common.is_string_like(inputs):
                raise TypeError(
                    f"{type(self).__name__} '{self.name}': expected integer inputs, "
                    "received strings"
                )
            return _common.host_call(
                lambda v: self._lookup_host(self._host_values(v)), inputs, "int64",
                getattr(inputs, "shape", None))
        if _common.is_string_like(inputs):
            raise TypeError(
                f"{type(self).__name__} '{self.name}': expected integer inputs "
                f"(vocabulary_dtype={self.vocabulary_dtype}), received strings"
            )
        x = inputs
        if not hasattr(x, "shape") or isinstance(x, np.ndarray):
            x = self._host_values(x)
        x = ops.convert_to_tensor(x)
        if "float" in str(x.dtype):
            raise TypeError(
                f"{type(self).__name__} '{self.name}': expected integer inputs "
                f"(vocabulary_dtype={self.vocabulary_dtype}), received dtype {x.dtype}"
            )
        return self._lookup_tensor(x)

    def call(self, inputs):
        self._ensure_known_vocab_size()
        if self.invert:
            if self._is_string():
                return _common.host_call(
                    lambda v: self._invert_host(np.asarray(v)), inputs, "string",
                    getattr(inputs, "shape", None))
            return self._invert_tensor(ops.convert_to_tensor(
                inputs if hasattr(inputs, "shape") else np.asarray(inputs)))
        ids = self._lookup_any(inputs)
        return self._encode(ids)

    def _encode(self, ids):
        if self.output_mode == "int":
            return ids
        depth = self._depth()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = _common.encode_categorical(ids, mode, depth, "int64")
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': when output_mode='tf_idf', "
                    "`idf_weights` must be provided (adapt the layer or pass them)."
                )
            if self._idf_tensor is None:
                self._idf_tensor = _common.constant(self.idf_weights, config.floatx())
            out = ops.multiply(ops.cast(out, config.floatx()), self._idf_tensor)
        return out

    def _output_dtype(self):
        if self.invert:
            return self.vocabulary_dtype
        return config.floatx() if self.output_mode == "tf_idf" else "int64"

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return _common.encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs):
        if self.output_mode != "int":
            self._shape_locked = True
        return _common.symbolic_spec(self.compute_output_shape(inputs.shape),
                                     self._output_dtype())

    def _build_with(self, input_shape):
        self.built = True

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.built = True

    # -- saving ------------------------------------------------------------------------------
    def save_own_variables(self, store):
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self._set_idf(np.asarray(store["idf_weights"]))

    def save_assets(self, dir_path):
        """Write the vocabulary (special tokens included) to ``dir_path/vocabulary.txt``,
        unless it is part of the config."""
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, "vocabulary.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path):
        """Read the vocabulary written by ``save_assets``."""
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, "vocabulary.txt")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self._is_string() else [int(line) for line in lines]
        if not values:
            return
        if self.output_mode == "tf_idf":
            self.set_vocabulary(values, idf_weights=self.idf_weights)
        else:
            self.set_vocabulary(values)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": _listify(self.input_idf_weights),
            "vocabulary": _listify(self.input_vocabulary),
            "vocabulary_size": self.vocabulary_size() if self._tokens else self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        })
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        check_vocabulary_config(cls.__name__, config.get("vocabulary"))
        return cls(**config)


def check_vocabulary_config(layer, vocabulary):
    """Refuse a vocabulary file path in a config loaded in safe mode.

    A config read from a file must not make loading open an arbitrary path outside the
    archive; adapted vocabularies travel as assets inside the archive instead.
    """
    if isinstance(vocabulary, str):
        from cornu.serialization import in_safe_mode

        if in_safe_mode():
            raise ValueError(
                f"{layer}: the config asks to read a vocabulary file outside of the model "
                "archive. This carries a potential risk of loading arbitrary and "
                "sensitive files and is disallowed in safe mode. If you trust the source "
                "of the file, pass `safe_mode=False` to the loading function. "
                f"Vocabulary file: {vocabulary!r}"
            )


def _is_array_like(data):
    if isinstance(data, (np.ndarray, list, tuple, str, bytes)):
        return True
    return hasattr(data, "shape") and hasattr(data, "dtype") and not hasattr(data, "element_spec")


def _listify(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return [v.item() if isinstance(v, np.generic) else v for v in x]
    return _common.to_numpy(x).tolist()

