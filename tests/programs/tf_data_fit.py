"""fit() on a tf.data pipeline, with class weights and a validation dataset.

The dataset yields (features, label) batches made by map/batch/prefetch; the
training is the default train_step, class weights rebalance a skewed label
distribution, and the model is then called inside a tf.function.
"""
# backend: tensorflow
import keras
import numpy as np
import tensorflow as tf
from keras import layers

rng = np.random.default_rng(19)
n = 300
raw = rng.normal(size=(n, 6)).astype("float32")
labels = (raw[:, 0] + raw[:, 1] > 1.0).astype("int64")  # about one in four is positive


def scale(features, label):
    return features * 0.5 + 0.1, label


train = (tf.data.Dataset.from_tensor_slices((raw[:240], labels[:240]))
         .map(scale).batch(24).prefetch(tf.data.AUTOTUNE))
valid = tf.data.Dataset.from_tensor_slices((raw[240:], labels[240:])).map(scale).batch(30)

model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(12, activation="relu"),
                          layers.Dense(2, activation="softmax")])
model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])
model.compile(optimizer=keras.optimizers.Adam(5e-3), loss="sparse_categorical_crossentropy",
              metrics=["sparse_categorical_accuracy"])
history = model.fit(train, validation_data=valid, epochs=4, verbose=0,
                    class_weight={0: 1.0, 1: 3.0})


@tf.function
def serve(features):
    return model(features * 0.5 + 0.1, training=False)


RESULT = {
    "positive_fraction": float(labels.mean()),
    "loss": history.history["loss"],
    "accuracy": history.history["sparse_categorical_accuracy"],
    "val_loss": history.history["val_loss"],
    "served": serve(tf.constant(raw[:5])).numpy(),
    "evaluate": model.evaluate(valid, verbose=0),
}
