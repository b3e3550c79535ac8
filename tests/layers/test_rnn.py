"""Recurrent layers: numpy step-by-step references, torch.nn.LSTM/GRU, and Keras 3.

The numpy references implement the Keras equations and masking rules directly
(a masked step keeps the states and repeats the previous output), so they run in
the keras-less package session too.  Every layer is checked on both of its code
paths: the fused/fast path (``use_cudnn="auto"``) and the cell-by-cell loop
(``use_cudnn=False``).
"""
import os

import numpy as np
import pytest

import cornu
from cornu import layers, ops

BACKEND = os.environ.get("CORNU_BACKEND", "torch")


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# -- numpy references ----------------------------------------------------------------------
def np_step_lstm(weights):
    kernel, rec, bias = weights
    u = rec.shape[0]

    def step(x, states):
        h, c = states
        z = x @ kernel + h @ rec + bias
        i, f, g, o = sigmoid(z[:, :u]), sigmoid(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), \
            sigmoid(z[:, 3 * u:])
        c = f * c + i * g
        h = o * np.tanh(c)
        return h, [h, c]

    return step, [np.zeros((1, u)), np.zeros((1, u))]


def np_step_gru(weights, reset_after):
    kernel, rec, bias = weights
    u = rec.shape[0]
    in_bias, rec_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))

    def step(x, states):
        h = states[0]
        xz = x @ kernel + in_bias
        z = sigmoid(xz[:, :u] + h @ rec[:, :u] + rec_bias[:u])
        r = sigmoid(xz[:, u:2 * u] + h @ rec[:, u:2 * u] + rec_bias[u:2 * u])
        if reset_after:
            hh = np.tanh(xz[:, 2 * u:] + r * (h @ rec[:, 2 * u:] + rec_bias[2 * u:]))
        else:
            hh = np.tanh(xz[:, 2 * u:] + (r * h) @ rec[:, 2 * u:])
        h = z * h + (1 - z) * hh
        return h, [h]

    return step, [np.zeros((1, u))]


def np_step_simple(weights):
    kernel, rec, bias = weights

    def step(x, states):
        h = np.tanh(x @ kernel + states[0] @ rec + bias)
        return h, [h]

    return step, [np.zeros((1, rec.shape[0]))]


def np_run(step, init, x, mask=None, go_backwards=False, initial=None):
    """Keras semantics, one sequence at a time: (outputs (b, t, u), final states)."""
    batch, steps = x.shape[:2]
    outs, finals = [], []
    for b in range(batch):
        states = [s.copy() for s in init] if initial is None else [s[b:b + 1] for s in initial]
        prev = np.zeros_like(step(x[b:b + 1, 0], states)[0])
        seq = []
        order = range(steps - 1, -1, -1) if go_backwards else range(steps)
        for t in order:
            out, new = step(x[b:b + 1, t], states)
            if mask is not None and not mask[b, t]:
                out, new = prev, states
            prev, states = out, new
            seq.append(out[0])
        outs.append(np.stack(seq))
        finals.append([s[0] for s in states])
    return np.stack(outs), [np.stack([f[i] for f in finals]) for i in range(len(finals[0]))]


def reference(kind, weights):
    if kind == "lstm":
        return np_step_lstm(weights)
    if kind == "simple":
        return np_step_simple(weights)
    return np_step_gru(weights, reset_after=(kind == "gru"))


def make(kind, units=4, **kwargs):
    init = dict(bias_initializer="random_normal")
    if kind == "lstm":
        return layers.LSTM(units, **init, **kwargs)
    if kind == "gru":
        return layers.GRU(units, **init, **kwargs)
    if kind == "gru_before":
        return layers.GRU(units, reset_after=False, **init, **kwargs)
    kwargs.pop("use_cudnn", None)
    return layers.SimpleRNN(units, **init, **kwargs)


MASKS = {
    "none": None,
    "right_padded": np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], bool),
    "holes": np.array([[1, 0, 1, 1, 0], [0, 1, 1, 0, 1], [1, 1, 0, 0, 0]], bool),
}


