"""The scikit-learn wrappers of ``cornu.wrappers`` (``keras.wrappers``), as in Keras 3.15.

Each wrapper takes a compiled model, or a callable that builds and compiles one from the
training data (``model(X=X, y=y, **model_kwargs)``), and gives it the estimator API:

* ``SKLearnClassifier``: one-hot encodes the labels for ``fit`` (``classes_``),
  ``predict`` returns labels (the argmax of the model's outputs), ``decision_function``
  the model's raw outputs, ``score`` the accuracy.  Like Keras's, it has no
  ``predict_proba``: a model's outputs are not probabilities unless its last
  activation makes them so.
* ``SKLearnRegressor``: ``predict`` returns the outputs (1-D for 1-D targets),
  ``score`` the R^2.
* ``SKLearnTransformer``: ``transform`` returns the outputs (``fit_transform`` too).

``get_params``/``set_params`` cover the four constructor arguments (``model``,
``warm_start``, ``model_kwargs``, ``fit_kwargs``); scikit-learn's tags say the fit is
not deterministic, and that a small model's score may be poor.  scikit-learn is a
soft dependency: without it the classes still import, and creating one raises an
``ImportError`` that says ``pip install scikit-learn``.

Where Keras 3.15's code departs from its own documentation, these follow the
documentation: ``warm_start=True`` reuses the fitted model (and does not clone a
model instance), ``clone`` keeps ``fit_kwargs``, ``fit`` never changes the
``fit_kwargs`` dict it was given, and ``set_fit_request`` routes metadata to ``fit``.
A model given as an instance is cloned with its compile configuration (cornu's
``clone_model`` compiles the clone, where Keras's leaves it uncompiled and the
wrapper then refuses it).  A fitted wrapper pickles (its model travels as a
``.keras`` file), as scikit-learn expects of estimators.
"""
import copy
import os
import tempfile

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # the classes still exist; creating one names the missing package
    sklearn = None

    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

    class TransformerMixin:
        pass


__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def assert_sklearn_installed(symbol_name):
    """Raise the ImportError Keras raises when scikit-learn is missing."""
    if sklearn is None:
        raise ImportError(
            f"{symbol_name} requires `scikit-learn` to be installed. "
            "Run `pip install scikit-learn` to install it."
        )


# -- scikit-learn version shims (keras/src/wrappers/fixes.py) ----------------------------


def _validate_data(estimator, *args, **kwargs):
    """``sklearn.utils.validation.validate_data`` (scikit-learn >= 1.6), else the
    estimator's ``_validate_data`` method of older releases."""
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:
        return estimator._validate_data(*args, **kwargs)
    return validate_data(estimator, *args, **kwargs)


def type_of_target(y, input_name="", *, raise_unknown=False):
    """scikit-learn's ``type_of_target``; with ``raise_unknown`` an "unknown" target is a
    ValueError (as newer scikit-learn releases do)."""
    from sklearn.utils.multiclass import type_of_target as sk_type_of_target

    target_type = sk_type_of_target(y, input_name=input_name)
    if raise_unknown and target_type == "unknown":
        raise ValueError(f"Unknown label type for {input_name or 'data'}: {y!r}")
    return target_type


def _routing_enabled():
    """Whether scikit-learn's metadata routing is on (``sklearn.set_config``)."""
    if sklearn is None:
        return False
    config = sklearn.get_config()
    if "enable_metadata_routing" in config:
        return bool(config.get("enable_metadata_routing", False))
    return False


def _check_model(model):
    """The model to fit must be a compiled model with a loss and an optimizer."""
    from cornu.models.model import Model

    if not isinstance(model, Model):
        raise TypeError(
            "The wrapper's `model` must be a compiled cornu/Keras `Model`, or a callable "
            f"that returns one; it gave {type(model).__name__}: {model!r}"
        )
    if not getattr(model, "compiled", False) or not model.loss or not model.optimizer:
        raise RuntimeError(
            "Given model needs to be compiled, and have a loss and an optimizer."
        )


