"""Composite layers pass their dtype policy to the sublayers they create (Keras 3).

Under ``mixed_bfloat16`` / ``mixed_float16``: every sublayer a layer builds itself has
the parent's policy, every variable is float32, the outputs are in the compute dtype,
and the results agree with the same layer in float32 (same weights).  Layers a user
hands to a wrapper (``Bidirectional``, ``TimeDistributed``, cells given to ``RNN``)
keep their own policy, as in Keras; the wrapper's outputs are in its compute dtype.
"""
import numpy as np
import pytest

import cornu
from cornu import layers, ops, tree

MIXED = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}
TOL = {"bfloat16": 5e-2, "float16": 5e-3}


def sublayers(layer):
    """Every layer under ``layer`` (depth first), with the parent that holds it."""
    out = []
    for sub in layer.layers:
        out.append((layer, sub))
        out.extend(sublayers(sub))
    return out


def dtype_of(x):
    return ops.standardize_dtype(ops.dtype(x))


def as_float64(x):
    return np.asarray(ops.convert_to_numpy(ops.cast(x, "float32")), dtype="float64")


@pytest.fixture
def seqs(rng):
    return rng.standard_normal((2, 5, 4)).astype("float32")


@pytest.fixture
def images(rng):
    return (rng.random((2, 8, 8, 3)) * 255).astype("float32")


# Layers that build their own sublayers: (factory(dtype), call(layer, inputs), inputs).
def _mha(dtype):
    return layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.1, dtype=dtype)


def _gqa(dtype):
    return layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2,
                                      dropout=0.1, dtype=dtype)


COMPOSITES = {
    "MultiHeadAttention": (_mha, lambda lay, x: lay(x, x), "seqs"),
    "MultiHeadAttention-scores": (
        _mha, lambda lay, x: lay(x, x, return_attention_scores=True)[0], "seqs"),
    "GroupQueryAttention": (_gqa, lambda lay, x: lay(x, x), "seqs"),
    "GroupQueryAttention-scores": (
        _gqa, lambda lay, x: lay(x, x, return_attention_scores=True)[0], "seqs"),
    "LSTM": (lambda d: layers.LSTM(3, return_sequences=True, dtype=d),
             lambda lay, x: lay(x), "seqs"),
    "GRU": (lambda d: layers.GRU(3, dtype=d), lambda lay, x: lay(x), "seqs"),
    "SimpleRNN": (lambda d: layers.SimpleRNN(3, dtype=d), lambda lay, x: lay(x), "seqs"),
    "RNN-stack": (lambda d: layers.RNN([layers.LSTMCell(3, dtype=d),
                                        layers.GRUCell(2, dtype=d)], dtype=d),
                  lambda lay, x: lay(x), "seqs"),
    "ConvLSTM1D": (lambda d: layers.ConvLSTM1D(2, 3, padding="same", dtype=d),
                   lambda lay, x: lay(ops.expand_dims(x, -1)), "seqs"),
    "RandAugment": (lambda d: layers.RandAugment(seed=3, dtype=d),
                    lambda lay, x: lay(x, training=True), "images"),
    "AugMix": (lambda d: layers.AugMix(seed=3, dtype=d),
               lambda lay, x: lay(x, training=True), "images"),
}


@pytest.mark.parametrize("policy", sorted(MIXED))
@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_sublayers_take_the_parent_policy(request, name, policy):
    make, call, inputs = COMPOSITES[name]
    x = request.getfixturevalue(inputs)
    layer = make(policy)
    y = call(layer, x)
    subs = sublayers(layer)
    assert subs, f"{name} built no sublayers"
    wrong = [(type(p).__name__, type(s).__name__, s.dtype_policy.name) for p, s in subs
             if s.dtype_policy.name != policy]
    assert not wrong, f"sublayers of {name} without the {policy} policy: {wrong}"
    assert all(s.compute_dtype == MIXED[policy] for _, s in subs)
    assert {v.dtype for v in layer.weights} <= {"float32"}
    assert all(dtype_of(v.value) == "float32" for v in layer.weights)
    assert dtype_of(y) == MIXED[policy]


@pytest.mark.parametrize("policy", sorted(MIXED))
@pytest.mark.parametrize("name", ["MultiHeadAttention", "GroupQueryAttention", "LSTM",
                                  "RNN-stack", "ConvLSTM1D"])
def test_mixed_outputs_match_float32(request, name, policy):
    # Same weights, inference: the mixed layer computes what the float32 one does, to
    # the half type's precision.
    make, call, inputs = COMPOSITES[name]
    x = request.getfixturevalue(inputs)
    full, mixed = make("float32"), make(policy)
    expected = call(full, x)
    call(mixed, x)
    mixed.set_weights(full.get_weights())
    out = call(mixed, x)
    assert dtype_of(out) == MIXED[policy]
    tol = TOL[MIXED[policy]]
    np.testing.assert_allclose(as_float64(out), as_float64(expected), atol=tol, rtol=tol)


