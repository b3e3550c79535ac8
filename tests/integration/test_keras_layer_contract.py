"""What KerasHub's layers and test suite rely on in keras.Layer (issue 19).

Keras's private ``_flatten_layers``, ``quantization_mode``, a serialized policy passed
back as ``dtype=``, KerasTensors made from a framework dtype, ``build`` and
``compute_output_shape`` with one shape argument per call argument, the state of the
seed generators counted among ``non_trainable_variables``, and fit before compile.
"""
import numpy as np
import pytest

import cornu
from cornu import ops


class _Pair(cornu.layers.Layer):
    """build/compute_output_shape take the shape of each call argument, by name."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = None

    def build(self, decoder_shape, encoder_shape=None):
        self.seen = (decoder_shape, encoder_shape)
        self.dense = cornu.layers.Dense(2)
        self.dense.build(decoder_shape)
        if encoder_shape is not None:
            self.cross = cornu.layers.Dense(2)
            self.cross.build(encoder_shape)

    def call(self, decoder, encoder=None):
        out = self.dense(decoder)
        if encoder is not None:
            out = out + ops.mean(self.cross(encoder), axis=1, keepdims=True)
        return out


class _Head(cornu.layers.Layer):
    def call(self, inputs, mask_positions):
        return ops.take_along_axis(inputs[..., :1], ops.expand_dims(mask_positions, -1),
                                   axis=1)

    def compute_output_shape(self, inputs_shape, mask_positions_shape):
        return mask_positions_shape + (7,)


class _Same(cornu.layers.Layer):
    def call(self, x):
        return x

    def compute_output_shape(self, input_shape):
        return input_shape


class _IntOutput(cornu.layers.Layer):
    """Checks its dtype in __init__, as KerasHub's preprocessing layers do."""

    def __init__(self, dtype="int32", **kwargs):
        if not isinstance(dtype, str) or "int" not in dtype:
            raise ValueError(f"Output dtype must be an integer type. Received: {dtype}")
        super().__init__(dtype=dtype, **kwargs)

    def call(self, x):
        return x


def test_flatten_layers_walks_each_sublayer_once_in_keras_order():
    shared = cornu.layers.Dense(1, name="shared")
    inner = cornu.models.Sequential([shared], name="inner") if hasattr(
        cornu, "models") else cornu.Sequential([shared], name="inner")

    class Outer(cornu.layers.Layer):
        def __init__(self):
            super().__init__(name="outer")
            self.first = inner
            self.second = shared  # also inside `inner`: listed once
            self.third = cornu.layers.Dense(1, name="third")

    outer = Outer()
    names = [layer.name for layer in outer._flatten_layers()]
    assert names[0] == "outer"
    assert names.count("shared") == 1
    assert set(names) >= {"outer", "inner", "shared", "third"}
    assert [l.name for l in outer._flatten_layers(include_self=False)] == names[1:]
    shallow = [l.name for l in outer._flatten_layers(include_self=False, recursive=False)]
    assert shallow == ["inner", "shared", "third"]
    assert outer.quantization_mode is None and shared.quantization_mode is None


def test_from_config_passes_a_serialized_policy_as_its_name():
    layer = _IntOutput(dtype="int32")
    config = layer.get_config()
    assert isinstance(config["dtype"], dict)  # {"class_name": "DTypePolicy", ...}
    revived = _IntOutput.from_config(config)
    assert revived.dtype_policy.name == "int32"
    assert revived.get_config() == config


def test_keras_tensor_standardizes_a_framework_dtype():
    x = ops.convert_to_tensor(np.zeros((2, 3), "float32"))
    spec = cornu.KerasTensor(x.shape, x.dtype)
    assert spec.dtype == "float32"
    assert cornu.KerasTensor((2,), np.dtype("int64")).dtype == "int64"
    # A layer called on it autocasts as on a named dtype.
    out = cornu.layers.Dense(2, dtype="float16")(spec)
    assert out.dtype == "float16"


