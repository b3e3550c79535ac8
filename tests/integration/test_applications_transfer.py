"""Transfer learning with an application, the Keras guide's recipe: a pretrained base,
frozen (``trainable = False``, called with ``training=False``), a new head trained on
a small image set, then the model saved and reloaded.

Pretraining stands in for ImageNet: a MobileNetV2 is first trained on a pretext
task (which quadrant of a generated image is bright) and its weights saved; the
transfer task (is the top or the bottom half bright?) then only trains a new head
on the frozen base loaded from that file through ``weights=<path>``.
"""
import numpy as np

import cornu
from cornu.applications import mobilenet_v2

SHAPE = (32, 32, 3)


def _quadrant_images(n, rng):
    """Pretext task: one of the 4 quadrants is bright."""
    y = rng.integers(0, 4, n)
    x = rng.uniform(0, 80, (n,) + SHAPE).astype("float32")
    for i, q in enumerate(y):
        x[i, (q // 2) * 16:(q // 2) * 16 + 16, (q % 2) * 16:(q % 2) * 16 + 16] += 150.0
    return x, y.astype("int32")


def _half_images(n, rng):
    """Transfer task: the top (0) or the bottom (1) half is bright."""
    y = rng.integers(0, 2, n)
    x = rng.uniform(0, 80, (n,) + SHAPE).astype("float32")
    for i, label in enumerate(y):
        x[i, :16] += 150.0 if label == 0 else 0.0
        x[i, 16:] += 150.0 if label == 1 else 0.0
    return x, y.astype("int32")


def _classifier(base, classes):
    inputs = cornu.Input(SHAPE)
    # mobilenet_v2.preprocess_input ("tf" mode) as a layer, so the model saves.
    x = cornu.layers.Rescaling(1.0 / 127.5, offset=-1.0)(inputs)
    x = base(x, training=False) if not base.trainable else base(x)
    x = cornu.layers.GlobalAveragePooling2D()(x)
    outputs = cornu.layers.Dense(classes, activation="softmax")(x)
    return cornu.Model(inputs, outputs)


def test_frozen_pretrained_base_with_a_new_head(tmp_path):
    rng = np.random.default_rng(0)
    cornu.utils.set_random_seed(0)

    # 1. "Pretraining" on the pretext task, the whole network trainable.
    pretrained = mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights=None,
                                          input_shape=SHAPE)
    for layer in pretrained.layers:
        if isinstance(layer, cornu.layers.BatchNormalization):
            # MobileNetV2's BN momentum (0.999) needs ImageNet-length training for its
            # moving statistics to settle; a short pretraining needs faster ones.
            layer.momentum = 0.5
    pretext = _classifier(pretrained, 4)
    pretext.compile(optimizer=cornu.optimizers.Adam(2e-3),
                    loss="sparse_categorical_crossentropy")
    x_pre, y_pre = _quadrant_images(384, rng)
    pretext.fit(x_pre, y_pre, epochs=6, batch_size=32, verbose=0)
    weights_path = tmp_path / "pretrained.weights.h5"
    pretrained.save_weights(str(weights_path))

    # 2. Transfer: the base from the weights file, frozen; a new head.
    base = mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights=str(weights_path),
                                    input_shape=SHAPE)
    base.trainable = False
    model = _classifier(base, 2)
    head = model.layers[-1]
    assert [id(w) for w in model.trainable_weights] == [id(w) for w in head.weights]
    assert len(model.non_trainable_weights) == len(base.weights)

    before = [np.array(w.numpy()) for w in base.weights]
    x_train, y_train = _half_images(256, rng)
    x_test, y_test = _half_images(64, rng)
    model.compile(optimizer=cornu.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=8, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.9

    # The base did not move: no weight, no BatchNormalization statistic.
    for old, w in zip(before, base.weights):
        np.testing.assert_array_equal(old, np.asarray(w.numpy()), err_msg=w.path)

    path = tmp_path / "transfer.keras"
    model.save(path)
    reloaded = cornu.saving.load_model(path)
    np.testing.assert_allclose(reloaded.predict(x_test, verbose=0),
                               model.predict(x_test, verbose=0), rtol=1e-5, atol=1e-6)
