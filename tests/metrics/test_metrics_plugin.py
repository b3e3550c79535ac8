"""cornu-metrics as a plugin: registration, ``cornu_resolve_metric``, and compile/fit/evaluate."""
import numpy as np
import pytest

import cornu
from cornu import losses, metrics, ops
from cornu.engine import compile_utils
from cornu.plugins import get_plugin_manager, registry


def resolve(identifier, loss=None, output_shape=None):
    """What the core does for one ``compile(metrics=[...])`` entry."""
    return compile_utils.resolve_metric(identifier, loss, output_shape)


def _compiled_loss_fn(loss):
    """The ``loss`` argument the core passes to the hook for a compiled loss."""
    resolved = compile_utils.resolve_loss(loss)
    return getattr(resolved, "fn", resolved)


SPARSE_LOSSES = [
    losses.sparse_categorical_crossentropy,
    losses.SparseCategoricalCrossentropy(),
    losses.SparseCategoricalCrossentropy(from_logits=True),
    losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy),
]


@pytest.mark.parametrize("identifier", ["accuracy", "acc", "Accuracy"])
@pytest.mark.parametrize("loss,expected", [
    *[(loss, metrics.SparseCategoricalAccuracy) for loss in SPARSE_LOSSES],
    (losses.categorical_crossentropy, metrics.CategoricalAccuracy),
    (losses.CategoricalCrossentropy(label_smoothing=0.1), metrics.CategoricalAccuracy),
    (losses.CategoricalFocalCrossentropy(), metrics.CategoricalAccuracy),
    (losses.binary_crossentropy, metrics.BinaryAccuracy),
    (losses.BinaryCrossentropy(from_logits=True), metrics.BinaryAccuracy),
    (losses.BinaryFocalCrossentropy(), metrics.BinaryAccuracy),
])
def test_accuracy_follows_the_loss(identifier, loss, expected):
    for given in (loss, getattr(loss, "fn", loss)):
        metric = resolve(identifier, given, (None, 10))
        assert type(metric) is expected
        assert metric.name == identifier


@pytest.mark.parametrize("loss_name,expected", [
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
    ("SparseCategoricalCrossentropy", metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", metrics.CategoricalAccuracy),
    ("CategoricalCrossentropy", metrics.CategoricalAccuracy),
    ("binary_crossentropy", metrics.BinaryAccuracy),
    ("bce", metrics.BinaryAccuracy),
])
def test_accuracy_with_compiled_loss_names(loss_name, expected):
    metric = resolve("accuracy", _compiled_loss_fn(loss_name), (None, 1))
    assert type(metric) is expected and metric.name == "accuracy"


@pytest.mark.parametrize("shape,expected", [
    ((None, 1), metrics.BinaryAccuracy),
    ((None, 7), metrics.CategoricalAccuracy),
    ((None, 4, 1), metrics.BinaryAccuracy),
    (None, metrics.CategoricalAccuracy),
])
@pytest.mark.parametrize("loss", [None, losses.mean_squared_error, "mse"])
def test_accuracy_by_output_shape(loss, shape, expected):
    if loss == "mse":
        loss = _compiled_loss_fn("mse")
    assert type(resolve("accuracy", loss, shape)) is expected


@pytest.mark.parametrize("identifier", ["crossentropy", "ce"])
def test_crossentropy_follows_the_loss(identifier):
    metric = resolve(identifier, losses.sparse_categorical_crossentropy, (None, 3))
    assert type(metric) is metrics.SparseCategoricalCrossentropy and metric.name == identifier
    metric = resolve(identifier, losses.CategoricalCrossentropy(from_logits=True), (None, 3))
    assert type(metric) is metrics.CategoricalCrossentropy and metric.from_logits is True
    assert type(resolve(identifier, losses.binary_crossentropy, (None, 3))) is \
        metrics.BinaryCrossentropy
    assert type(resolve(identifier, None, (None, 1))) is metrics.BinaryCrossentropy
    assert type(resolve(identifier, None, (None, 5))) is metrics.CategoricalCrossentropy


@pytest.mark.parametrize("identifier,expected", [
    ("mae", metrics.MeanAbsoluteError), ("mse", metrics.MeanSquaredError),
    ("MSE", metrics.MeanSquaredError), ("mape", metrics.MeanAbsolutePercentageError),
    ("binary_accuracy", metrics.BinaryAccuracy), ("SparseCategoricalAccuracy",
                                                  metrics.SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
    ("precision", metrics.Precision), ("Recall", metrics.Recall),
    ("root_mean_squared_error", metrics.RootMeanSquaredError),
])
def test_registered_names(identifier, expected):
    metric = resolve(identifier, losses.mean_squared_error, (None, 1))
    assert type(metric) is expected
    assert metric.name == identifier  # logs show the name the user wrote
    assert metric.variables[0].path.startswith(identifier + "/")


def test_functions_become_mean_metric_wrappers(rng, to_np):
    metric = resolve("huber", None, (None, 1))
    assert type(metric) is metrics.MeanMetricWrapper and metric.name == "huber"
    assert metric._fn is losses.huber

    def my_metric(y_true, y_pred):
        return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)

    metric = resolve(my_metric, None, (None, 2))
    assert type(metric) is metrics.MeanMetricWrapper and metric.name == "my_metric"
    t, p = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    metric.update_state(t, p)
    np.testing.assert_allclose(to_np(metric.result()), np.abs(t - p).mean(), rtol=1e-5)
    assert resolve(metrics.sparse_categorical_accuracy, None, None).name == \
        "sparse_categorical_accuracy"


def test_objects_classes_and_unknown_names():
    metric = metrics.Precision(name="given")
    assert resolve(metric) is metric
    hook = get_plugin_manager().hook.cornu_resolve_metric
    assert hook(identifier="no_such_metric", loss=None, output_shape=None) is None
    assert hook(identifier=42, loss=None, output_shape=None) is None
    with pytest.raises(ValueError, match="no_such_metric"):
        resolve("no_such_metric")
    config = metrics.serialize(metrics.BinaryAccuracy(threshold=0.2, name="b"))
    assert resolve(config).threshold == 0.2


def test_metric_class_is_instantiated():
    resolved = resolve(metrics.Recall)
    assert type(resolved) is metrics.Recall


def test_registration():
    assert registry.owner("loss", "mse") == registry.owner("metric", "mse")
    for name in ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", "mse", "MSE",
                 "mae", "mape", "msle", "kld", "bce", "Huber", "huber", "LogCosh", "log_cosh",
                 "CategoricalFocalCrossentropy", "Loss", "LossFunctionWrapper"):
        assert registry.lookup("loss", name) is not None, name
    assert registry.get("loss", "Huber") is losses.Huber
    assert registry.get("loss", "huber") is losses.huber
    for name in ("Accuracy", "accuracy", "Mean", "Sum", "MeanMetricWrapper", "Precision",
                 "true_negatives", "mse", "bce", "logcosherror", "huber"):
        assert registry.lookup("metric", name) is not None, name
    assert registry.get("metric", "mse") is metrics.MeanSquaredError


