"""Compiled metrics keep their own names; the logs name them per output (Keras 3's
``CompileMetrics``): SciKeras reads ``model.metrics[1].metrics`` names and routes
parameters by them, and passes one list of metric objects for every output."""
import numpy as np
import pytest

import cornu
from cornu import layers


def _two_outputs():
    inputs = cornu.Input((3,))
    hidden = layers.Dense(4, activation="relu")(inputs)
    outs = [layers.Dense(1, activation="sigmoid", name=f"out{i + 1}")(hidden) for i in range(2)]
    return cornu.Model(inputs, outs)


def _fit(model):
    x = np.ones((8, 3), "float32")
    y = np.ones((8, 1), "float32")
    model.history = model.fit(x, [y, y], epochs=1, verbose=0)
    return model


def test_one_list_of_metric_objects_for_every_output():
    model = _two_outputs()
    shared = [cornu.metrics.BinaryAccuracy(name="1"), cornu.metrics.BinaryAccuracy(name="2")]
    model.compile(loss="binary_crossentropy", metrics=[shared] * 2)
    _fit(model)
    compiled = model.metrics[1]
    assert compiled.name == "compile_metrics"
    assert [m.name for m in compiled.metrics] == ["1", "2", "1", "2"]  # not renamed
    assert sorted(model.get_metrics_result()) == [
        "loss", "out1_1", "out1_2", "out1_loss", "out2_1", "out2_2", "out2_loss"]
    assert shared[0].name == "1"


def test_names_in_the_logs_and_on_the_objects():
    model = _two_outputs()
    model.compile(loss="binary_crossentropy",
                  metrics=[["binary_accuracy"], [cornu.metrics.BinaryAccuracy(name="custom")]],
                  weighted_metrics=[["binary_accuracy"], []])
    history = _fit(model).history.history
    assert [m.name for m in model.metrics[1].metrics] == [
        "binary_accuracy", "custom", "binary_accuracy"]
    assert sorted(history) == ["loss", "out1_binary_accuracy", "out1_loss",
                               "out1_weighted_binary_accuracy", "out2_custom", "out2_loss"]
    # compiled again: the same object gets the same log name, nothing accumulates
    metric = cornu.metrics.BinaryAccuracy(name="again")
    for _ in range(2):
        model.compile(loss="binary_crossentropy", metrics=[[metric], []])
        assert sorted(_fit(model).history.history) == [
            "loss", "out1_again", "out1_loss", "out2_loss"]
    assert metric.name == "again"


def test_matches_keras():
    keras = pytest.importorskip("keras")
    if getattr(keras, "__name__", "") != "keras":
        pytest.skip("no real Keras")
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    outs = [keras.layers.Dense(1, activation="sigmoid", name=f"out{i + 1}")(hidden)
            for i in range(2)]
    theirs = keras.Model(inputs, outs)
    shared = [keras.metrics.BinaryAccuracy(name="1"), keras.metrics.BinaryAccuracy(name="2")]
    theirs.compile(loss="binary_crossentropy", metrics=[shared] * 2)
    theirs.fit(np.ones((8, 3), "float32"), [np.ones((8, 1), "float32")] * 2, verbose=0)
    ours = _two_outputs()
    ours.compile(loss="binary_crossentropy", metrics=[[cornu.metrics.BinaryAccuracy(name="1"),
                                                       cornu.metrics.BinaryAccuracy(name="2")]] * 2)
    _fit(ours)
    assert [m.name for m in ours.metrics[1].metrics] == \
        [m.name for m in theirs.metrics[1].metrics]
    assert sorted(ours.get_metrics_result()) == sorted(theirs.get_metrics_result())