@pytest.mark.parametrize("symbolic", [False, True])
def test_build_gets_the_shape_of_each_call_argument(symbolic):
    make = (lambda shape: cornu.KerasTensor(shape)) if symbolic else (
        lambda shape: np.ones((2,) + shape[1:], "float32"))
    decoder, encoder = make((None, 4, 3)), make((None, 5, 6))
    cross = _Pair()
    cross(decoder, encoder)
    assert cross.seen[1] is not None and tuple(cross.seen[1])[-1] == 6
    assert len(cross.trainable_weights) == 4
    alone = _Pair()
    alone(decoder)
    assert alone.seen[1] is None and len(alone.trainable_weights) == 2
    config = cross.get_build_config()
    assert set(config["shapes_dict"]) == {"decoder_shape", "encoder_shape"}
    revived = _Pair()
    revived.build_from_config(config)
    assert revived.built and len(revived.trainable_weights) == 4
    assert alone.get_build_config() == {"input_shape": [None if symbolic else 2, 4, 3]}


def test_compute_output_spec_passes_each_argument_shape_also_for_real_tensors():
    inputs = ops.convert_to_tensor(np.ones((2, 5, 3), "float32"))
    positions = ops.convert_to_tensor(np.array([[0, 1], [2, 3]], "int32"))
    spec = _Head().compute_output_spec(inputs, positions)
    assert spec.shape == (2, 2, 7)
    symbolic = _Head()(cornu.KerasTensor((None, 5, 3)), cornu.KerasTensor((None, 2), "int32"))
    assert symbolic.shape == (None, 2, 7)
    # One shape argument: the first input's shape (a real tensor is not iterated).
    spec = _Same().compute_output_spec(ops.convert_to_tensor(np.ones((4, 3), "float32")))
    assert spec.shape == (4, 3)


def test_seed_generator_state_counts_as_a_non_trainable_variable():
    dropout = cornu.layers.Dropout(0.5, seed=1)
    assert dropout.non_trainable_weights == [] and dropout.weights == []
    assert len(dropout.non_trainable_variables) == 1
    state = dropout.non_trainable_variables[0]
    assert not state.trainable and tuple(state.shape) == (2,)
    assert dropout.variables == dropout.non_trainable_variables
    assert cornu.layers.Dropout(0.0).non_trainable_variables == []  # no generator

    class Block(cornu.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = cornu.layers.Dense(3)
            self.drop1 = cornu.layers.Dropout(0.1)
            self.drop2 = cornu.layers.Dropout(0.1)

        def call(self, x, training=False):
            return self.drop2(self.drop1(self.dense(x), training=training),
                              training=training)

    block = Block()
    x = np.ones((2, 4), "float32")
    block(x)
    assert len(block.trainable_variables) == 2
    assert len(block.non_trainable_weights) == 0
    assert len(block.non_trainable_variables) == 2
    frozen = Block()
    frozen(x)
    frozen.trainable = False
    assert len(frozen.non_trainable_variables) == 4
    # stateless_call takes (and gives back) one value per non-trainable variable.
    out, non_trainable = block.stateless_call(
        [v.value for v in block.trainable_variables],
        [v.value for v in block.non_trainable_variables], x)
    assert tuple(out.shape) == (2, 3) and len(non_trainable) == 2


def test_embedding_nested_in_a_mixed_precision_layer_gives_the_compute_dtype():
    class Tokens(cornu.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embedding = cornu.layers.Embedding(5, 3, dtype=self.dtype_policy)

        def call(self, x):
            return self.embedding(x)

    layer = Tokens(dtype="mixed_float16")
    out = layer(np.array([[1, 2]]))
    assert ops.dtype(out) == "float16"
    assert layer.embedding.embeddings.dtype == "float32"


def test_fit_before_compile_is_a_value_error_with_keras_wording():
    model = cornu.Sequential([cornu.Input((3,)), cornu.layers.Dense(1)])
    with pytest.raises(ValueError, match="You must call `compile"):
        model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)


def test_set_random_seed_also_seeds_an_imported_tensorflow(monkeypatch):
    """tf.data pipelines (KerasHub's augmentation layers) run tf.random ops under any
    backend: Keras's set_random_seed seeds TensorFlow too."""
    import sys
    import types

    if cornu.backend.backend() == "tensorflow":
        pytest.skip("the tensorflow backend seeds TensorFlow itself")
    seeds = []
    fake = types.ModuleType("tensorflow")
    fake.random = types.SimpleNamespace(set_seed=seeds.append)
    monkeypatch.setitem(sys.modules, "tensorflow", fake)
    cornu.utils.set_random_seed(1337)
    assert seeds == [1337]
    monkeypatch.delitem(sys.modules, "tensorflow")
    cornu.utils.set_random_seed(3)  # not imported: not imported for this
    assert seeds == [1337] and "tensorflow" not in sys.modules