class TargetReshaper(TransformerMixin, BaseEstimator):
    """Convert 1D targets to 2D and back (for encoders that take 2D input only).

    Attributes:
        ndim_: the number of dimensions of the ``y`` it was fitted on.
    """

    def fit(self, y):
        """Remember ``y.ndim``; returns self."""
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        """``y`` as a column if it is 1-D, else unchanged."""
        if y.ndim == 1:
            return y.reshape(-1, 1)
        return y

    def inverse_transform(self, y):
        """A single column back to 1-D if the fitted ``y`` was 1-D, else unchanged."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y


# -- pickling: the model travels as a .keras file ------------------------------------------


class _SavedModel:
    """A model in a pickle: the bytes of its ``.keras`` file (weights, optimizer state)."""

    def __init__(self, model):
        from cornu.saving import save_model

        with tempfile.TemporaryDirectory(prefix="cornu-sklearn-") as folder:
            path = os.path.join(folder, "model.keras")
            save_model(model, path)
            with open(path, "rb") as handle:
                self.data = handle.read()

    def load(self):
        from cornu.saving import load_model

        with tempfile.TemporaryDirectory(prefix="cornu-sklearn-") as folder:
            path = os.path.join(folder, "model.keras")
            with open(path, "wb") as handle:
                handle.write(self.data)
            # Unpickling runs code by nature: the file came from this pickle, trusted.
            return load_model(path, safe_mode=False)


def _detached_history(history):
    """A copy of a ``History`` callback without its model (which pickles separately)."""
    from cornu.engine.callbacks import History

    copied = History()
    copied.history = copy.deepcopy(getattr(history, "history", {}))
    copied.epoch = list(getattr(history, "epoch", []))
    params = getattr(history, "params", None)
    if params is not None:
        copied.params = copy.deepcopy(params)
    return copied


def _is_model(obj):
    from cornu.models.model import Model

    return isinstance(obj, Model)


class SKLBase(BaseEstimator):
    """Base class for the scikit-learn wrappers.

    Note that there are sources of randomness in model initialization and training
    (``cornu.utils.set_random_seed`` fixes them).

    Args:
        model: a compiled ``Model``, or a callable returning one. A ``Model`` is
            cloned (``cornu.models.clone_model``, with its compile configuration)
            before each fit, unless ``warm_start=True``. A callable is called as
            ``model(X=X, y=y, **model_kwargs)`` with the validated training data
            (for a classifier ``y`` is one-hot encoded), and must return a compiled
            model.
        warm_start: bool, defaults to False. Whether to reuse the model weights
            from the previous fit: if True, a given ``Model`` is not cloned, and a
            later ``fit`` goes on training the fitted model.
        model_kwargs: dict, defaults to None. Keyword arguments passed to ``model``,
            if ``model`` is callable.
        fit_kwargs: dict, defaults to None. Keyword arguments passed to
            ``model.fit``. They can also be passed to the wrapper's ``fit``; those
            take precedence.

    Attributes:
        model_: the fitted ``Model``.
        history_: the ``History`` that ``model.fit`` returned
            (``history_.history`` is the dict of epoch logs).
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        assert_sklearn_installed(self.__class__.__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self):
        return {"non_deterministic": True}  # scikit-learn < 1.6

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        """An unfitted copy with the same parameters (``sklearn.base.clone``).

        A callable ``model`` is shared (a ``Model`` instance too: ``fit`` clones it
        anyway); the dicts are copied, so that a clone cannot change the original's.
        """
        return type(self)(
            model=self.model,
            warm_start=self.warm_start,
            model_kwargs=copy.copy(self.model_kwargs),
            fit_kwargs=copy.copy(self.fit_kwargs),
        )

    @property
    def epoch_(self):
        """The number of epochs the last ``fit`` trained (0 before fitting)."""
        history = getattr(self, "history_", None)
        return len(getattr(history, "epoch", ())) if history is not None else 0

    def set_fit_request(self, **kwargs):
        """Set the metadata (e.g. ``sample_weight=True``) that a meta-estimator routes
        to ``fit``, which passes it on to ``model.fit`` (scikit-learn's metadata
        routing, https://scikit-learn.org/stable/metadata_routing.html).

        Args:
            **kwargs: ``param_name=alias``, the alias one of True, False, None or a
                string.

        Returns:
            self
        """
        if not _routing_enabled():
            raise RuntimeError(
                "This method is only available when metadata routing is enabled. You can "
                "enable it using sklearn.set_config(enable_metadata_routing=True)."
            )
        from sklearn.utils.metadata_routing import MetadataRequest

        self._metadata_request = MetadataRequest(owner=self.__class__.__name__)
        for param, alias in kwargs.items():
            self._metadata_request.fit.add_request(param=param, alias=alias)
        return self

    def _get_model(self, X, y):
        if self.warm_start and getattr(self, "model_", None) is not None:
            return self.model_
        if _is_model(self.model):
            if self.warm_start:
                return self.model
            from cornu.models.cloning import clone_model

            return clone_model(self.model)
        if not callable(self.model):
            raise TypeError(
                "The wrapper's `model` must be a compiled cornu/Keras `Model`, or a "
                f"callable that returns one; got {type(self.model).__name__}: "
                f"{self.model!r}"
            )
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fit the model.

        Args:
            X: array-like, shape ``(n_samples, n_features)``: the input samples.
            y: array-like, shape ``(n_samples,)`` or ``(n_samples, n_outputs)``: the
                targets.
            **kwargs: keyword arguments passed to ``model.fit`` (over ``fit_kwargs``).

        Returns:
            self
        """
        X, y = _validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_model(model)
        fit_kwargs = dict(self.fit_kwargs or {})
        fit_kwargs.update(kwargs)
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def predict(self, X):
        """Predict using the model (for a classifier: the labels)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        raw_output = self.model_.predict(X)
        return self._reverse_process_target(raw_output)

    def _process_target(self, y, reset=False):
        """Regressors pass the targets through (as a column if 1-D); classifiers
        one-hot encode them."""
        type_of_target(y, raise_unknown=True)  # the error for an invalid target
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)

    # -- pickling ------------------------------------------------------------------------
    def __getstate__(self):
        state = super().__getstate__()
        state = dict(state)
        for key in ("model", "model_"):
            if _is_model(state.get(key)):
                state[key] = _SavedModel(state[key])
        if state.get("history_") is not None:
            state["history_"] = _detached_history(state["history_"])
        return state

    def __setstate__(self, state):
        state = dict(state)
        for key in ("model", "model_"):
            if isinstance(state.get(key), _SavedModel):
                state[key] = state[key].load()
        super().__setstate__(state)
        history, model = self.__dict__.get("history_"), self.__dict__.get("model_")
        if history is not None and model is not None:
            history.set_model(model)
            model.history = history


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """scikit-learn compatible classifier wrapper for cornu (Keras) models.

    Note that there are sources of randomness in model initialization and training
    (``cornu.utils.set_random_seed`` fixes them).

    Args:
        model: a compiled ``Model``, or a callable returning one. A ``Model`` is
            cloned (``cornu.models.clone_model``, with its compile configuration)
            before each fit, unless ``warm_start=True``. A callable is called as
            ``model(X=X, y=y, **model_kwargs)``, ``y`` the one-hot encoded labels
            (``n_classes`` columns, also for two classes).
        warm_start: bool, defaults to False. Whether to reuse the model weights
            from the previous fit.
        model_kwargs: dict, defaults to None. Keyword arguments passed to ``model``,
            if ``model`` is callable.
        fit_kwargs: dict, defaults to None. Keyword arguments passed to
            ``model.fit``; those passed to the wrapper's ``fit`` take precedence.

    Attributes:
        model_: the fitted ``Model``.
        history_: the ``History`` returned by ``model.fit``.
        classes_: array, shape ``(n_classes,)``: the class labels.

    Example:

    ```python
    def dynamic_model(X, y, loss, layers=[10]):
        inp = cornu.Input(shape=(X.shape[1],))
        hidden = inp
        for size in layers:
            hidden = cornu.layers.Dense(size, activation="relu")(hidden)
        n_outputs = y.shape[1] if len(y.shape) > 1 else 1
        out = cornu.layers.Dense(n_outputs, activation="softmax")(hidden)
        model = cornu.Model(inp, out)
        model.compile(loss=loss, optimizer="rmsprop")
        return model

    est = cornu.wrappers.SKLearnClassifier(
        model=dynamic_model,
        model_kwargs={"loss": "categorical_crossentropy", "layers": [20, 20, 20]},
    )
    est.fit(X, y, epochs=5)
    ```
    """

    def decision_function(self, X):
        """The model's raw outputs (``n_classes`` columns)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _process_target(self, y, reset=False):
        """Classifiers one-hot encode the labels."""
        target_type = type_of_target(y, raise_unknown=True)
        if target_type not in ["binary", "multiclass"]:
            raise ValueError(
                "Only binary and multiclass target types are supported."
                f" Target type: {target_type}"
            )
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder

            self._target_encoder = make_pipeline(
                TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def _more_tags(self):
        return {"poor_score": True}  # scikit-learn < 1.6

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """scikit-learn compatible regressor wrapper for cornu (Keras) models.

    Note that there are sources of randomness in model initialization and training
    (``cornu.utils.set_random_seed`` fixes them).

    Args:
        model: a compiled ``Model``, or a callable returning one. A ``Model`` is
            cloned (``cornu.models.clone_model``, with its compile configuration)
            before each fit, unless ``warm_start=True``. A callable is called as
            ``model(X=X, y=y, **model_kwargs)``, ``y`` 2-D (a 1-D target as a column).
        warm_start: bool, defaults to False. Whether to reuse the model weights
            from the previous fit.
        model_kwargs: dict, defaults to None. Keyword arguments passed to ``model``,
            if ``model`` is callable.
        fit_kwargs: dict, defaults to None. Keyword arguments passed to
            ``model.fit``; those passed to the wrapper's ``fit`` take precedence.

    Attributes:
        model_: the fitted ``Model``.
        history_: the ``History`` returned by ``model.fit``.

    Example:

    ```python
    est = cornu.wrappers.SKLearnRegressor(
        model=dynamic_model,  # as in SKLearnClassifier's example, a linear output
        model_kwargs={"loss": "mse", "layers": [20, 20, 20]},
    )
    est.fit(X, y, epochs=5)
    ```
    """

    def _more_tags(self):
        return {"poor_score": True}  # scikit-learn < 1.6

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """scikit-learn compatible transformer wrapper for cornu (Keras) models: a
    transformer in scikit-learn's sense (``transform`` returns the model's outputs,
    e.g. embeddings), not a deep-learning Transformer.

    Note that there are sources of randomness in model initialization and training
    (``cornu.utils.set_random_seed`` fixes them).

    Args:
        model: a compiled ``Model``, or a callable returning one. A ``Model`` is
            cloned (``cornu.models.clone_model``, with its compile configuration)
            before each fit, unless ``warm_start=True``. A callable is called as
            ``model(X=X, y=y, **model_kwargs)``.
        warm_start: bool, defaults to False. Whether to reuse the model weights
            from the previous fit.
        model_kwargs: dict, defaults to None. Keyword arguments passed to ``model``,
            if ``model`` is callable.
        fit_kwargs: dict, defaults to None. Keyword arguments passed to
            ``model.fit``; those passed to the wrapper's ``fit`` take precedence.

    Attributes:
        model_: the fitted ``Model``.
        history_: the ``History`` returned by ``model.fit``.

    Example (``sklearn.frozen.FrozenEstimator`` keeps a trained embedding model from
    being trained again in the pipeline):

    ```python
    trs = FrozenEstimator(cornu.wrappers.SKLearnTransformer(model=my_model))
    pipe = make_pipeline(trs, HistGradientBoostingClassifier())
    pipe.fit(X, y)
    ```
    """

    def transform(self, X):
        """The model's outputs for ``X`` (array-like, ``(n_samples, n_features)``)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _more_tags(self):
        return {"preserves_dtype": []}  # scikit-learn < 1.6

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
