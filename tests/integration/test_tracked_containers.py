"""A layer's list and dict attributes stay tracked (Keras's TrackedList/TrackedDict):
a sublayer or variable added to one after the assignment (``self.blocks = {}`` then
``self.blocks[k] = Dense(...)``, as KerasRS's DistributedEmbedding fills its tables)
is one of the layer's sublayers, its weights are the layer's and training updates them.
``cornu.tree`` still sees a list and a dict."""
import numpy as np
import pytest

import cornu


def _filled_later(lib):
    class Filled(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.by_key = {}
            self.in_order = []
            for key in ("a", "b"):
                self.by_key[key] = lib.layers.Dense(2, name=f"dense_{key}")
            self.in_order.append(lib.layers.Dense(3, name="dense_c"))
            self.in_order.extend([lib.layers.Dense(1, name="dense_d")])

        def build(self, input_shape):
            self.scale = []
            self.scale.append(self.add_weight(shape=(), initializer="ones", name="scale"))

        def call(self, x):
            y = self.by_key["a"](x) + self.by_key["b"](x)
            return self.in_order[1](self.in_order[0](y)) * self.scale[0]

    return Filled()


@pytest.mark.parametrize("lib_name", ["cornu", "keras"])
def test_what_is_added_later_is_tracked(lib_name):
    lib = cornu if lib_name == "cornu" else pytest.importorskip("keras")
    layer = _filled_later(lib)
    layer(np.ones((2, 4), "float32"))
    names = sorted(sub.name for sub in layer._flatten_layers(include_self=False))
    assert names == ["dense_a", "dense_b", "dense_c", "dense_d"]
    # 4 Dense layers (kernel and bias each) and the scale added to a list in build.
    assert len(layer.trainable_weights) == 9


def test_training_updates_the_weights_of_a_dict_filled_later():
    layer = _filled_later(cornu)
    model = cornu.Sequential([cornu.Input((4,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    before = [w.numpy().copy() for w in layer.by_key["b"].weights]
    model.fit(np.ones((8, 4), "float32"), np.zeros((8, 1), "float32"), epochs=1, verbose=0)
    after = [w.numpy() for w in layer.by_key["b"].weights]
    assert any(not np.allclose(b, a) for b, a in zip(before, after))


def test_tree_sees_a_list_and_a_dict():
    layer = _filled_later(cornu)
    mapped = cornu.tree.map_structure(lambda v: v.name, layer.by_key)
    assert type(mapped) is dict and mapped == {"a": "dense_a", "b": "dense_b"}
    assert cornu.tree.flatten(layer.in_order) == list(layer.in_order)
    # Same structure as the plain list and dict they hold.
    cornu.tree.assert_same_structure(layer.by_key, dict(layer.by_key))
    cornu.tree.map_structure(lambda a, b: None, layer.in_order, list(layer.in_order))
    assert isinstance(layer.by_key, dict) and isinstance(layer.in_order, list)
