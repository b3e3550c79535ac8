"""BatchNormalization and LayerNormalization against numpy and Keras 3."""
import numpy as np
import pytest

import cornu
from cornu import layers


def _randomize(layer, rng):
    layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                       for w in layer.get_weights()])


@pytest.mark.parametrize("kwargs", [{}, {"axis": 1}, {"center": False}, {"scale": False},
                                    {"momentum": 0.5, "epsilon": 0.1}])
def test_batch_norm_matches_keras(kwargs, ref, rng):
    x = rng.standard_normal((4, 3, 5)).astype("float32")
    layer = layers.BatchNormalization(**kwargs)
    klayer = ref.keras_layer("BatchNormalization", **kwargs)
    layer.build(x.shape)
    _randomize(layer, rng)
    ref.compare(layer, klayer, x, atol=1e-5)  # inference: moving statistics
    ref.compare(layer, klayer, x, atol=1e-5, training=True)  # batch statistics
    # Both updated their moving statistics identically in the training call.
    for w, kw in zip(layer.get_weights(), klayer.get_weights()):
        np.testing.assert_allclose(w, kw, atol=1e-5)
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)


def test_batch_norm_weights_and_math(rng, numpy_of):
    x = rng.standard_normal((8, 4)).astype("float32") * 3 + 1
    layer = layers.BatchNormalization(momentum=0.9)
    y = numpy_of(layer(x, training=True))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), atol=1e-4)
    _, _, moving_mean, moving_var = layer.get_weights()
    np.testing.assert_allclose(moving_mean, 0.1 * mean, atol=1e-5)
    np.testing.assert_allclose(moving_var, 0.9 + 0.1 * var, atol=1e-4)
    # inference uses the moving statistics and does not update them
    y_inf = numpy_of(layer(x))
    np.testing.assert_allclose(y_inf, (x - moving_mean) / np.sqrt(moving_var + 1e-3), atol=1e-4)
    np.testing.assert_allclose(layer.get_weights()[2], moving_mean)


def test_batch_norm_updates_inside_compiled_step(compiled, rng):
    x = rng.standard_normal((16, 3)).astype("float32") + 2.0
    layer = layers.BatchNormalization(momentum=0.5)
    layer.build(x.shape)
    step = compiled(lambda t: layer(t, training=True))
    step(x)
    step(x)
    moving_mean = layer.get_weights()[2]
    np.testing.assert_allclose(moving_mean, 0.75 * x.mean(0), atol=1e-5)


def test_batch_norm_frozen_layer_uses_moving_stats(rng, numpy_of):
    x = rng.standard_normal((8, 3)).astype("float32")
    layer = layers.BatchNormalization()
    layer.build(x.shape)
    layer.trainable = False
    y = numpy_of(layer(x, training=True))
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), atol=1e-5)
    np.testing.assert_array_equal(layer.get_weights()[2], np.zeros(3))


def test_batch_norm_in_sequential(numpy_of):
    model = cornu.Sequential([cornu.Input((4, 4, 2)), layers.Conv2D(3, 3),
                              layers.BatchNormalization(), layers.Flatten()])
    assert model.output_shape == (None, 12)
    assert len(model.non_trainable_weights) == 2


def test_batch_norm_masked_moments(rng, numpy_of):
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = layers.BatchNormalization(momentum=0.0)
    layer(x, training=True, mask=mask)
    kept = x[mask]
    np.testing.assert_allclose(layer.get_weights()[2], kept.mean(0), atol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[3], kept.var(0), atol=1e-5)