@pytest.mark.parametrize("kind", ["lstm", "gru", "gru_before", "simple"])
@pytest.mark.parametrize("mask", list(MASKS))
@pytest.mark.parametrize("go_backwards", [False, True])
def test_matches_numpy_recurrence(kind, mask, go_backwards, rng, numpy_of):
    x = rng.standard_normal((3, 5, 3)).astype("float32")
    m = MASKS[mask]
    for use_cudnn in ("auto", False):
        layer = make(kind, return_sequences=True, return_state=True,
                     go_backwards=go_backwards, use_cudnn=use_cudnn)
        if use_cudnn == "auto":
            layer.build((None, 5, 3))
            weights = [w.astype("float64") for w in layer.get_weights()]
        else:
            layer.build((None, 5, 3))
            layer.set_weights([w.astype("float32") for w in weights])
        result = layer(x, mask=None if m is None else ops.convert_to_tensor(m))
        step, init = reference(kind, weights)
        expected, finals = np_run(step, init, x.astype("float64"), m, go_backwards)
        np.testing.assert_allclose(numpy_of(result[0]), expected, atol=1e-5)
        for got, want in zip(result[1:], finals):
            np.testing.assert_allclose(numpy_of(got), want, atol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_masked_steps_carry_state_through(kind, rng, numpy_of):
    """The final state with holes in the mask equals the state of the compacted sequence."""
    x = rng.standard_normal((2, 6, 3)).astype("float32")
    mask = np.array([[1, 0, 1, 0, 0, 1], [0, 1, 1, 1, 0, 0]], bool)
    layer = make(kind, return_state=True)
    masked = layer(x, mask=ops.convert_to_tensor(mask))
    for b in range(2):
        compact = layer(x[b:b + 1, mask[b]])
        for got, want in zip(masked, compact):
            np.testing.assert_allclose(numpy_of(got)[b:b + 1], numpy_of(want), atol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_zero_output_for_mask(kind, rng, numpy_of):
    x = rng.standard_normal((3, 5, 2)).astype("float32")
    m = MASKS["holes"]
    for use_cudnn in ("auto", False):
        layer = make(kind, return_sequences=True, use_cudnn=use_cudnn)
        layer.zero_output_for_mask = True
        out = numpy_of(layer(x, mask=ops.convert_to_tensor(m)))
        assert np.all(out[~m] == 0) and np.all(np.abs(out[m]).sum(-1) > 0)


@pytest.mark.skipif(BACKEND != "torch", reason="torch.nn.LSTM/GRU are the torch reference")
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_matches_torch_nn_with_converted_weights(kind, rng, numpy_of):
    import torch

    x = rng.standard_normal((3, 6, 4)).astype("float32")
    h0 = rng.standard_normal((3, 5)).astype("float32")
    layer = make(kind, units=5, return_sequences=True, return_state=True)
    if kind == "lstm":
        c0 = rng.standard_normal((3, 5)).astype("float32")
        result = layer(x, initial_state=[h0, c0])
        module = torch.nn.LSTM(4, 5, batch_first=True)
        kernel, rec, bias = layer.get_weights()  # gate order i, f, c(g), o: torch's too
        tensors = [kernel.T, rec.T, bias, np.zeros_like(bias)]
        hx = (torch.tensor(h0)[None], torch.tensor(c0)[None])
    else:
        result = layer(x, initial_state=h0)
        module = torch.nn.GRU(4, 5, batch_first=True)
        kernel, rec, bias = layer.get_weights()

        def order(w):  # Keras z, r, h -> torch r, z, n
            return np.concatenate([w[..., 5:10], w[..., :5], w[..., 10:]], -1)

        tensors = [order(kernel).T, order(rec).T, order(bias[0]), order(bias[1])]
        hx = torch.tensor(h0)[None]
    with torch.no_grad():
        for p, value in zip(module.parameters(), tensors):
            p.copy_(torch.tensor(np.ascontiguousarray(value)))
        expected, states = module(torch.tensor(x), hx)
    states = states if isinstance(states, tuple) else (states,)
    np.testing.assert_allclose(numpy_of(result[0]), expected.numpy(), atol=1e-5)
    for got, want in zip(result[1:], states):
        np.testing.assert_allclose(numpy_of(got), want[0].numpy(), atol=1e-5)


# -- Keras 3 --------------------------------------------------------------------------------
def compare_with_keras(keras, layer, klayer, x, atol=1e-5, **call_kwargs):
    """Build both, copy cornu's weights into Keras, compare every output."""
    layer(x), klayer(x)
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in klayer.get_weights()]
    klayer.set_weights(layer.get_weights())
    got, want = layer(x, **call_kwargs), klayer(x, **call_kwargs)
    got, want = cornu.tree.flatten(got), cornu.tree.flatten(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(ops.convert_to_numpy(g)),
                                   keras.ops.convert_to_numpy(w), atol=atol)
    return got


KERAS_CASES = [
    ("LSTM", dict(units=4, return_sequences=True)),
    ("LSTM", dict(units=3, return_state=True, go_backwards=True, unit_forget_bias=False)),
    ("GRU", dict(units=4, return_sequences=True)),
    ("GRU", dict(units=3, reset_after=False, return_state=True)),
    ("SimpleRNN", dict(units=4, return_sequences=True, activation="relu")),
]


@pytest.mark.parametrize("class_name,kwargs", KERAS_CASES)
def test_matches_keras(ref, keras, rng, class_name, kwargs):
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    kwargs = dict(kwargs, bias_initializer="random_normal")
    layer = getattr(layers, class_name)(**kwargs)
    klayer = ref.keras_layer(class_name, **kwargs)
    compare_with_keras(keras, layer, klayer, x)
    # Keras's SimpleRNN leaves its seed out of the config; cornu keeps it.
    ref.assert_config_keys(layer, klayer, extras=("seed",) if class_name == "SimpleRNN"
                           else ())
    clone = ref.roundtrip(layer)
    assert clone.get_config() == layer.get_config()


def test_keras_masked_and_initial_state(ref, keras, rng, numpy_of):
    x = rng.standard_normal((3, 5, 3)).astype("float32")
    h0 = rng.standard_normal((3, 4)).astype("float32")
    c0 = rng.standard_normal((3, 4)).astype("float32")
    for class_name, init in (("LSTM", [h0, c0]), ("GRU", [h0])):
        layer = getattr(layers, class_name)(4, return_sequences=True)
        klayer = ref.keras_layer(class_name, units=4, return_sequences=True)
        layer(x), klayer(x)
        klayer.set_weights(layer.get_weights())
        for mask in (MASKS["right_padded"], MASKS["holes"]):
            got = layer(x, mask=ops.convert_to_tensor(mask), initial_state=init)
            want = klayer(x, mask=keras.ops.convert_to_tensor(mask), initial_state=init)
            np.testing.assert_allclose(numpy_of(got), keras.ops.convert_to_numpy(want),
                                       atol=1e-5)


def test_stacked_cells_and_bidirectional_match_keras(ref, keras, rng, numpy_of):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    layer = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True)
    klayer = keras.layers.RNN([keras.layers.LSTMCell(3), keras.layers.GRUCell(2)],
                              return_state=True)
    compare_with_keras(keras, layer, klayer, x)
    for merge_mode in ("concat", "sum", "mul", "ave", None):
        layer = layers.Bidirectional(layers.LSTM(3, return_sequences=True),
                                     merge_mode=merge_mode)
        klayer = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True),
                                            merge_mode=merge_mode)
        layer(x), klayer(x)
        klayer.set_weights(layer.get_weights())
        mask = MASKS["right_padded"][:2, :4]
        got = layer(x, mask=ops.convert_to_tensor(mask))
        want = klayer(x, mask=keras.ops.convert_to_tensor(mask))
        got, want = (got, want) if merge_mode is None else ([got], [want])
        for g, w in zip(got, want):
            np.testing.assert_allclose(numpy_of(g), keras.ops.convert_to_numpy(w), atol=1e-5)
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    layer = layers.Bidirectional(layers.GRU(2, return_state=True),
                                 backward_layer=layers.GRU(2, return_state=True,
                                                           go_backwards=True))
    klayer = keras.layers.Bidirectional(
        keras.layers.GRU(2, return_state=True),
        backward_layer=keras.layers.GRU(2, return_state=True, go_backwards=True))
    compare_with_keras(keras, layer, klayer, x)
    assert layer.compute_output_shape((2, 4, 3)) == ((2, 4), (2, 2), (2, 2))


