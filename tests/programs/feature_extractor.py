"""Feature extraction and fine-tuning with layer.input and layer.output.

A Sequential model is trained; a feature extractor built from
model.inputs and every layer's output returns the activations of each layer;
a new head is stacked on the output of an inner layer (by name) with the
base frozen, then the base is unfrozen for a short fine-tune with a small
learning rate (after recompiling).
"""
import keras
import numpy as np
from keras import layers

rng = np.random.default_rng(18)
x = rng.normal(size=(160, 8, 8, 1)).astype("float32")
y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype("int32")

base = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    layers.Conv2D(4, 3, activation="relu", name="conv"),
    layers.MaxPooling2D(2, name="pool"),
    layers.Flatten(name="flatten"),
    layers.Dense(8, activation="relu", name="embedding"),
    layers.Dense(2, name="logits"),
], name="base")
base.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in base.get_weights()])
base.compile(optimizer=keras.optimizers.Adam(5e-3),
             loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
base_history = base.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)

extractor = keras.Model(inputs=base.inputs, outputs=[layer.output for layer in base.layers])
features = [keras.ops.convert_to_numpy(f) for f in extractor(x[:3])]

# A new head on the embedding (found by name), the base frozen.
embedding = base.get_layer("embedding")
assert embedding.input is base.get_layer("flatten").output
head = layers.Dense(3, activation="softmax", name="new_head")(embedding.output)
transfer = keras.Model(base.inputs, head)
transfer.get_layer("new_head").set_weights(
    [rng.normal(0, 0.3, w.shape).astype("float32") for w in transfer.get_layer("new_head").get_weights()])
for layer in transfer.layers[:-1]:
    layer.trainable = False
trainable_when_frozen = len(transfer.trainable_weights)
conv_before_frozen = base.get_layer("conv").get_weights()[0]
y3 = (x.mean(axis=(1, 2, 3)) * 6).astype("int32") % 3
transfer.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
frozen_history = transfer.fit(x, y3, batch_size=32, epochs=2, shuffle=False, verbose=0)
conv_after_frozen = base.get_layer("conv").get_weights()[0]

for layer in transfer.layers:
    layer.trainable = True
transfer.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")
tuned_history = transfer.fit(x, y3, batch_size=32, epochs=2, shuffle=False, verbose=0)

RESULT = {
    "base_loss": base_history.history["loss"],
    "feature_shapes": [list(np.shape(f)) for f in features],
    "pooled_features": features[1][0, :, :, 0],
    "embedding_features": features[3],
    "trainable_when_frozen": trainable_when_frozen,
    "frozen_loss": frozen_history.history["loss"],
    "conv_unchanged_while_frozen": bool(np.array_equal(conv_before_frozen, conv_after_frozen)),
    "conv_changed_when_tuned": bool(not np.array_equal(conv_after_frozen,
                                                       base.get_layer("conv").get_weights()[0])),
    "tuned_loss": tuned_history.history["loss"],
    "trainable_weights": len(transfer.trainable_weights),
    "predictions": transfer.predict(x[:4], verbose=0),
}
