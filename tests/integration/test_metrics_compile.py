"""``compile(metrics=...)`` end to end: Keras 3's History names for multi-output models,
names resolved from strings, metric values after fit/evaluate, and no host
synchronisation per batch in ``fit``.
"""
import numpy as np
import pytest

import cornu
from cornu import layers, metrics, ops

# Keras 3.15 on torch 2.13 with numpy 2 (the reference runs here) warns in np.array(tensor).
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.fixture(scope="module")
def backend():
    from cornu.backend import get_backend

    return get_backend()


def to_np(x):
    return np.asarray(ops.convert_to_numpy(x), dtype=np.float64)


def _keras_or_none():
    try:
        import keras
    except ImportError:
        return None
    return keras


def _data(rng, n=64):
    x = rng.normal(size=(n, 4)).astype("float32")
    y_a = rng.integers(0, 3, size=(n,))
    y_b = (x[:, :1] * 0.5 + rng.normal(scale=0.1, size=(n, 1))).astype("float32")
    return x, y_a, y_b


def _two_outputs(lib):
    """A Functional model with the named outputs ``out_a`` (3 classes) and ``out_b``."""
    inputs = lib.Input((4,))
    hidden = lib.layers.Dense(8, activation="relu", name="hidden")(inputs)
    out_a = lib.layers.Dense(3, activation="softmax", name="out_a")(hidden)
    out_b = lib.layers.Dense(1, name="out_b")(hidden)
    return lib.Model(inputs, [out_a, out_b])


LOSSES = ["sparse_categorical_crossentropy", "mse"]

# (metrics, weighted_metrics) as functions of the metrics module (fresh objects per library)
# and the History keys Keras 3.15 reports with them (fit with validation_data).
MULTI_CASES = {
    "list-of-lists": (
        lambda m: ([["accuracy"], ["mae", "mse"]], None),
        ["out_a_accuracy", "out_b_mae", "out_b_mse"]),
    "dict": (
        lambda m: ({"out_a": "accuracy", "out_b": ["mae", m.RootMeanSquaredError()]}, None),
        ["out_a_accuracy", "out_b_mae", "out_b_root_mean_squared_error"]),
    "one-entry-per-output": (
        lambda m: (["acc", None], {"out_b": "mse"}),
        ["out_a_acc", "out_b_mse"]),
    "objects-and-duplicates": (
        lambda m: ([[m.SparseCategoricalAccuracy(name="sca"), "accuracy", "accuracy"],
                    [m.MeanAbsoluteError()]],
                   [["accuracy"], ["mae"]]),
        ["out_a_sca", "out_a_accuracy", "out_a_accuracy_1", "out_b_mean_absolute_error",
         "out_a_weighted_accuracy", "out_b_mae"]),
}


def _history_keys(metric_names):
    keys = {"loss", *metric_names}
    return keys | {f"val_{k}" for k in keys}


@pytest.mark.parametrize("case", list(MULTI_CASES))
def test_multi_output_history_names_are_keras_names(case, rng):
    make, expected = MULTI_CASES[case]
    x, y_a, y_b = _data(rng)
    model = _two_outputs(cornu)
    metric_arg, weighted_arg = make(metrics)
    model.compile(optimizer="sgd", loss=LOSSES, metrics=metric_arg, weighted_metrics=weighted_arg)
    history = model.fit(x, [y_a, y_b], batch_size=16, epochs=1, verbose=0,
                        validation_data=(x, [y_a, y_b]))
    # Each output's (unweighted) loss is logged too, as Keras 3 does.
    per_output_losses = {f"{p}{o}_loss" for p in ("", "val_") for o in ("out_a", "out_b")}
    assert set(history.history) == _history_keys(expected) | per_output_losses
    # Keras 3's order: the loss tracker, the compiled metrics' container, the per-output losses.
    assert model.metrics_names == ["loss", "compile_metrics", "out_a_loss", "out_b_loss"]
    assert model._metric_names_in_order() == ["loss", *expected, "out_a_loss", "out_b_loss"]
    keras = _keras_or_none()
    if keras is not None:
        ref = _two_outputs(keras)
        metric_arg, weighted_arg = make(keras.metrics)
        ref.compile(optimizer="sgd", loss=LOSSES, metrics=metric_arg,
                    weighted_metrics=weighted_arg)
        ref_history = ref.fit(x, [y_a, y_b], batch_size=16, epochs=1, verbose=0,
                              validation_data=(x, [y_a, y_b]))
        assert set(ref_history.history) == set(history.history)
        assert ref.metrics_names == model.metrics_names
        for key in ("out_a_loss", "out_b_loss"):
            assert np.isfinite(history.history[key][0])


def test_repeated_names_on_one_output(rng):
    x, y_a, _ = _data(rng, n=32)
    inputs = cornu.Input((4,))
    model = cornu.Model(inputs, layers.Dense(3, activation="softmax", name="o")(inputs))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", "acc", "accuracy",
                           metrics.SparseCategoricalAccuracy(name="accuracy")],
                  weighted_metrics=["accuracy", "accuracy"])
    history = model.fit(x, y_a, epochs=1, verbose=0)
    # What Keras 3.15 logs for the same compile call.
    assert sorted(history.history) == ["acc", "accuracy", "accuracy_1", "accuracy_2", "loss",
                                       "weighted_accuracy", "weighted_accuracy_1"]