def test_keras_weights_file_loads(keras, tmp_path, rng, numpy_of):
    """A Keras model's .weights.h5 (LSTM, Bidirectional GRU, SimpleRNN) loads into cornu."""
    def build(lib):
        inputs = lib.Input((5, 3))
        x = lib.layers.LSTM(4, return_sequences=True)(inputs)
        x = lib.layers.Bidirectional(lib.layers.GRU(3, return_sequences=True))(x)
        return lib.Model(inputs, lib.layers.SimpleRNN(2)(x))

    kmodel, model = build(keras), build(cornu)
    path = tmp_path / "rnn.weights.h5"
    kmodel.save_weights(path)
    model.load_weights(path)
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    np.testing.assert_allclose(numpy_of(model(x)), keras.ops.convert_to_numpy(kmodel(x)),
                               atol=1e-5)


# -- state, shapes, config, gradients ------------------------------------------------------
def test_stateful_carries_over_and_resets(rng, numpy_of):
    x = rng.standard_normal((2, 6, 3)).astype("float32")
    for kind in ("lstm", "gru", "simple"):
        stateful = make(kind, stateful=True, return_sequences=True)
        plain = make(kind, return_sequences=True)
        stateful.build((2, 6, 3))
        plain.build((2, 6, 3))
        plain.set_weights(stateful.get_weights())
        assert len(stateful.weights) == 3  # the states are not weights (Keras)
        whole = numpy_of(plain(x))
        first = numpy_of(stateful(x[:, :3]))
        second = numpy_of(stateful(x[:, 3:]))
        np.testing.assert_allclose(np.concatenate([first, second], 1), whole, atol=1e-5)
        stateful.reset_states()
        np.testing.assert_allclose(numpy_of(stateful(x[:, :3])), whole[:, :3], atol=1e-5)
        with pytest.raises(ValueError, match="stateful with batch size 2"):
            stateful(x[:1])
    with pytest.raises(ValueError, match="static batch size"):
        layers.LSTM(2, stateful=True)(cornu.Input((4, 3)))