@pytest.mark.parametrize("kwargs", [
    {"renorm": True},
    {"renorm": True, "renorm_clipping": {"rmin": 0.9, "rmax": 1.1, "dmax": 0.05},
     "renorm_momentum": 0.5, "momentum": 0.8},
    {"renorm": True, "center": False, "scale": False, "axis": 1},
], ids=["renorm", "clipped", "no-affine-axis1"])
def test_batch_renorm_matches_keras(kwargs, ref, rng):
    layer = layers.BatchNormalization(**kwargs)
    klayer = ref.keras_layer("BatchNormalization", **kwargs)
    x = rng.standard_normal((6, 3, 4)).astype("float32") * 2 + 0.5
    layer.build(x.shape)
    klayer.build(x.shape)
    assert [w.name for w in layer.weights] == [w.name for w in klayer.weights]
    _randomize(layer, rng)
    klayer.set_weights(layer.get_weights())
    for step in range(3):  # the corrections follow the renorm statistics step by step
        batch = x * (1 + step) - step
        ours = layer(batch, training=True)
        theirs = klayer(batch, training=True)
        np.testing.assert_allclose(cornu.ops.convert_to_numpy(ours),
                                   np.asarray(ref.keras.ops.convert_to_numpy(theirs)),
                                   atol=1e-5, rtol=1e-5)
        for w, kw, name in zip(layer.get_weights(), klayer.get_weights(),
                               [v.name for v in layer.weights]):
            np.testing.assert_allclose(w, kw, atol=1e-5, rtol=1e-5, err_msg=name)
    ref.compare(layer, klayer, x, atol=1e-5)  # inference: the moving statistics
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)


def test_batch_renorm_trains_like_keras(ref, rng):
    """Training through a renormalizing layer: the (r, d) corrections carry no gradient,
    on both sides, so the weights after a few SGD steps agree with Keras's."""
    def build(lib):
        model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3),
                                lib.layers.BatchNormalization(renorm=True, momentum=0.5,
                                                              renorm_momentum=0.5),
                                lib.layers.Dense(1)])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        return model

    x = rng.standard_normal((32, 4)).astype("float32")
    y = (x @ rng.standard_normal((4, 1))).astype("float32")
    ours, theirs = build(cornu), build(ref.keras)
    theirs.set_weights(ours.get_weights())
    ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for w, kw in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(w, kw, rtol=1e-4, atol=1e-5)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="renorm_clipping.*unknown"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"rmean": 1.0})
    with pytest.raises(ValueError, match="rmax >= rmin"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"rmin": 2.0, "rmax": 1.0})
    with pytest.raises(ValueError, match="dmax >= 0"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"dmax": -1.0})
    with pytest.raises(ValueError, match="BatchNormalization.*axis"):
        layers.BatchNormalization(axis=(1, 2))
    layer = layers.BatchNormalization(name="bn_probe")
    layer(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="bn_probe.*value 3.*\\(2, 4\\)"):
        layer(np.zeros((2, 4), "float32"))


@pytest.mark.parametrize("kwargs", [{}, {"axis": 1}, {"axis": [1, 2]}, {"center": False},
                                    {"scale": False, "epsilon": 0.1}])
def test_layer_norm_matches_keras_and_numpy(kwargs, ref, rng, backend_name, numpy_of):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    layer = layers.LayerNormalization(**kwargs)
    klayer = ref.keras_layer("LayerNormalization", **kwargs)
    layer.build(x.shape)
    _randomize(layer, rng)
    if backend_name == "torch" and kwargs.get("axis") == 1:
        # Keras 3's torch backend hands axis=1 of a rank-3 input to F.layer_norm,
        # which only normalizes trailing axes, and fails; numpy is the reference.
        y = numpy_of(layer(x))
    else:
        y = ref.compare(layer, klayer, x, atol=1e-5)
    axes = kwargs.get("axis", -1)
    axes = tuple(axes) if isinstance(axes, list) else (axes,)
    eps = kwargs.get("epsilon", 1e-3)
    normed = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    weights = layer.get_weights()
    shape = [1, 1, 1]
    for a in axes:
        shape[a] = x.shape[a]
    if layer.gamma is not None:
        normed = normed * weights.pop(0).reshape(shape)
    if layer.beta is not None:
        normed = normed + weights.pop(0).reshape(shape)
    np.testing.assert_allclose(y, normed, atol=1e-5)
    ref.assert_config_keys(layer, klayer)
    ref.roundtrip(layer)


def test_layer_norm_errors():
    with pytest.raises(ValueError, match="LayerNormalization.*axis"):
        layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="ln_probe.*axis 3"):
        layers.LayerNormalization(axis=3, name="ln_probe")(np.zeros((2, 3), "float32"))
