"""``cornu.wrappers`` (``keras.wrappers``): the scikit-learn wrappers, as in Keras 3.15.

scikit-learn's own estimator checks (``parametrize_with_checks``) run on the three
wrappers with exactly the expected failures Keras 3.15.1 lists in its wrappers test
(keras/src/wrappers/sklearn_test.py); the same data, builder and initial weights give
the same predictions and outputs as Keras's wrappers on the same backend; pipelines,
grid searches, parameters, cloning, pickling and the errors are checked on their own.

The module is skipped without scikit-learn (an optional dependency: ``cornu-core[sklearn]``)
or without the families the models are built from (tests/core also runs with cornu-core
alone); the Keras comparisons are skipped without Keras.
"""
import os
import pickle
import subprocess
import sys
import textwrap
import unittest

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
for _family in ("layers", "optimizers", "losses"):
    pytest.importorskip(f"cornu.{_family}")

from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import cornu  # noqa: E402
from cornu.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402


def dynamic_model(X, y, loss, out_activation_function="softmax", layers=(10,), lib=cornu,
                  optimizer="rmsprop", seed=None):
    """Keras's test builder: an MLP sized from ``X`` and ``y`` (``lib`` is cornu or keras).

    With ``seed``, the weights are drawn from numpy (the same on cornu and on Keras).
    """
    inp = lib.Input(shape=(X.shape[1],))
    hidden = inp
    for layer_size in layers:
        hidden = lib.layers.Dense(layer_size, activation="relu")(hidden)
    n_outputs = y.shape[1] if len(y.shape) > 1 else 1
    out = [lib.layers.Dense(n_outputs, activation=out_activation_function)(hidden)]
    model = lib.Model(inp, out)
    if seed is not None:
        rng = np.random.default_rng(seed)
        model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                           for w in model.get_weights()])
    optimizer = lib.optimizers.get(optimizer) if isinstance(optimizer, str) else optimizer
    model.compile(loss=loss, optimizer=optimizer)
    return model


class Builder:
    """``dynamic_model`` with a stable repr: the estimators' reprs are the checks' test
    ids, which must be the same in every pytest-xdist worker (a function's repr holds
    its address)."""

    def __call__(self, X, y, **kwargs):
        return dynamic_model(X, y, **kwargs)

    def __repr__(self):
        return "dynamic_model"


# keras/src/wrappers/sklearn_test.py (Keras 3.15.1): the checks Keras expects to fail.
EXPECTED_FAILED_CHECKS = {
    "SKLearnClassifier": {
        "check_classifiers_regression_target": "not an issue in sklearn>=1.6",
        "check_parameters_default_constructible": "not an issue in sklearn>=1.6",
        "check_classifiers_one_label_sample_weights": "0 sample weight is not ignored",
        "check_classifiers_classes": (
            "with small test cases the estimator returns not all classes sometimes"),
        "check_classifier_data_not_an_array": "This test assumes reproducibility in fit.",
        "check_supervised_y_2d": "This test assumes reproducibility in fit.",
        "check_fit_idempotent": "This test assumes reproducibility in fit.",
        "check_classifiers_train": "decision_function can return both probabilities and logits",
    },
    "SKLearnRegressor": {
        "check_parameters_default_constructible": "not an issue in sklearn>=1.6",
    },
    "SKLearnTransformer": {
        "check_parameters_default_constructible": "not an issue in sklearn>=1.6",
    },
}

# Keras's estimators (its classifier: three hidden layers of 20, 5 epochs), made quiet.
CHECKED = [
    SKLearnClassifier(
        model=Builder(),
        model_kwargs={"loss": "categorical_crossentropy", "layers": [20, 20, 20]},
        fit_kwargs={"epochs": 5, "verbose": 0},
    ),
    SKLearnRegressor(model=Builder(), model_kwargs={"loss": "mse"},
                     fit_kwargs={"verbose": 0}),
    SKLearnTransformer(model=Builder(), model_kwargs={"loss": "mse"},
                       fit_kwargs={"verbose": 0}),
]


@parametrize_with_checks(
    CHECKED, legacy=True,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS[type(est).__name__],
)
def test_sklearn_estimator_checks(estimator, check):
    try:
        check(estimator)
    except unittest.SkipTest as exc:  # pytest-dev/pytest#13895, as Keras's test does
        pytest.skip(str(exc))