@pytest.mark.parametrize("policy", sorted(MIXED))
def test_attention_layers_without_sublayers(seqs, policy):
    for layer in (layers.Attention(use_scale=True, score_mode="concat", dtype=policy),
                  layers.AdditiveAttention(dtype=policy)):
        y = layer([seqs, seqs])
        assert layer.weights and {v.dtype for v in layer.weights} == {"float32"}
        assert dtype_of(y) == MIXED[policy]


@pytest.mark.parametrize("policy", sorted(MIXED))
def test_symbolic_outputs_and_gradients_under_a_mixed_policy(seqs, grads, policy):
    inputs = cornu.Input((5, 4))
    attention = _mha(policy)
    hidden = attention(inputs, inputs)
    assert hidden.dtype == MIXED[policy]
    recurrent = layers.LSTM(3, dtype=policy)(hidden)
    assert recurrent.dtype == MIXED[policy]
    outputs = layers.Dense(1, dtype="float32")(recurrent)
    assert outputs.dtype == "float32"
    model = cornu.Model(inputs, outputs)
    assert dtype_of(model(seqs)) == "float32"
    assert all(dtype_of(v.value) == "float32" for v in model.weights)
    # Every float32 variable gets a float32 gradient through the half-precision layers.
    gradients = grads(model, seqs, training=True)
    assert len(gradients) == len(model.trainable_weights)
    assert all(g is not None and g.dtype == np.float32 and np.isfinite(g).all()
               for g in gradients)
    assert all(np.abs(g).sum() > 0 for g in gradients)


# -- wrappers keep the wrapped layers' own policies (Keras) ---------------------------
@pytest.mark.parametrize("policy", sorted(MIXED))
def test_wrapped_layers_keep_their_policy(seqs, policy):
    bidi = layers.Bidirectional(layers.LSTM(3, return_sequences=True), dtype=policy)
    y = bidi(seqs)
    assert {s.dtype_policy.name for _, s in sublayers(bidi)} == {"float32"}
    assert dtype_of(y) == MIXED[policy]
    dist = layers.TimeDistributed(layers.Dense(2), dtype=policy)
    assert dtype_of(dist(seqs)) == MIXED[policy]
    assert dist.layer.dtype_policy.name == "float32"


@pytest.mark.parametrize("policy", sorted(MIXED))
@pytest.mark.parametrize("mixed_part", ["rnn", "cells"])
def test_rnn_with_cells_of_another_policy(seqs, policy, mixed_part):
    # Cells built with their own policy run in it (Keras calls the cell itself); the
    # RNN's outputs and states come in the RNN's compute dtype.
    outer, inner = (policy, "float32") if mixed_part == "rnn" else ("float32", policy)

    def build(outer_policy, inner_policy):
        cells = [layers.LSTMCell(3, dropout=0.2, seed=1, dtype=inner_policy),
                 layers.GRUCell(2, recurrent_dropout=0.2, seed=2, dtype=inner_policy)]
        return layers.RNN(cells, return_state=True, dtype=outer_policy)

    reference, rnn = build("float32", "float32"), build(outer, inner)
    expected = reference(seqs)
    rnn(seqs)
    rnn.set_weights(reference.get_weights())
    out = tree.flatten(rnn(seqs))  # output, then the cells' states
    expected = tree.flatten(expected)
    outer_dtype = MIXED.get(outer, outer)
    assert [dtype_of(t) for t in out] == [outer_dtype] * len(out)
    assert {c.dtype_policy.name for c in rnn.cell.cells} == {inner}
    tol = TOL[MIXED[policy]]
    for a, b in zip(out, expected):
        np.testing.assert_allclose(as_float64(a), as_float64(b), atol=tol, rtol=tol)
    # Training mode (dropout masks in the cells' dtype) runs on both backends.
    trained = rnn(seqs, training=True)
    assert dtype_of(trained[0]) == outer_dtype
    single = layers.RNN(layers.LSTMCell(3, dtype=inner), dtype=outer)
    assert dtype_of(single(seqs)) == outer_dtype


def test_sublayer_policies_match_keras(keras, seqs):
    """The policies Keras gives the same sublayers (by class), for the same layers."""
    P = "mixed_bfloat16"

    def policies(layer, flatten):
        found = {}
        stack = [layer]
        while stack:
            current = stack.pop()
            for sub in flatten(current):
                found.setdefault(type(sub).__name__, set()).add(sub.dtype_policy.name)
                stack.append(sub)
        return found

    def keras_children(layer):
        return layer._flatten_layers(include_self=False, recursive=False)

    pairs = [
        (lambda L: L.MultiHeadAttention(2, 3, dtype=P), lambda lay: lay(seqs, seqs)),
        (lambda L: L.LSTM(3, dtype=P), lambda lay: lay(seqs)),
        (lambda L: L.Bidirectional(L.GRU(3), dtype=P), lambda lay: lay(seqs)),
        (lambda L: L.TimeDistributed(L.Dense(2), dtype=P), lambda lay: lay(seqs)),
    ]
    for make, call in pairs:
        ours, theirs = make(layers), make(keras.layers)
        call(ours)
        call(theirs)
        assert policies(ours, lambda lay: lay.layers) == policies(theirs, keras_children)
