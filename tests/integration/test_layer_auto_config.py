"""A layer subclass without a get_config of its own: get_config holds the constructor's
arguments (plain values, defaults included), so that from_config and a saved model
rebuild it, as Keras's auto-config does (KerasRS's HardNegativeMining only takes
``num_hard_negatives`` and ``**kwargs``)."""
import os

import numpy as np
import pytest

import cornu


def _layer_class(lib):
    class TopK(lib.layers.Layer):
        def __init__(self, k, largest=True, **kwargs):
            super().__init__(**kwargs)
            self._k = k
            self._largest = largest

        def call(self, x):
            values, _ = lib.ops.top_k(x if self._largest else -x, self._k)
            return values

    return TopK


@pytest.mark.parametrize("lib_name", ["cornu", "keras"])
def test_get_config_holds_the_constructor_arguments(lib_name):
    lib = cornu if lib_name == "cornu" else pytest.importorskip("keras")
    layer = _layer_class(lib)(2, name="top")
    config = layer.get_config()
    assert config["k"] == 2 and config["largest"] is True and config["name"] == "top"
    restored = type(layer).from_config(config)
    assert restored._k == 2 and restored.name == "top"


def test_a_saved_model_with_such_a_layer_loads(tmp_path):
    cls = _layer_class(cornu)
    inputs = cornu.Input((5,))
    model = cornu.Model(inputs, cls(3)(inputs))
    x = np.arange(10, dtype="float32").reshape(2, 5)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = cornu.models.load_model(path, custom_objects={"TopK": cls})
    np.testing.assert_allclose(cornu.ops.convert_to_numpy(loaded(x)), [[4, 3, 2], [9, 8, 7]])


def test_not_for_arguments_that_are_not_plain_values():
    cls = _layer_class(cornu)
    layer = cls(cornu.initializers.Zeros())
    assert "k" not in layer.get_config()


def test_not_when_the_subclass_has_its_own_get_config():
    class Own(_layer_class(cornu)):
        def get_config(self):
            return {**super().get_config(), "own": 1}

    config = Own(2).get_config()
    assert config["own"] == 1 and "k" not in config