def test_symbolic_shapes_return_state_and_initial_state(rng, numpy_of):
    inputs = cornu.Input((5, 3))
    h0, c0 = cornu.Input((4,)), cornu.Input((4,))
    seq, h, c = layers.LSTM(4, return_sequences=True, return_state=True)(
        inputs, initial_state=[h0, c0])
    assert seq.shape == (None, 5, 4) and h.shape == (None, 4) and c.shape == (None, 4)
    model = cornu.Model([inputs, h0, c0], [seq, h, c])
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    s0 = [rng.standard_normal((2, 4)).astype("float32") for _ in range(2)]
    out = model([x, *s0])
    np.testing.assert_allclose(numpy_of(out[0])[:, -1], numpy_of(out[1]), atol=1e-6)
    # The initial state is used: zeros give a different result.
    zero = model([x, np.zeros_like(s0[0]), np.zeros_like(s0[1])])
    assert not np.allclose(numpy_of(zero[1]), numpy_of(out[1]))
    rnn = layers.RNN([layers.LSTMCell(3), layers.SimpleRNNCell(2)], return_state=True)
    shapes = rnn.compute_output_shape((None, 5, 3))
    assert shapes == ((None, 2), [(None, 3), (None, 3)], (None, 2))
    outs = rnn(x)
    assert [tuple(numpy_of(o).shape) for o in outs[:1]] == [(2, 2)]


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple"])
def test_gradients_fused_and_loop_agree(kind, rng, grads):
    x = rng.standard_normal((3, 5, 2)).astype("float32")
    mask = ops.convert_to_tensor(MASKS["right_padded"])
    fast = make(kind, return_sequences=True)
    loop = make(kind, return_sequences=True, use_cudnn=False)
    fast.build((None, 5, 2))
    loop.build((None, 5, 2))
    loop.set_weights(fast.get_weights())
    for kwargs in ({}, {"mask": mask}):
        g_fast = grads(fast, x, **kwargs)
        g_loop = grads(loop, x, **kwargs)
        assert all(g is not None and np.abs(g).sum() > 0 for g in g_fast)
        for a, b in zip(g_fast, g_loop):
            np.testing.assert_allclose(a, b, atol=1e-4)


