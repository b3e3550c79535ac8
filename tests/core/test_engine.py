"""Variables, layers, Sequential/Functional/subclassed models, on the active backend."""
import numpy as np
import pytest

import cornu
from cornu import ops
from cornu_testplugin import ScaledDense


class Affine(cornu.Layer):
    """A custom layer written the Keras way (build/call/add_weight)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="ones", name="bias")
        self.input_spec = cornu.InputSpec(axes={-1: input_shape[-1]})

    def call(self, x):
        return ops.add(ops.matmul(x, self.kernel), self.bias)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_variable_basics():
    v = cornu.Variable(np.ones((2, 3), "float32"), name="w")
    assert v.shape == (2, 3) and v.dtype == "float32" and v.trainable and v.path == "w"
    v.assign(np.full((2, 3), 2.0, "float32"))
    v.assign_add(np.ones((2, 3), "float32"))
    v.assign_sub(np.full((2, 3), 0.5, "float32"))
    np.testing.assert_allclose(v.numpy(), np.full((2, 3), 2.5))
    np.testing.assert_allclose(ops.convert_to_numpy(v + 1.0), np.full((2, 3), 3.5))
    with pytest.raises(ValueError, match="shape"):
        v.assign(np.ones((3, 2), "float32"))
    i = cornu.Variable(0, dtype="int64", trainable=False, name="step")
    i.assign_add(3)
    assert int(i.numpy()) == 3 and i.dtype == "int64"
    with pytest.raises(ValueError, match="shape is required"):
        cornu.Variable(cornu.initializers.Zeros(), name="z")


def test_initializer_statistics_match_their_definition():
    glorot = cornu.initializers.get("glorot_uniform")
    w = ops.convert_to_numpy(glorot((300, 200)))
    limit = np.sqrt(6.0 / 500)
    assert w.min() >= -limit and w.max() <= limit
    assert abs(w.std() - limit / np.sqrt(3)) < 0.01 * limit
    he = ops.convert_to_numpy(cornu.initializers.get("he_normal")((400, 300)))
    # truncated normal at 2 stddev rescaled to keep variance 2 / fan_in
    assert abs(he.std() - np.sqrt(2.0 / 400)) < 0.05 * np.sqrt(2.0 / 400)
    assert np.abs(he).max() <= 2 * np.sqrt(2.0 / 400) / 0.87962566103423978 + 1e-6
    seeded = cornu.initializers.GlorotUniform(seed=3)
    np.testing.assert_array_equal(ops.convert_to_numpy(seeded((4, 4))),
                                  ops.convert_to_numpy(seeded((4, 4))))
    np.testing.assert_array_equal(ops.convert_to_numpy(cornu.initializers.get("zeros")((2,))), 0)
    np.testing.assert_array_equal(ops.convert_to_numpy(cornu.initializers.get("ones")((2,))), 1)


def test_activations_against_numpy():
    x = np.linspace(-3, 3, 13).astype("float32")
    act = cornu.activations
    np.testing.assert_allclose(ops.convert_to_numpy(act.get("relu")(x)), np.maximum(x, 0))
    np.testing.assert_allclose(ops.convert_to_numpy(act.get("sigmoid")(x)), 1 / (1 + np.exp(-x)),
                               rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(act.get("tanh")(x)), np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(act.get("linear")(x)), x)
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], "float32")
    e = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(ops.convert_to_numpy(act.get("softmax")(logits)),
                               e / e.sum(-1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(act.relu(x, max_value=1.0)),
                               np.clip(x, 0, 1))
    assert act.get(None) is act.linear
    with pytest.raises(ValueError, match="Unknown activation"):
        act.get("relu7")


def test_layer_builds_tracks_and_checks_inputs():
    layer = Affine(3, name="aff")
    x = np.random.rand(4, 5).astype("float32")
    y = ops.convert_to_numpy(layer(x))
    w, b = layer.get_weights()
    np.testing.assert_allclose(y, x @ w + b, rtol=1e-5)
    assert [v.path for v in layer.weights] == ["aff/kernel", "aff/bias"]
    assert layer.count_params() == 18
    with pytest.raises(ValueError) as info:
        layer(np.random.rand(4, 6).astype("float32"))
    message = str(info.value)
    assert "aff" in message and "6" in message and "5" in message
    with pytest.raises(ValueError, match="expected 2 weights"):
        layer.set_weights([w])
    with pytest.raises(ValueError, match="not compatible"):
        layer.set_weights([w.T, b])
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_nested_layers_are_tracked_and_training_propagates():
    seen = []

    class Probe(cornu.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class Block(cornu.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Affine(2)
            self.probe = Probe()
            self.stack = [Affine(2), Affine(2)]

        def call(self, x):
            return self.stack[1](self.stack[0](self.probe(self.inner(x))))

    block = Block()
    block(np.ones((1, 3), "float32"), training=True)
    block(np.ones((1, 3), "float32"))
    assert seen == [True, False]
    assert len(block.weights) == 6 and len(block._layers) == 4


def test_add_loss_is_collected_and_reset_each_call():
    class Penalized(cornu.Layer):
        def call(self, x):
            self.add_loss(ops.sum(x))
            return x

    layer = Penalized()
    layer(np.ones((2, 2), "float32"))
    layer(np.ones((2, 2), "float32"))
    assert len(layer.losses) == 1
    assert float(ops.convert_to_numpy(layer.losses[0])) == 4.0


def test_sequential_functional_and_subclassed_agree():
    x = np.random.rand(6, 4).astype("float32")
    seq = cornu.Sequential([cornu.Input((4,)), Affine(3), Affine(2)])
    assert seq.output_shape == (None, 2)
    inp = cornu.Input(shape=(4,), name="features")
    out = Affine(2)(Affine(3)(inp))
    fn = cornu.Model(inp, out, name="fn")
    assert isinstance(fn, cornu.Functional) and fn.output_shape == (None, 2)

    class Sub(cornu.Model):
        def __init__(self):
            super().__init__()
            self.a = Affine(3)
            self.b = Affine(2)

        def call(self, x):
            return self.b(self.a(x))

    sub = Sub()
    sub(x)
    fn.set_weights(seq.get_weights())
    sub.set_weights(seq.get_weights())
    ref = ops.convert_to_numpy(seq(x))
    np.testing.assert_allclose(ops.convert_to_numpy(fn(x)), ref, rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(sub(x)), ref, rtol=1e-6)
    assert [l.name for l in fn.layers][0] == "features"
    seq.pop()
    assert len(seq.layers) == 1 and seq.output_shape == (None, 3)
    seq.add(Affine(5))
    assert seq.output_shape == (None, 5)


def test_sequential_input_shape_argument_and_lazy_build():
    seq = cornu.Sequential([ScaledDense(3, input_shape=(4,)), ScaledDense(2)])
    assert seq.built and seq.input_shape == (None, 4)
    lazy = cornu.Sequential([ScaledDense(3), ScaledDense(2)])
    assert not lazy.built
    lazy(np.ones((2, 7), "float32"))
    assert lazy.built and lazy.output_shape == (None, 2)
    with pytest.raises(ValueError, match="unique names"):
        cornu.Sequential([ScaledDense(1, name="same"), ScaledDense(1, name="same")])


def test_functional_multiple_inputs_and_outputs_lists_and_dicts():
    a = cornu.Input((3,), name="a")
    b = cornu.Input((2,), name="b")

    class Concat(cornu.Layer):
        def call(self, xs):
            return ops.concatenate(xs, axis=-1)

    joined = Concat()([a, b])
    out1 = ScaledDense(1, name="o1")(joined)
    out2 = ScaledDense(2, name="o2")(joined)
    model = cornu.Model({"a": a, "b": b}, {"first": out1, "second": out2})
    xa, xb = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    result = model({"a": xa, "b": xb})
    assert set(result) == {"first", "second"}
    assert tuple(result["second"].shape) == (4, 2)
    listed = cornu.Model([a, b], [out1, out2])
    r1, r2 = listed([xa, xb])
    np.testing.assert_allclose(ops.convert_to_numpy(r1), ops.convert_to_numpy(result["first"]))
    with pytest.raises(ValueError, match="expects 2 input"):
        listed([xa])


def test_functional_config_round_trip_rebuilds_the_graph():
    inp = cornu.Input((4,), name="x")
    h = ScaledDense(3, scale=2.0, name="h")(inp)
    out = ScaledDense(1, name="out")(h)
    model = cornu.Model(inp, out, name="net")
    config = model.get_config()
    assert config["input_layers"] == ["x", 0, 0] and config["output_layers"] == ["out", 0, 0]
    clone = cornu.Functional.from_config(config)
    assert [l.name for l in clone.layers] == ["x", "h", "out"]
    assert clone.layers[1].scale == 2.0
    clone.set_weights(model.get_weights())
    x = np.random.rand(3, 4).astype("float32")
    np.testing.assert_allclose(ops.convert_to_numpy(clone(x)), ops.convert_to_numpy(model(x)),
                               rtol=1e-6)
    json_clone = cornu.models.model.model_from_json(model.to_json())
    assert json_clone.output_shape == (None, 1)


def test_summary_layout():
    model = cornu.Sequential([cornu.Input((4,)), ScaledDense(3, name="hidden")], name="tiny")
    calls = []
    model.summary(print_fn=calls.append)
    assert len(calls) == 1  # the whole table in one call, as Keras
    text = calls[0]
    lines = text.splitlines()
    assert lines[0] == 'Model: "tiny"'
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert "hidden (ScaledDense)" in text and "(None, 3)" in text
    assert " Total params: 12 (48.00 B)" in lines
    assert " Trainable params: 12 (48.00 B)" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines


def _sparsemax_reference(z):
    """Martins and Astudillo (2016), Algorithm 1, one row at a time."""
    out = np.zeros_like(z)
    for i, row in enumerate(z):
        s = np.sort(row)[::-1]
        k = np.arange(1, len(s) + 1)
        support = 1 + k * s > np.cumsum(s)
        kz = k[support][-1]
        tau = (np.cumsum(s)[kz - 1] - 1) / kz
        out[i] = np.maximum(row - tau, 0)
    return out


def test_sparse_activations_against_their_definitions():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6, 5)).astype("float32") * 2
    got = ops.convert_to_numpy(cornu.activations.get("sparsemax")(z))
    np.testing.assert_allclose(got, _sparsemax_reference(z), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got.sum(-1), 1.0, rtol=1e-5)
    x = np.linspace(-2, 2, 9).astype("float32")
    np.testing.assert_allclose(ops.convert_to_numpy(cornu.activations.sparse_sigmoid(x)),
                               np.where(x <= -1, 0, np.where(x >= 1, 1, 0.5 * (x + 1))))
    assert cornu.initializers.glorot_uniform is cornu.initializers.GlorotUniform


def test_numpy_and_get_weights_are_snapshots():
    """Like Keras: arrays read from weights do not follow later updates (torch's own
    Tensor.numpy() would share memory with the parameter)."""
    var = cornu.Variable(np.zeros((2, 2), "float32"))
    snapshot = var.numpy()
    var.assign(np.ones((2, 2), "float32"))
    np.testing.assert_array_equal(snapshot, np.zeros((2, 2)))
    np.testing.assert_array_equal(np.asarray(var), np.ones((2, 2)))

    class Scale(cornu.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(3,), initializer="zeros")

        def call(self, x):
            return x * self.w

    layer = Scale()
    layer(np.ones((1, 3), "float32"))
    before = layer.get_weights()
    layer.w.assign_add(np.ones(3, "float32"))
    np.testing.assert_array_equal(before[0], np.zeros(3))