@pytest.mark.parametrize("activation", ["softmax", "linear"])
def test_decision_function_argmax_is_predict(activation):
    """Keras's second wrappers test: predict is the argmax of decision_function."""
    X, y = make_classification(n_samples=10, n_features=10, n_informative=4, n_classes=2,
                               random_state=42)
    est = SKLearnClassifier(
        model=dynamic_model,
        model_kwargs={"out_activation_function": activation, "loss": "binary_crossentropy"},
        fit_kwargs={"epochs": 1, "verbose": 0},
    ).fit(X, y)
    assert est.decision_function(X[:1]).argmax(axis=-1) == est.predict(X[:1]).flatten()
    assert est.decision_function(X).shape == (10, 2)  # one column per class, also for two


# -- the same results as Keras's wrappers ---------------------------------------------


@pytest.fixture(scope="module")
def keras():
    """Keras 3 on cornu's framework (cornu's backend imported first), or skip."""
    from cornu.backend import get_backend

    backend = get_backend()
    keras = pytest.importorskip("keras")
    if getattr(keras, "__cornu_alias__", False) or keras is cornu:
        pytest.skip("keras is aliased to cornu here")
    pytest.importorskip("keras.wrappers")
    assert keras.backend.backend() == backend.NAME, "KERAS_BACKEND must match CORNU_BACKEND"
    return keras


def _pair(keras, kind, **model_kwargs):
    """The cornu and Keras wrappers of ``kind`` with the same builder and weights."""
    ours = getattr(cornu.wrappers, kind)(
        model=dynamic_model, model_kwargs=dict(model_kwargs, lib=cornu, optimizer="sgd"),
        fit_kwargs={"epochs": 3, "batch_size": 8, "shuffle": False, "verbose": 0})
    theirs = getattr(keras.wrappers, kind)(
        model=dynamic_model, model_kwargs=dict(model_kwargs, lib=keras, optimizer="sgd"),
        fit_kwargs={"epochs": 3, "batch_size": 8, "shuffle": False, "verbose": 0})
    return ours, theirs


def test_classifier_matches_keras(keras):
    X, y = make_classification(n_samples=40, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    labels = np.array(["ant", "bee", "cat"])[y]  # string labels, encoded and decoded
    ours, theirs = _pair(keras, "SKLearnClassifier", loss="categorical_crossentropy",
                         layers=[8], seed=3)
    ours.fit(X, labels)
    theirs.fit(X, labels)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).dtype == theirs.predict(X).dtype
    assert ours.score(X, labels) == pytest.approx(theirs.score(X, labels))
    np.testing.assert_allclose(ours.history_.history["loss"], theirs.history_.history["loss"],
                               rtol=1e-5)
    assert ours.n_features_in_ == theirs.n_features_in_ == 6
    # Like Keras's, the classifier has no predict_proba: decision_function is the output.
    assert not hasattr(ours, "predict_proba") and not hasattr(theirs, "predict_proba")


def test_binary_classifier_matches_keras(keras):
    X, y = make_classification(n_samples=30, n_features=4, n_informative=2, n_classes=2,
                               random_state=1)
    ours, theirs = _pair(keras, "SKLearnClassifier", loss="binary_crossentropy",
                         out_activation_function="sigmoid", layers=[5], seed=4)
    ours.fit(X, y, epochs=2)  # fit's own keyword arguments win over fit_kwargs
    theirs.fit(X, y, epochs=2)
    assert ours.history_.params["epochs"] == 2 and ours.fit_kwargs["epochs"] == 3
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_regressor_matches_keras(keras):
    X, y = make_regression(n_samples=40, n_features=5, noise=0.1, random_state=0)
    y = y / np.abs(y).max()
    ours, theirs = _pair(keras, "SKLearnRegressor", loss="mse",
                         out_activation_function="linear", layers=[6], seed=5)
    ours.fit(X, y)
    theirs.fit(X, y)
    prediction = ours.predict(X)
    assert prediction.shape == (40,)  # 1-D targets give 1-D predictions
    np.testing.assert_allclose(prediction, theirs.predict(X), rtol=1e-4, atol=1e-5)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), rel=1e-4, abs=1e-5)


def test_transformer_matches_keras(keras):
    X, y = make_regression(n_samples=32, n_features=5, random_state=2)
    y = y / np.abs(y).max()
    ours, theirs = _pair(keras, "SKLearnTransformer", loss="mse",
                         out_activation_function="linear", layers=[4], seed=6)
    np.testing.assert_allclose(ours.fit_transform(X, y), theirs.fit_transform(X, y),
                               rtol=1e-4, atol=1e-5)
    assert ours.transform(X).shape == (32, 1)