def test_compiled_matches_eager(compiled, rng, numpy_of):
    x = rng.standard_normal((3, 5, 2)).astype("float32")
    mask = ops.convert_to_tensor(MASKS["holes"])
    for layer in (layers.LSTM(3, return_sequences=True), layers.GRU(3, go_backwards=True),
                  layers.SimpleRNN(3, unroll=True),
                  layers.RNN(layers.GRUCell(3), return_sequences=True)):
        eager = numpy_of(layer(x, mask=mask))
        graph = numpy_of(compiled(lambda a, m, layer=layer: layer(a, mask=m))(x, mask))
        np.testing.assert_allclose(graph, eager, atol=1e-6)


def test_dropout_masks_per_sequence(rng, numpy_of):
    x = np.ones((4, 6, 8), "float32")
    layer = layers.SimpleRNN(8, dropout=0.5, seed=3, return_sequences=True,
                             recurrent_initializer="zeros", activation="linear",
                             kernel_initializer="identity", use_bias=False)
    out = numpy_of(layer(x, training=True))
    # Zero recurrence and identity kernel: the output is the dropped input, the same
    # mask at every step of a sequence, values 0 or 1 / (1 - rate).
    assert set(np.unique(np.round(out, 5))) <= {0.0, 2.0}
    np.testing.assert_allclose(out, np.repeat(out[:, :1], 6, axis=1))
    assert 0 < (out == 0).mean() < 1
    np.testing.assert_allclose(numpy_of(layer(x)), x)  # inference: no dropout
    for cls in (layers.LSTM, layers.GRU):
        layer = cls(4, dropout=0.3, recurrent_dropout=0.3, seed=1)
        train = numpy_of(layer(x, training=True))
        infer = numpy_of(layer(x))
        assert np.all(np.isfinite(train)) and not np.allclose(train, infer)
        assert layer.cell._dropout_mask is None  # cleared after the call


def test_constants_reach_the_cell(rng, numpy_of):
    class AddConstantCell(cornu.Layer):
        state_size = 2
        output_size = 2

        def call(self, inputs, states, constants=None):
            h = states[0] + inputs + constants[0]
            return h, [h]

    x = rng.standard_normal((2, 3, 2)).astype("float32")
    k = rng.standard_normal((2, 2)).astype("float32")
    out = layers.RNN(AddConstantCell())(x, constants=k)
    np.testing.assert_allclose(numpy_of(out), x.sum(1) + 3 * k, atol=1e-5)
    with pytest.raises(ValueError, match="takes no `constants`"):
        layers.RNN(layers.LSTMCell(2))(x, constants=k)


def test_config_round_trips_and_errors():
    for layer in (layers.LSTM(3, dropout=0.1, go_backwards=True, unroll=True),
                  layers.GRU(2, reset_after=False, stateful=True),
                  layers.SimpleRNN(2, activation="relu"),
                  layers.RNN(layers.LSTMCell(2), return_sequences=True),
                  layers.RNN([layers.GRUCell(2), layers.SimpleRNNCell(3)]),
                  layers.Bidirectional(layers.GRU(2), merge_mode="sum"),
                  layers.LSTMCell(3, unit_forget_bias=False), layers.GRUCell(2)):
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
        assert type(clone) is type(layer)
    with pytest.raises(ValueError, match="units"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.GRU(2, use_cudnn="yes")
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match="expected ndim=3"):
        layers.LSTM(2)(np.zeros((2, 3), "float32"))
    lstm = layers.LSTM(3)
    lstm.build((None, 4, 2))
    bias = lstm.get_weights()[2]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(3), np.ones(3), np.zeros(6)])
