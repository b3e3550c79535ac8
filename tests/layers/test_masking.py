"""Mask propagation the Keras 3 way: ``compute_mask``, ``supports_masking``, ``_keras_mask``.

Masks ride on the tensors as ``_keras_mask``; each layer call passes the input's mask
to ``call(..., mask=)`` when ``call`` takes one and attaches ``compute_mask(...)`` to
its outputs.  Checked against Keras 3 (values and masks) in eager calls, Sequential and
Functional models, symbolic tensors and compiled functions.
"""
import warnings

import numpy as np
import pytest

import cornu
from cornu import layers

TOKENS = np.array([[3, 1, 4, 0, 0], [2, 7, 0, 0, 0], [5, 9, 2, 6, 1]], "int32")


def knp(keras, x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def mask_of(x, numpy_of):
    m = getattr(x, "_keras_mask", None)
    return None if m is None else numpy_of(m)


def test_embedding_mask_flows_through_dense(numpy_of):
    emb = layers.Embedding(10, 4, mask_zero=True)
    dense = layers.Dense(3)
    h = emb(TOKENS)
    y = dense(h)
    np.testing.assert_array_equal(mask_of(h, numpy_of), TOKENS != 0)
    np.testing.assert_array_equal(mask_of(y, numpy_of), TOKENS != 0)


def test_masking_layer_values_mask_and_config(ref, rng, numpy_of):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    x[0, 1] = 0.0
    x[1, 3] = 0.0
    layer, out = ref.check("Masking", x, mask_value=0.0)
    y = layer(x)
    kmask = ref.keras.layers.Masking(0.0).compute_mask(x)
    np.testing.assert_array_equal(mask_of(y, numpy_of), knp(ref.keras, kmask))
    np.testing.assert_array_equal(mask_of(y, numpy_of), [[1, 0, 1, 1], [1, 1, 1, 0]])
    assert layers.Masking(mask_value=-1.0).get_config()["mask_value"] == -1.0


def test_sequential_embedding_global_average_pooling_vs_keras(ref, numpy_of):
    keras = ref.keras
    model = cornu.Sequential([cornu.Input((5,), dtype="int32"),
                              layers.Embedding(10, 4, mask_zero=True), layers.Dense(3),
                              layers.GlobalAveragePooling1D()])
    kmodel = keras.Sequential([keras.Input((5,), dtype="int32"),
                               keras.layers.Embedding(10, 4, mask_zero=True),
                               keras.layers.Dense(3), keras.layers.GlobalAveragePooling1D()])
    kmodel.set_weights(model.get_weights())
    out = numpy_of(model(TOKENS))
    np.testing.assert_allclose(out, knp(keras, kmodel(TOKENS)), atol=1e-6)
    # By hand: the mean over the unmasked steps only.
    emb, kernel, bias = model.get_weights()
    h = emb[TOKENS] @ kernel + bias
    keep = (TOKENS != 0)[..., None]
    np.testing.assert_allclose(out, (h * keep).sum(1) / keep.sum(1), atol=1e-5)


def test_functional_masking_dense_pooling_vs_keras(ref, rng, numpy_of):
    keras = ref.keras
    x = rng.standard_normal((3, 6, 2)).astype("float32")
    x[0, 4:] = 0.0
    x[2, :2] = 0.0

    def build(lib):
        inputs = lib.Input((6, 2))
        h = lib.layers.Masking()(inputs)
        h = lib.layers.Dense(4, activation="relu")(h)
        h = lib.layers.Dropout(0.5)(h)
        out = lib.layers.GlobalAveragePooling1D()(h)
        return lib.Model(inputs, out)

    model, kmodel = build(cornu), build(keras)
    kmodel.set_weights(model.get_weights())
    np.testing.assert_allclose(numpy_of(model(x)), knp(keras, kmodel(x)), atol=1e-5)


def test_symbolic_masks_match_keras(ref):
    keras = ref.keras
    inputs = cornu.Input((5,), dtype="int32")
    h = layers.Embedding(10, 4, mask_zero=True)(inputs)
    d = layers.Dense(3)(h)
    pooled = layers.GlobalAveragePooling1D()(d)
    kinputs = keras.Input((5,), dtype="int32")
    kh = keras.layers.Embedding(10, 4, mask_zero=True)(kinputs)
    kd = keras.layers.Dense(3)(kh)
    kpooled = keras.layers.GlobalAveragePooling1D()(kd)
    assert h._keras_mask.shape == kh._keras_mask.shape == (None, 5)
    assert d._keras_mask.shape == kd._keras_mask.shape
    assert str(d._keras_mask.dtype) == "bool"
    assert getattr(pooled, "_keras_mask", None) is None
    assert getattr(kpooled, "_keras_mask", None) is None


@pytest.mark.filterwarnings("ignore:Layer 'functional:UserWarning")  # raised by Keras
def test_explicit_mask_argument_of_functional_and_sequential(ref, rng, numpy_of):
    keras = ref.keras
    x = rng.standard_normal((2, 5)).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0], [1, 0, 0, 0, 0]], bool)
    inputs = cornu.Input((5,))
    model = cornu.Model(inputs, layers.Softmax()(inputs))
    kinputs = keras.Input((5,))
    kmodel = keras.Model(kinputs, keras.layers.Softmax()(kinputs))
    out = numpy_of(model(x, mask=mask))
    np.testing.assert_allclose(out, knp(keras, kmodel(x, mask=mask)), atol=1e-6)
    assert np.all(out[~mask] == 0)
    np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-6)
    seq = cornu.Sequential([cornu.Input((5,)), layers.Softmax()])
    np.testing.assert_allclose(numpy_of(seq(x, mask=mask)), out, atol=1e-6)


