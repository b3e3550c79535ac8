"""Attention layers: a numpy attention reference (runs without Keras) and Keras 3."""
import numpy as np
import pytest

import cornu
from cornu import layers, ops


def softmax(x, mask=None):
    if mask is not None:
        x = np.where(mask, x, -1e9)
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_mha(q_in, v_in, weights, heads, mask=None, k_in=None, kv_heads=None):
    """Multi-head (or grouped-query) attention in numpy from the Keras-layout weights."""
    k_in = v_in if k_in is None else k_in
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    q = np.einsum("btd,dnh->btnh", q_in, wq) + bq
    k = np.einsum("bsd,dnh->bsnh", k_in, wk) + bk
    v = np.einsum("bsd,dnh->bsnh", v_in, wv) + bv
    if kv_heads is not None:
        k, v = np.repeat(k, heads // kv_heads, axis=2), np.repeat(v, heads // kv_heads, axis=2)
    scores = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(q.shape[-1])
    probs = softmax(scores, None if mask is None else mask[:, None])
    out = np.einsum("bnts,bsnh->btnh", probs, v)
    return np.einsum("btnh,nho->bto", out, wo) + bo, probs


def random_weights(layer, rng):
    layer.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5
                       for w in layer.get_weights()])
    return [w.astype("float64") for w in layer.get_weights()]


@pytest.mark.parametrize("scores", [False, True])
def test_mha_matches_numpy(rng, numpy_of, scores):
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    mask = rng.random((2, 4, 5)) > 0.3
    mask[0, 1] = False  # a fully masked query row
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=2)
    layer(q, v)
    weights = random_weights(layer, rng)
    for m in (None, mask):
        out = layer(q, v, attention_mask=None if m is None else ops.convert_to_tensor(m),
                    return_attention_scores=scores)
        want, probs = np_mha(q.astype("float64"), v.astype("float64"), weights, 3, m)
        got = out[0] if scores else out
        if m is not None:  # a fully masked row: any finite average is acceptable
            keep = m.any(-1)
            np.testing.assert_allclose(numpy_of(got)[keep], want[keep], atol=1e-4)
            assert np.all(np.isfinite(numpy_of(got)))
        else:
            np.testing.assert_allclose(numpy_of(got), want, atol=1e-4)
        if scores:
            assert numpy_of(out[1]).shape == (2, 3, 4, 5)
            if m is None:
                np.testing.assert_allclose(numpy_of(out[1]), probs, atol=1e-5)


def test_mha_causal_key_and_query_masks(rng, numpy_of):
    x = rng.standard_normal((2, 5, 4)).astype("float32")
    k = rng.standard_normal((2, 5, 3)).astype("float32")
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, output_shape=7)
    out = layer(x, x, key=k, use_causal_mask=True)
    assert tuple(out.shape) == (2, 5, 7)
    weights = random_weights(layer, rng)
    causal = np.tril(np.ones((5, 5), bool))[None].repeat(2, 0)
    want, _ = np_mha(x.astype("float64"), x.astype("float64"), weights, 2, causal,
                     k_in=k.astype("float64"))
    np.testing.assert_allclose(numpy_of(layer(x, x, key=k, use_causal_mask=True)), want,
                               atol=1e-4)
    # The masks carried by the inputs (e.g. from Embedding(mask_zero=True)) are used.
    ids = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 0]])
    emb = layers.Embedding(8, 4, mask_zero=True)
    seq = emb(ids)
    out = layer(seq, seq, key=k)
    value_mask = ids != 0
    full = value_mask[:, None, :] & value_mask[:, :, None]
    want, _ = np_mha(numpy_of(seq).astype("float64"), numpy_of(seq).astype("float64"),
                     weights, 2, full, k_in=k.astype("float64"))
    keep = value_mask
    np.testing.assert_allclose(numpy_of(out)[keep], want[keep], atol=1e-4)
    np.testing.assert_array_equal(numpy_of(out._keras_mask), value_mask)


