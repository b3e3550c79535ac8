"""A Functional model whose inputs and outputs are nested structures (a dict of dicts,
as KerasRS's distributed embedding takes its features): get_config keeps the nesting
(Keras 3 maps the structure), and the model saves, reloads and runs."""
import os

import numpy as np
import pytest

import cornu
from cornu import ops


class SumFeatures(cornu.Layer):
    """Sums each group's features: {group: {name: x}} -> {group: sum}."""

    def call(self, features):
        return {group: ops.sum(ops.stack(list(inner.values()), axis=0), axis=0)
                for group, inner in features.items()}


def _model():
    inputs = {"user": {"id": cornu.Input((2,), name="user_id"),
                       "age": cornu.Input((2,), name="user_age")},
              "item": {"id": cornu.Input((2,), name="item_id")}}
    return cornu.Model(inputs, SumFeatures()(inputs))


def _data():
    return {"user": {"id": np.ones((3, 2), "float32"), "age": np.full((3, 2), 2.0, "float32")},
            "item": {"id": np.full((3, 2), 5.0, "float32")}}


def test_config_keeps_the_nesting():
    config = _model().get_config()
    assert config["input_layers"] == {"user": {"id": ["user_id", 0, 0],
                                               "age": ["user_age", 0, 0]},
                                      "item": {"id": ["item_id", 0, 0]}}
    assert set(config["output_layers"]) == {"user", "item"}
    assert all(len(ref) == 3 and isinstance(ref[0], str)
               for ref in config["output_layers"].values())


def test_save_reload_and_run(tmp_path):
    model = _model()
    path = os.fspath(tmp_path / "nested.keras")
    model.save(path)
    reloaded = cornu.models.load_model(path, custom_objects={"SumFeatures": SumFeatures})
    out = reloaded(_data())
    np.testing.assert_allclose(ops.convert_to_numpy(out["user"]), np.full((3, 2), 3.0))
    np.testing.assert_allclose(ops.convert_to_numpy(out["item"]), np.full((3, 2), 5.0))
    again = cornu.Model.from_config(model.get_config(),
                                    custom_objects={"SumFeatures": SumFeatures})
    assert again.get_config()["input_layers"] == model.get_config()["input_layers"]


def test_flat_structures_keep_their_forms():
    a, b = cornu.Input((2,), name="a"), cornu.Input((2,), name="b")
    config = cornu.Model([a, b], ops.add(a, b)).get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    single = cornu.Model(a, ops.multiply(a, 2.0)).get_config()
    assert single["input_layers"] == ["a", 0, 0] or single["input_layers"] == [["a", 0, 0]]


def test_matches_keras():
    keras = pytest.importorskip("keras")
    if getattr(keras, "__name__", "") != "keras":
        pytest.skip("no real Keras")
    inputs = {"user": {"id": keras.Input((2,), name="user_id"),
                       "age": keras.Input((2,), name="user_age")},
              "item": {"id": keras.Input((2,), name="item_id")}}
    theirs = keras.Model(inputs, {"s": keras.layers.Add()([inputs["user"]["id"],
                                                          inputs["item"]["id"]])})
    assert _model().get_config()["input_layers"] == theirs.get_config()["input_layers"]