def test_merge_layers_combine_masks(ref, numpy_of):
    keras = ref.keras
    a = np.array([[1, 2, 0, 0]], "int32")
    b = np.array([[1, 0, 3, 0]], "int32")
    emb = layers.Embedding(5, 2, mask_zero=True)
    kemb = keras.layers.Embedding(5, 2, mask_zero=True)
    for merge in ("Add", "Concatenate", "Maximum"):
        out = getattr(layers, merge)()([emb(a), emb(b)])
        kout = getattr(keras.layers, merge)()([kemb(a), kemb(b)])
        np.testing.assert_array_equal(mask_of(out, numpy_of),
                                      knp(keras, kout._keras_mask))
    np.testing.assert_array_equal(mask_of(layers.Add()([emb(a), emb(b)]), numpy_of),
                                  [[True, True, True, False]])


def test_layer_without_masking_support_drops_mask_with_a_warning(numpy_of):
    h = layers.Embedding(10, 4, mask_zero=True)(TOKENS)
    flat = layers.Flatten()
    with pytest.warns(UserWarning, match="does not support masking"):
        y = flat(h)
    assert getattr(y, "_keras_mask", None) is None


def test_custom_layer_receives_mask_and_compute_mask_defaults(numpy_of):
    seen = {}

    class Recorder(cornu.Layer):
        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs * 2

    class Halver(cornu.Layer):
        def call(self, inputs):
            return inputs[:, :2]

        def compute_mask(self, inputs, previous_mask):
            return None if previous_mask is None else previous_mask[:, :2]

    recorder = Recorder()
    assert not recorder.supports_masking  # no compute_mask override
    assert Halver().supports_masking  # overriding compute_mask implies support (Keras)
    h = layers.Embedding(10, 4, mask_zero=True)(TOKENS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recorder(h)
    np.testing.assert_array_equal(numpy_of(seen["mask"]), TOKENS != 0)
    out = Halver()(h)
    np.testing.assert_array_equal(mask_of(out, numpy_of), (TOKENS != 0)[:, :2])
    recorder(np.ones((2, 3), "float32"))
    assert seen["mask"] is None
    base = cornu.Layer()
    assert base.compute_mask(None, "previous") == "previous"


def test_supports_masking_declared_on_the_class(numpy_of):
    class Doubler(cornu.Layer):
        supports_masking = True

        def call(self, inputs):
            return inputs * 2

    h = layers.Embedding(10, 4, mask_zero=True)(TOKENS)
    np.testing.assert_array_equal(mask_of(Doubler()(h), numpy_of), TOKENS != 0)


def test_mask_flags_are_precomputed():
    dense = layers.Dense(2)
    assert dense.supports_masking and not dense._mask_aware  # no-mask cost: one check
    assert layers.Softmax()._mask_aware  # call takes a mask
    emb = layers.Embedding(4, 2, mask_zero=True)
    assert emb._computes_mask
    assert not layers.Embedding(4, 2)._computes_mask
    assert not layers.GlobalAveragePooling2D().supports_masking
    assert layers.GlobalAveragePooling1D().supports_masking


def test_mask_propagates_inside_compiled_function(compiled, numpy_of):
    model = cornu.Sequential([cornu.Input((5,), dtype="int32"),
                              layers.Embedding(10, 4, mask_zero=True), layers.Dense(2),
                              layers.GlobalAveragePooling1D()])
    eager = numpy_of(model(TOKENS))
    np.testing.assert_allclose(numpy_of(compiled(lambda t: model(t))(TOKENS)), eager,
                               atol=1e-6)