def test_the_same_tags_and_parameters_as_keras(keras):
    for kind in ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"):
        ours, theirs = _pair(keras, kind, loss="mse")
        assert sorted(ours.get_params()) == sorted(theirs.get_params())
        ours_tags, theirs_tags = ours.__sklearn_tags__(), theirs.__sklearn_tags__()
        assert ours_tags.non_deterministic is theirs_tags.non_deterministic is True
        for part in ("classifier_tags", "regressor_tags", "transformer_tags"):
            mine, keras_part = getattr(ours_tags, part), getattr(theirs_tags, part)
            assert (mine is None) == (keras_part is None), (kind, part)
            if mine is not None:
                assert mine == keras_part, (kind, part)


# -- parameters, cloning, pipelines, searches ------------------------------------------


def _classification(n=40, classes=2, seed=0):
    return make_classification(n_samples=n, n_features=5, n_informative=3, n_classes=classes,
                               random_state=seed)


def test_constructor_arguments_and_params():
    est = SKLearnClassifier(model=dynamic_model)
    assert est.get_params() == {"model": dynamic_model, "warm_start": False,
                                "model_kwargs": None, "fit_kwargs": None}
    est.set_params(model_kwargs={"loss": "categorical_crossentropy"}, warm_start=True)
    assert est.model_kwargs == {"loss": "categorical_crossentropy"} and est.warm_start
    assert est.epoch_ == 0


def test_clone_keeps_every_parameter_and_shares_the_builder():
    est = SKLearnRegressor(model=dynamic_model, model_kwargs={"loss": "mse"},
                           fit_kwargs={"epochs": 2, "verbose": 0})
    copy = sklearn.base.clone(est)
    assert copy.get_params() == est.get_params()
    assert copy.model is dynamic_model
    assert copy.fit_kwargs is not est.fit_kwargs  # a clone cannot change the original's
    X, y = make_regression(n_samples=12, n_features=3, random_state=0)
    copy.fit(X, y)
    assert copy.epoch_ == 2 and not hasattr(est, "model_")


def test_fit_does_not_change_fit_kwargs():
    fit_kwargs = {"epochs": 1, "verbose": 0}
    est = SKLearnClassifier(model=dynamic_model, model_kwargs={"loss": "categorical_crossentropy"},
                            fit_kwargs=fit_kwargs)
    X, y = _classification()
    est.fit(X, y, batch_size=4)
    assert fit_kwargs == {"epochs": 1, "verbose": 0}
    assert est.history_.params["steps"] == 10


def test_pipeline_and_grid_search():
    X, y = _classification(n=48, classes=3, seed=1)
    pipe = Pipeline([
        ("scale", StandardScaler()),
        ("net", SKLearnClassifier(model=Builder(),
                                  model_kwargs={"loss": "categorical_crossentropy"},
                                  fit_kwargs={"epochs": 2, "verbose": 0})),
    ])
    search = GridSearchCV(pipe, {"net__model_kwargs": [
        {"loss": "categorical_crossentropy", "layers": [4]},
        {"loss": "categorical_crossentropy", "layers": [8, 8]},
    ]}, cv=2, scoring="accuracy")
    search.fit(X, y)
    assert search.best_params_["net__model_kwargs"]["layers"] in ([4], [8, 8])
    assert len(search.cv_results_["mean_test_score"]) == 2
    prediction = search.predict(X)
    assert prediction.shape == (48,) and set(prediction) <= {0, 1, 2}
    best = search.best_estimator_.named_steps["net"]
    assert best.epoch_ == 2 and best.model_.layers[1].units in (4, 8)
    assert 0.0 <= search.score(X, y) <= 1.0


def test_regressor_in_a_pipeline_scores_r2():
    X, y = make_regression(n_samples=30, n_features=4, random_state=3)
    pipe = make_pipeline(StandardScaler(), SKLearnRegressor(
        model=dynamic_model, model_kwargs={"loss": "mse", "out_activation_function": "linear"},
        fit_kwargs={"epochs": 2, "verbose": 0}))
    pipe.fit(X, y / np.abs(y).max())
    assert pipe.predict(X).shape == (30,)
    assert np.isfinite(pipe.score(X, y / np.abs(y).max()))