# -- compile / fit / evaluate with a model built from the core alone -------------------------
class _Linear(cornu.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, x):
        return ops.add(ops.matmul(x, self.kernel), self.bias)


class _SGD:
    """A minimal optimizer (cornu-optimizers is not a dependency of these tests)."""

    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate

    def apply(self, grads, variables):
        for grad, variable in zip(grads, variables):
            if grad is not None:
                variable.assign_sub(ops.multiply(grad, self.learning_rate))

    def get_config(self):
        return {"learning_rate": self.learning_rate}


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy",
                                  losses.SparseCategoricalCrossentropy(from_logits=True)])
def test_compile_fit_evaluate(loss, rng, to_np):
    inputs = cornu.Input((5,))
    model = cornu.Model(inputs, _Linear(3)(inputs))
    model.compile(optimizer=_SGD(), loss=loss,
                  metrics=["accuracy", "ce", metrics.SparseTopKCategoricalAccuracy(k=2)],
                  weighted_metrics=["acc"])
    # Keras 3: the loss tracker, then the compiled metrics in one container
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics"]
    names = [m.name for m in model.metrics[1].metrics]
    assert names == ["accuracy", "ce", "sparse_top_k_categorical_accuracy", "acc"]
    x = rng.normal(size=(64, 5)).astype("float32")
    y = rng.integers(0, 3, size=(64,))
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "ce",
                                    "sparse_top_k_categorical_accuracy", "acc"}
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    logits = to_np(model.predict(x, verbose=0))
    np.testing.assert_allclose(logs["accuracy"], (logits.argmax(-1) == y).mean(), atol=1e-6)
    np.testing.assert_allclose(logs["acc"], logs["accuracy"], atol=1e-6)
    top2 = (np.argsort(-logits, axis=-1)[:, :2] == y[:, None]).any(-1).mean()
    np.testing.assert_allclose(logs["sparse_top_k_categorical_accuracy"], top2, atol=1e-6)
    # weighted_metrics honour sample weights; metrics do not
    sw = (y == 0).astype("float32")
    logs = model.evaluate(x, y, sample_weight=sw, batch_size=16, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["acc"], (logits.argmax(-1) == 0)[y == 0].mean(), atol=1e-6)
    np.testing.assert_allclose(logs["accuracy"], (logits.argmax(-1) == y).mean(), atol=1e-6)
