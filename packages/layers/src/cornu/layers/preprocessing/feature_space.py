"""``FeatureSpace``: declarative preprocessing and encoding of structured (tabular) data.

Keras 3 exposes the class as ``keras.utils.FeatureSpace``; in cornu it lives in
cornu-layers (it is built from the preprocessing layers): import it from
``cornu.layers.preprocessing``. It is registered as a layer (so saved FeatureSpaces
load by name) but is not part of ``cornu.layers``'s exports, which mirror
``keras.layers``.

Each feature is a ``Feature`` (a dtype, a preprocessing layer and an output mode);
crosses are ``Cross`` objects hashed by ``HashedCrossing``. ``adapt()`` adapts every
preprocessor that learns state (``Normalization``, ``Discretization``, the lookups,
``TextVectorization``) from a dict of arrays or a ``tf.data.Dataset`` of dicts; calling
the FeatureSpace on a dict of (batched or single) values returns one concatenated
float tensor or a dict of encoded tensors. Strings stay on the host, as everywhere in
cornu's preprocessing (see ``_common.py``). ``save(path)`` writes a ``.keras`` archive
(configs, the Normalization weights, the vocabularies as assets) that
``cornu.saving.load_model`` reads back.
"""
import numpy as np

from cornu import naming, ops
from cornu.layer import Layer
from cornu.layers.preprocessing import _common

_FEATURE_MODULE = "keras.src.layers.preprocessing.feature_space"


def _auto_name(prefix):
    return naming.uniquify(prefix)