def test_multi_output_metric_values(rng):
    x, y_a, y_b = _data(rng)
    sw = rng.uniform(0.0, 2.0, size=(64,)).astype("float32")
    model = _two_outputs(cornu)
    model.compile(optimizer="sgd", loss=LOSSES,
                  metrics={"out_a": ["accuracy"], "out_b": ["mae"]},
                  weighted_metrics={"out_b": ["mse"]})
    model.fit(x, [y_a, y_b], sample_weight=sw, batch_size=16, epochs=2, verbose=0)
    logs = model.evaluate(x, [y_a, y_b], sample_weight=sw, batch_size=16, verbose=0,
                          return_dict=True)
    probs, pred_b = model.predict(x, verbose=0)
    np.testing.assert_allclose(logs["out_a_accuracy"], (probs.argmax(-1) == y_a).mean(),
                               atol=1e-6)
    np.testing.assert_allclose(logs["out_b_mae"], np.abs(pred_b - y_b).mean(), rtol=1e-5)
    weighted_mse = ((pred_b - y_b)[:, 0] ** 2 * sw).sum() / sw.sum()
    np.testing.assert_allclose(logs["out_b_mse"], weighted_mse, rtol=1e-5)


def test_metric_names_resolve_from_strings(rng):
    x = rng.normal(size=(96, 4)).astype("float32")
    y = (x[:, 0] + 0.3 * rng.normal(size=96) > 0).astype("float32")[:, None]
    names = ["AUC", "auc", "mse", "acc", "binary_accuracy", "Precision", "r2_score"]
    model = cornu.Sequential([cornu.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=names)
    history = model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert set(history.history) == {"loss", *names}
    kinds = {m.name: type(m).__name__ for m in model.metrics[1].metrics}
    assert kinds == {"AUC": "AUC", "auc": "AUC", "mse": "MeanSquaredError",
                     "acc": "BinaryAccuracy", "binary_accuracy": "BinaryAccuracy",
                     "Precision": "Precision", "r2_score": "R2Score"}
    logs = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    scores = model.predict(x, verbose=0)
    direct = metrics.AUC()
    direct.update_state(y, scores)
    np.testing.assert_allclose(logs["AUC"], float(ops.convert_to_numpy(direct.result())),
                               rtol=1e-5)
    assert logs["auc"] == logs["AUC"]
    np.testing.assert_allclose(logs["acc"], ((scores > 0.5) == y).mean(), atol=1e-6)
    keras = _keras_or_none()
    if keras is not None:
        ref = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
        ref.compile(optimizer="sgd", loss="binary_crossentropy", metrics=names)
        ref_history = ref.fit(x, y, batch_size=32, epochs=1, verbose=0)
        assert set(ref_history.history) == set(history.history)


def _classifier(num_classes=3):
    inputs = cornu.Input((4,))
    outputs = layers.Dense(num_classes, activation="softmax")(inputs)
    return cornu.Model(inputs, outputs)


def _every_kind_of_metric():
    return ["accuracy", "AUC", metrics.AUC(multi_label=True, name="ml_auc"),
            metrics.F1Score(average="macro"), metrics.OneHotMeanIoU(num_classes=3),
            metrics.PrecisionAtRecall(0.5), metrics.Precision(top_k=1),
            metrics.R2Score(), metrics.PearsonCorrelation(), "mse"]


def test_fit_and_evaluate_with_the_new_metrics(rng):
    """Lazily built state (F1Score, R2Score, a multi-label AUC) works in the compiled step."""
    x = rng.normal(size=(60, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=60)]
    model = _classifier()
    model.compile(optimizer="sgd", loss="categorical_crossentropy",
                  metrics=_every_kind_of_metric())
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    probs = model.predict(x, verbose=0)
    for metric in model.metrics[1].metrics:
        direct = type(metric).from_config(metric.get_config())
        direct.update_state(y, probs)
        np.testing.assert_allclose(logs[metric.name], to_np(direct.result()), rtol=1e-4,
                                   atol=1e-5, err_msg=metric.name)


def test_fit_does_not_synchronise_with_the_host_per_batch(backend, rng, monkeypatch):
    """Count device-to-host conversions in fit: a constant per epoch, not one per batch."""
    if backend.NAME != "torch":
        pytest.skip("counts torch.Tensor conversions")
    import torch

    x = rng.normal(size=(96, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=96)]
    calls = []

    def counting(name):
        original = getattr(torch.Tensor, name)

        def wrapper(self, *args, **kwargs):
            calls.append(name)
            return original(self, *args, **kwargs)

        return wrapper

    def count_fit(batch_size):
        model = _classifier()
        # Adam: SGD's fused CPU path reads its learning rate as a Python float each
        # step on purpose (a CPU scalar; on an accelerator it stays a tensor).
        model.compile(optimizer="adam", loss="categorical_crossentropy",
                      metrics=_every_kind_of_metric())
        model.fit(x[:8], y[:8], batch_size=8, epochs=1, verbose=0)  # build, first trace
        with monkeypatch.context() as patch:
            for name in ("item", "tolist", "numpy", "cpu", "__float__", "__int__",
                         "__bool__", "__index__", "__array__"):
                patch.setattr(torch.Tensor, name, counting(name))
            calls.clear()
            model.fit(x, y, batch_size=batch_size, epochs=2, verbose=0, shuffle=True)
        return list(calls)

    few, many = count_fit(48), count_fit(8)  # 2 and 12 batches per epoch
    assert len(many) == len(few), (sorted(few), sorted(many))
    # The epoch-end logs: one number per metric and the loss, per epoch.
    assert len(few) <= 2 * (len(_every_kind_of_metric()) + 1) * 2