def test_gqa_matches_numpy(rng, numpy_of):
    q = rng.standard_normal((2, 4, 8)).astype("float32")
    v = rng.standard_normal((2, 6, 8)).astype("float32")
    layer = layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    layer(q, v)
    weights = random_weights(layer, rng)
    mask = rng.random((2, 4, 6)) > 0.2
    mask[:, :, 0] = True
    for m in (None, mask):
        want, probs = np_mha(q.astype("float64"), v.astype("float64"), weights, 4, m,
                             kv_heads=2)
        fused = layer(q, v, attention_mask=None if m is None else ops.convert_to_tensor(m))
        explicit, scores = layer(q, v, attention_mask=None if m is None
                                 else ops.convert_to_tensor(m), return_attention_scores=True)
        np.testing.assert_allclose(numpy_of(fused), want, atol=1e-4)
        np.testing.assert_allclose(numpy_of(explicit), want, atol=1e-4)
        np.testing.assert_allclose(numpy_of(scores), probs, atol=1e-5)
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(head_dim=2, num_query_heads=3, num_key_value_heads=2)


def test_attention_and_additive_match_numpy(rng, numpy_of):
    q = rng.standard_normal((2, 3, 4)).astype("float32")
    v = rng.standard_normal((2, 5, 4)).astype("float32")
    k = rng.standard_normal((2, 5, 4)).astype("float32")
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    q_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    masks = [ops.convert_to_tensor(q_mask), ops.convert_to_tensor(v_mask)]
    dot = layers.Attention(use_scale=True)
    out, scores = dot([q, v, k], mask=masks, return_attention_scores=True)
    dot.scale.assign(np.float32(0.7))
    out, scores = dot([q, v, k], mask=masks, return_attention_scores=True)
    logits = 0.7 * np.einsum("bqd,bkd->bqk", q, k)
    probs = softmax(logits, v_mask[:, None, :])
    want = np.where(q_mask[..., None], probs @ v, 0)
    np.testing.assert_allclose(numpy_of(out), want, atol=1e-5)
    np.testing.assert_allclose(numpy_of(scores), probs, atol=1e-5)
    causal = numpy_of(layers.Attention()([q, q], use_causal_mask=True))
    logits = np.einsum("bqd,bkd->bqk", q, q)
    np.testing.assert_allclose(causal, softmax(logits, np.tril(np.ones((3, 3), bool))) @ q,
                               atol=1e-5)
    concat = layers.Attention(score_mode="concat")
    logits = np.tanh(q[:, :, None] + k[:, None]).sum(-1)
    np.testing.assert_allclose(numpy_of(concat([q, v, k])), softmax(logits) @ v, atol=1e-5)
    additive = layers.AdditiveAttention()
    additive([q, v, k])
    scale = numpy_of(additive.scale)
    logits = (scale * np.tanh(q[:, :, None] + k[:, None])).sum(-1)
    np.testing.assert_allclose(numpy_of(additive([q, v, k])), softmax(logits) @ v, atol=1e-5)
    with pytest.raises(ValueError, match="list of 2 or 3 inputs"):
        layers.Attention()(q)
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="add")


def test_dropout_only_in_training(rng, numpy_of):
    q = rng.standard_normal((2, 4, 4)).astype("float32")
    for layer in (layers.MultiHeadAttention(2, 2, dropout=0.5, seed=1),
                  layers.GroupQueryAttention(2, 2, 1, dropout=0.5, seed=1),
                  layers.Attention(dropout=0.5, seed=1)):
        def call(layer=layer, **kw):
            if isinstance(layer, layers.Attention):
                return layer([q, q], **kw)
            return layer(q, q, **kw)

        a, b = numpy_of(call()), numpy_of(call())
        np.testing.assert_allclose(a, b)
        assert not np.allclose(numpy_of(call(training=True)), a)


# -- Keras 3 ----------------------------------------------------------------------------------
def _copy_compare(keras, layer, klayer, args, kwargs=None, atol=1e-5):
    kwargs = kwargs or {}
    layer(*args), klayer(*args)
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in klayer.get_weights()]
    klayer.set_weights(layer.get_weights())
    got, want = layer(*args, **kwargs), klayer(*args, **kwargs)
    got, want = cornu.tree.flatten(got), cornu.tree.flatten(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(ops.convert_to_numpy(g)),
                                   keras.ops.convert_to_numpy(w), atol=atol)


MHA_CASES = [
    dict(num_heads=2, key_dim=3),
    dict(num_heads=3, key_dim=2, value_dim=4, output_shape=5, use_bias=False),
    dict(num_heads=2, key_dim=2, use_gate=True, sliding_window=2),
]