class Cross:
    """A feature cross: the named features hashed together into ``crossing_dim`` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Cross: invalid value for argument `output_mode`. Expected one of "
                f"{{'int', 'one_hot'}}. Received: output_mode={output_mode}"
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": list(self.feature_names), "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """A declared feature: its input ``dtype``, its ``preprocessor`` layer and its
    ``output_mode`` (``"int"``, ``"one_hot"`` or ``"float"``)."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in ("int", "one_hot", "float"):
            raise ValueError(
                "Feature: invalid value for argument `output_mode`. Expected one of "
                f"{{'int', 'one_hot', 'float'}}. Received: output_mode={output_mode}"
            )
        if isinstance(preprocessor, dict):
            from cornu.serialization import deserialize_cornu_object

            preprocessor = deserialize_cornu_object(preprocessor, kind="layer")
        self.dtype = dtype
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        from cornu.serialization import serialize_cornu_object

        return {"dtype": self.dtype, "preprocessor": serialize_cornu_object(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _serialize(obj):
    return {"module": _FEATURE_MODULE, "class_name": type(obj).__name__,
            "config": obj.get_config(), "registered_name": type(obj).__name__}


def _deserialize(config, expected):
    if isinstance(config, expected):
        return config
    if isinstance(config, dict) and config.get("class_name") == expected.__name__:
        return expected.from_config(config["config"])
    raise ValueError(f"FeatureSpace: cannot read a {expected.__name__} from {config!r}")


class FeatureSpace(Layer):
    """One-stop preprocessing and encoding of structured data (Keras 3 semantics).

    Args:
        features: a dict mapping each feature name to its type: a name among
            ``"float"``, ``"float_normalized"``, ``"float_rescaled"``,
            ``"float_discretized"``, ``"integer_categorical"``, ``"string_categorical"``,
            ``"integer_hashed"``, ``"string_hashed"``, or a ``Feature`` made by the class
            methods (``FeatureSpace.float_normalized()``, ...,
            ``FeatureSpace.feature(dtype, preprocessor, output_mode)``).
        output_mode: ``"concat"`` (one float vector) or ``"dict"`` (one encoded tensor
            per feature and cross).
        crosses: the crosses: tuples of feature names or ``FeatureSpace.cross(...)``.
        crossing_dim: the default number of bins of a cross (default 32).
        hashing_dim: the default number of bins of the hashed features (default 32).
        num_discretization_bins: the default bins of ``"float_discretized"`` (32).
        name: the name of the layer.
    """

    # -- feature constructors ----------------------------------------------------------
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        from cornu.layers.core.identity import Identity

        name = name or _auto_name("float")
        return Feature("float32", Identity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        from cornu.layers.preprocessing.rescaling import Rescaling

        name = name or _auto_name("float_rescaled")
        return Feature("float32", Rescaling(scale=scale, offset=offset,
                                            name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name=None):
        from cornu.layers.preprocessing.normalization import Normalization

        name = name or _auto_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot",
                          name=None):
        from cornu.layers.preprocessing.discretization import Discretization

        name = name or _auto_name("float_discretized")
        if bin_boundaries is not None:
            layer = Discretization(bin_boundaries=bin_boundaries, name=f"{name}_preprocessor")
        else:
            layer = Discretization(num_bins=num_bins, name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        from cornu.layers.preprocessing.integer_lookup import IntegerLookup

        name = name or _auto_name("integer_categorical")
        return Feature("int32", IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                              num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        from cornu.layers.preprocessing.string_lookup import StringLookup

        name = name or _auto_name("string_categorical")
        return Feature("string", StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                              num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        from cornu.layers.preprocessing.hashing import Hashing

        name = name or _auto_name("string_hashed")
        return Feature("string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        from cornu.layers.preprocessing.hashing import Hashing

        name = name or _auto_name("integer_hashed")
        return Feature("int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    # -- construction --------------------------------------------------------------------
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not features:
            raise ValueError("FeatureSpace: the `features` argument cannot be None or empty.")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {name: self._standardize_feature(name, value)
                         for name, value in features.items()}
        self.crosses = []
        for cross in crosses or []:
            if isinstance(cross, dict):
                cross = _deserialize(cross, Cross)
            if not isinstance(cross, Cross):
                if not crossing_dim:
                    raise ValueError(
                        "FeatureSpace: when specifying `crosses`, the argument "
                        "`crossing_dim` (dimensionality of the crossing space) should be "
                        "specified as well."
                    )
                cross = Cross(cross, crossing_dim=crossing_dim)
            unknown = [k for k in cross.feature_names if k not in self.features]
            if unknown:
                raise ValueError(
                    "FeatureSpace: all features referenced in the `crosses` argument should "
                    f"be present in the `features` dict. Received unknown features: {unknown}"
                )
            self.crosses.append(cross)
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        if output_mode not in ("dict", "concat"):
            raise ValueError(
                "FeatureSpace: invalid value for argument `output_mode`. Expected one of "
                f"{{'dict', 'concat'}}. Received: output_mode={output_mode}"
            )
        self.output_mode = output_mode
        self.preprocessors = {name: f.preprocessor for name, f in self.features.items()}
        from cornu.layers.preprocessing.hashed_crossing import HashedCrossing

        self.crossers = {c.name: HashedCrossing(c.crossing_dim, name=c.name)
                         for c in self.crosses}
        self.one_hot_encoders = {}
        self.inputs = None
        self.encoded_features = None
        self._is_adapted = False
        self._sublayers_built = False
        self._names = None

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return _deserialize(feature, Feature)
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                name=name, num_bins=self.num_discretization_bins),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if feature not in makers:
            raise ValueError(
                f"FeatureSpace: invalid feature type {feature!r} for feature {name!r}; "
                f"expected a Feature or one of {sorted(makers)}"
            )
        return makers[feature]()

    # -- adapt -----------------------------------------------------------------------------
    def _adaptable(self):
        """The features whose preprocessor learns state in ``adapt()``."""
        from cornu.layers.preprocessing.discretization import Discretization
        from cornu.layers.preprocessing.normalization import Normalization

        names = []
        for name in self.features:
            layer = self.preprocessors[name]
            if isinstance(layer, Normalization) and layer.input_mean is not None:
                continue
            if isinstance(layer, Discretization) and layer.num_bins is None:
                continue  # given bin boundaries: nothing to learn
            if getattr(layer, "_has_input_vocabulary", False):
                continue  # a given vocabulary (lookups, TextVectorization)
            if hasattr(layer, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Adapt every preprocessor that learns state.

        Args:
            dataset: a dict mapping feature names to arrays or lists of values, or a
                ``tf.data.Dataset`` yielding such dicts (batched or not).
        """
        if isinstance(dataset, dict):
            columns = {name: np.asarray(_common.to_numpy(v) if hasattr(v, "shape")
                                        and not isinstance(v, np.ndarray) else v)
                       for name, v in dataset.items()}
            for name in self._adaptable():
                if name not in columns:
                    raise ValueError(f"FeatureSpace.adapt(): the data has no feature {name!r}")
                values = columns[name]
                if values.ndim in (0, 1):
                    values = values.reshape(-1, 1)
                # Batches of 32 samples, as Keras adapts from Dataset.from_tensor_slices.
                batches = [values[i:i + 32] for i in range(0, len(values), 32)]
                self.preprocessors[name].adapt(iter(batches))
        elif type(dataset).__module__.startswith("tensorflow") and hasattr(dataset,
                                                                          "element_spec"):
            import tensorflow as tf

            for name in self._adaptable():
                feature_ds = dataset.map(lambda x, name=name: x[name])
                first = next(iter(feature_ds))
                if len(first.shape) == 0:
                    feature_ds = feature_ds.batch(32)
                if len(first.shape) in (0, 1):
                    feature_ds = feature_ds.map(lambda x: tf.expand_dims(x, -1))
                self.preprocessors[name].adapt(feature_ds)
        else:
            raise ValueError(
                "FeatureSpace.adapt() can only be called on a tf.data.Dataset or a dict of "
                f"arrays/lists. Received instead: {type(dataset).__name__}"
            )
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True
        self._sublayers_built = True

    def _check_if_adapted(self):
        if not self._is_adapted:
            if not self._adaptable():
                self._is_adapted = True
            else:
                raise ValueError(
                    f"FeatureSpace '{self.name}': you need to call `.adapt(dataset)` on the "
                    "FeatureSpace before you can start using it."
                )

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # -- the functional graph ----------------------------------------------------------------
    def get_inputs(self):
        """A dict of ``cornu.Input`` of shape ``(1,)``, one per feature."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The encoded features (a symbolic tensor or dict) of ``get_inputs()``."""
        self._check_if_adapted()
        if self.encoded_features is None:
            from cornu.models.input_layer import Input

            self.inputs = {name: Input(shape=(1,), dtype=f.dtype, name=name)
                           for name, f in self.features.items()}
            pre = self._preprocess(self.inputs)
            crossed = self._cross(pre)
            self._create_encoders(pre, crossed)
            self.encoded_features = self._merge(pre, crossed)
        return self.encoded_features

    def _preprocess(self, features):
        return {name: self.preprocessors[name](features[name]) for name in features}

    def _cross(self, features):
        return {c.name: self.crossers[c.name]([features[n] for n in c.feature_names])
                for c in self.crosses}

    def _create_encoders(self, pre, crossed):
        from cornu.layers.preprocessing.category_encoding import CategoryEncoding
        from cornu.layers.preprocessing.discretization import Discretization
        from cornu.layers.preprocessing.hashed_crossing import HashedCrossing
        from cornu.layers.preprocessing.hashing import Hashing
        from cornu.layers.preprocessing.index_lookup import IndexLookup

        self._names = sorted(pre), sorted(crossed)
        specs = [(n, self.features[n], pre[n]) for n in self._names[0]] + [
            (n, self.crosses_by_name[n], crossed[n]) for n in self._names[1]]
        for name, spec, tensor in specs:
            dtype = str(tensor.dtype)
            if spec.output_mode == "one_hot":
                if not dtype.startswith("int"):
                    raise ValueError(
                        f"FeatureSpace: feature '{name}' has output_mode='one_hot', so its "
                        "preprocessor should return an integer dtype; it returns "
                        f"{dtype}."
                    )
                layer = self.preprocessors.get(name) or self.crossers.get(name)
                if isinstance(layer, IndexLookup):
                    depth = layer.vocabulary_size()
                elif isinstance(layer, CategoryEncoding):
                    depth = layer.num_tokens
                elif isinstance(layer, Discretization):
                    depth = layer._depth()
                elif isinstance(layer, (HashedCrossing, Hashing)):
                    depth = layer.num_bins
                else:
                    raise ValueError(
                        f"FeatureSpace: feature '{name}' has output_mode='one_hot', but the "
                        "size of its output space is unknown, so it cannot be one-hot "
                        "encoded. Try using output_mode='int'."
                    )
                self.one_hot_encoders[name] = CategoryEncoding(
                    num_tokens=depth, output_mode="multi_hot")
            elif self.output_mode == "concat" and (dtype.startswith("int") or dtype == "string"):
                raise ValueError(
                    f"FeatureSpace: cannot concatenate features because feature '{name}' has "
                    f"not been encoded (it has dtype {dtype}). Consider using "
                    "output_mode='dict'."
                )

    def _merge(self, pre, crossed):
        names = self._names[0] + self._names[1]
        values = [pre[n] for n in self._names[0]] + [crossed[n] for n in self._names[1]]
        out = {}
        for name, value in zip(names, values):
            encoder = self.one_hot_encoders.get(name)
            out[name] = encoder(value) if encoder is not None else value
        if self.output_mode == "dict":
            return out
        parts = list(out.values())
        from cornu.symbolic import KerasTensor

        if any(isinstance(p, KerasTensor) for p in parts):
            from cornu.layers.merging.concatenate import Concatenate

            if getattr(self, "_concat", None) is None:
                self._concat = Concatenate(axis=-1)
            return self._concat(parts)
        return ops.concatenate([ops.cast(p, "float32") for p in parts], axis=-1)

    # -- calling -----------------------------------------------------------------------------
    def _convert(self, name, x):
        feature = self.features.get(name)
        if isinstance(x, (list, tuple, int, float, str, bytes)) or isinstance(x, np.generic):
            x = np.asarray(x)
        if isinstance(x, np.ndarray):
            if x.dtype.kind in "USO":
                return _common.to_text_array(x)
            if feature is not None and feature.dtype != "string":
                return ops.convert_to_tensor(x, dtype=feature.dtype)
            return ops.convert_to_tensor(x)
        return x

    def __call__(self, data):
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                "A FeatureSpace can only be called with a dict. "
                f"Received: data of type {type(data).__name__}"
            )
        data = {k: self._convert(k, v) for k, v in data.items()}
        rebatched = False
        for name, x in data.items():
            if len(x.shape) == 0:
                data[name] = x.reshape(1, 1) if isinstance(x, np.ndarray) else ops.reshape(x, (1, 1))
                rebatched = True
            elif len(x.shape) == 1:
                data[name] = x[:, None] if isinstance(x, np.ndarray) else ops.expand_dims(x, -1)
        missing = [n for n in self.features if n not in data]
        if missing:
            raise ValueError(f"FeatureSpace '{self.name}': the input dict lacks the features "
                             f"{missing}")
        pre = self._preprocess({n: data[n] for n in self.features})
        crossed = self._cross(pre)
        merged = self._merge(pre, crossed)
        if rebatched:
            if self.output_mode == "concat":
                merged = ops.squeeze(merged, axis=0)
            else:
                merged = {k: ops.squeeze(v, axis=0) if len(v.shape) == 2 and v.shape[0] == 1
                          else v for k, v in merged.items()}
        return merged

    def call(self, data):
        return self(data)

    # -- config and saving -------------------------------------------------------------------
    def get_config(self):
        return {
            "name": self.name,
            "features": {name: _serialize(f) for name, f in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [_serialize(c) for c in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {name: f.preprocessor.get_build_config() for name, f in self.features.items()}

    def build_from_config(self, config):
        for name, build in (config or {}).items():
            layer = self.features[name].preprocessor
            if not layer.built and build:
                layer.build_from_config(build)
        self._is_adapted = True
        self.built = True

    def get_compile_config(self):
        return None  # a FeatureSpace is saved like a model, without training state

    def save(self, filepath):
        """Save the FeatureSpace to a ``.keras`` file; reload with ``cornu.saving.load_model``."""
        from cornu.saving import save_model

        save_model(self, filepath)

    def save_own_variables(self, store):
        return

    def load_own_variables(self, store):
        return