def test_a_model_instance_is_cloned_compiled_unless_warm_start():
    X, y = _classification()
    template = dynamic_model(X, np.eye(2)[y], loss="categorical_crossentropy")
    before = [w.copy() for w in template.get_weights()]
    est = SKLearnClassifier(model=template, fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, y)
    assert est.model_ is not template and est.model_.compiled
    for a, b in zip(template.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # the given model is not trained

    warm = SKLearnClassifier(model=template, warm_start=True,
                             fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, y)
    assert warm.model_ is template
    first = [w.copy() for w in warm.model_.get_weights()]
    warm.fit(X, y)  # goes on training the same model
    assert warm.model_ is template
    assert any(not np.array_equal(a, b) for a, b in zip(first, template.get_weights()))


def test_warm_start_reuses_the_fitted_model_of_a_builder():
    X, y = _classification()
    est = SKLearnClassifier(model=dynamic_model, warm_start=True,
                            model_kwargs={"loss": "categorical_crossentropy"},
                            fit_kwargs={"epochs": 1, "verbose": 0})
    first = est.fit(X, y).model_
    assert est.fit(X, y).model_ is first
    cold = SKLearnClassifier(model=dynamic_model,
                             model_kwargs={"loss": "categorical_crossentropy"},
                             fit_kwargs={"epochs": 1, "verbose": 0})
    assert cold.fit(X, y).model_ is not cold.fit(X, y).model_


def test_a_fitted_estimator_pickles():
    X, y = _classification(classes=3)
    est = SKLearnClassifier(model=dynamic_model,
                            model_kwargs={"loss": "categorical_crossentropy"},
                            fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, y)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(back.decision_function(X), est.decision_function(X), atol=1e-6)
    np.testing.assert_array_equal(back.classes_, est.classes_)
    assert back.history_.history.keys() == est.history_.history.keys()
    assert back.history_.model is back.model_
    back.fit(X, y)  # still compiled: it trains again


def test_set_fit_request_routes_sample_weight_to_fit():
    X, y = _classification()
    est = SKLearnClassifier(model=dynamic_model, model_kwargs={"loss": "categorical_crossentropy"},
                            fit_kwargs={"epochs": 1, "verbose": 0})
    with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
        est.set_fit_request(sample_weight=True)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline([("net", est.set_fit_request(sample_weight=True))])
        pipe.fit(X, y, sample_weight=np.ones(len(y)))
        assert pipe.named_steps["net"].epoch_ == 1


# -- errors ---------------------------------------------------------------------------


def test_an_uncompiled_model_is_refused():
    def uncompiled(X, y):
        inp = cornu.Input((X.shape[1],))
        return cornu.Model(inp, cornu.layers.Dense(y.shape[1])(inp))

    X, y = _classification()
    with pytest.raises(RuntimeError, match="needs to be compiled, and have a loss and an "
                                           "optimizer"):
        SKLearnClassifier(model=uncompiled).fit(X, y)


def test_a_builder_that_returns_no_model_is_refused():
    X, y = _classification()
    with pytest.raises(TypeError, match="must be a compiled cornu/Keras `Model`"):
        SKLearnRegressor(model=lambda X, y: "not a model").fit(X, y)
    with pytest.raises(TypeError, match="or a callable that returns one"):
        SKLearnRegressor(model=42).fit(X, y)


def test_targets_the_classifier_cannot_take():
    X, y = _classification()
    est = SKLearnClassifier(model=dynamic_model, model_kwargs={"loss": "categorical_crossentropy"})
    with pytest.raises(ValueError, match="only one class is present"):
        est.fit(X, np.zeros_like(y))
    with pytest.raises(ValueError, match="Only binary and multiclass target types are "
                                         "supported. Target type: continuous"):
        est.fit(X, np.linspace(0, 1, len(y)))


def test_unfitted_and_wrong_width_inputs():
    X, y = _classification()
    est = SKLearnTransformer(model=dynamic_model, model_kwargs={"loss": "mse"},
                             fit_kwargs={"verbose": 0})
    with pytest.raises(NotFittedError):
        est.transform(X)
    est.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.transform(X[:, :3])


def _python(code):
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=180)


def test_scikit_learn_is_imported_on_first_use_only():
    result = _python("""
        import sys
        import cornu, cornu.wrappers
        print("sklearn" in sys.modules)
        from cornu import *  # (may import the framework, and TensorFlow imports Keras)
        print("cornu.wrappers.sklearn_wrapper" in sys.modules)
        cornu.wrappers.SKLearnRegressor
        print("sklearn" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True"]


def test_without_scikit_learn_the_error_says_what_to_install():
    result = _python("""
        import sys
        sys.modules["sklearn"] = None  # scikit-learn is not installed
        import cornu
        for name in ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"):
            cls = getattr(cornu.wrappers, name)
            try:
                cls(model=None)
            except ImportError as err:
                print(err)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{name} requires `scikit-learn` to be installed. Run `pip install scikit-learn` "
        "to install it." for name in ("SKLearnClassifier", "SKLearnRegressor",
                                      "SKLearnTransformer")]