@pytest.mark.parametrize("kwargs", MHA_CASES)
def test_mha_matches_keras(ref, keras, rng, kwargs):
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    mask = rng.random((2, 4, 5)) > 0.3
    mask[..., 0] = True
    layer = layers.MultiHeadAttention(**kwargs)
    klayer = keras.layers.MultiHeadAttention(**kwargs)
    _copy_compare(keras, layer, klayer, (q, v))
    for call_kwargs in ({"attention_mask": mask}, {"return_attention_scores": True},
                        {"use_causal_mask": True, "attention_mask": mask}):
        _copy_compare(keras, layer, klayer, (q, v), call_kwargs)
    ref.assert_config_keys(layer, klayer)
    clone = ref.roundtrip(layer)
    assert clone.get_config() == layer.get_config()


def test_mha_attention_axes_matches_keras(keras, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1, 2))
    klayer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1, 2))
    _copy_compare(keras, layer, klayer, (x, x), {"return_attention_scores": True})


def test_gqa_and_attention_layers_match_keras(ref, keras, rng):
    q = rng.standard_normal((2, 4, 8)).astype("float32")
    v = rng.standard_normal((2, 5, 8)).astype("float32")
    kwargs = dict(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    layer = layers.GroupQueryAttention(**kwargs)
    klayer = keras.layers.GroupQueryAttention(**kwargs)
    _copy_compare(keras, layer, klayer, (q, v), {"use_causal_mask": True})
    _copy_compare(keras, layer, klayer, (q, v), {"return_attention_scores": True})
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)
    # A Keras config of the layer deserializes in cornu.
    from cornu.serialization import deserialize_cornu_object

    record = keras.saving.serialize_keras_object(klayer)
    assert type(deserialize_cornu_object(record, kind="layer")) is layers.GroupQueryAttention
    masks = [np.array([[1, 1, 0, 1], [1, 1, 1, 1]], bool),
             np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)]
    for class_name, kw in (("Attention", dict(use_scale=True)),
                           ("Attention", dict(score_mode="concat", use_scale=True)),
                           ("AdditiveAttention", {})):
        layer = getattr(layers, class_name)(**kw)
        klayer = getattr(keras.layers, class_name)(**kw)
        layer([q, v]), klayer([q, v])
        klayer.set_weights([w + 0.3 for w in layer.get_weights()])
        layer.set_weights(klayer.get_weights())
        got = layer([q, v], mask=[ops.convert_to_tensor(m) for m in masks],
                    return_attention_scores=True)
        want = klayer([q, v], mask=[keras.ops.convert_to_tensor(m) for m in masks],
                      return_attention_scores=True)
        for g, w in zip(got, want):
            np.testing.assert_allclose(np.asarray(ops.convert_to_numpy(g)),
                                       keras.ops.convert_to_numpy(w), atol=1e-5)
        ref.assert_config_keys(layer, klayer)
        ref.roundtrip(layer)


def test_symbolic_model_save_load_and_keras_weights(keras, tmp_path, rng, numpy_of):
    def build(lib, gqa=False):
        tokens = lib.Input((5,), dtype="int32")
        x = lib.layers.Embedding(10, 8, mask_zero=True)(tokens)
        x = lib.layers.MultiHeadAttention(2, 4, name="mha")(x, x)
        if gqa:
            x = lib.layers.GroupQueryAttention(4, 2, 1, name="gqa")(x, x)
        x = lib.layers.GlobalAveragePooling1D()(x)
        return lib.Model(tokens, lib.layers.Dense(2)(x))

    model, kmodel = build(cornu), build(keras)
    ids = rng.integers(1, 10, (3, 5)).astype("int32")
    ids[0, 3:] = 0
    path = tmp_path / "attn.weights.h5"
    kmodel.save_weights(path)
    model.load_weights(path)
    np.testing.assert_allclose(numpy_of(model(ids)), keras.ops.convert_to_numpy(kmodel(ids)),
                               atol=1e-4)
    model = build(cornu, gqa=True)
    archive = tmp_path / "attn.keras"
    model.save(archive)
    loaded = cornu.models.load_model(archive)
    np.testing.assert_allclose(numpy_of(loaded(ids)), numpy_of(model(ids)), atol=1e-5)
    q = cornu.Input((4, 6))
    out, scores = layers.MultiHeadAttention(3, 2)(q, q, return_attention_scores=True)
    assert out.shape == (None, 4, 6) and scores.shape == (None, 3, 4, 4)


def test_gradients_flow(rng, grads):
    q = rng.standard_normal((2, 3, 4)).astype("float32")
    for layer in (layers.MultiHeadAttention(2, 2), layers.GroupQueryAttention(2, 2, 1)):
        for g in grads(layer, q, value=q):
            assert g is not None and np.all(np.isfinite(g))
