"""A training loop from scratch in TensorFlow.

tf.data feeds batches, a tf.function-compiled step records the forward pass
on a GradientTape and applies the gradients with a Keras optimizer; a
validation pass at the end of each epoch uses its own metric.
"""
# backend: tensorflow
import keras
import numpy as np
import tensorflow as tf
from keras import layers

rng = np.random.default_rng(6)
x_all = rng.normal(size=(360, 10)).astype("float32")
y_all = ((x_all[:, 0] - x_all[:, 1]) > 0).astype("int32") * 2 + (x_all[:, 2] > 0)
x_train, y_train, x_val, y_val = x_all[:300], y_all[:300], x_all[300:], y_all[300:]

inputs = keras.Input(shape=(10,))
hidden = layers.Dense(20, activation="relu")(inputs)
outputs = layers.Dense(4)(hidden)
model = keras.Model(inputs, outputs)
model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])

optimizer = keras.optimizers.Adam(learning_rate=5e-3)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
val_acc_metric = keras.metrics.SparseCategoricalAccuracy()

train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(30)
val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(30)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
    grads = tape.gradient(loss_value, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_acc_metric.update_state(y, logits)
    return loss_value


@tf.function
def test_step(x, y):
    val_acc_metric.update_state(y, model(x, training=False))


epoch_losses, train_accs, val_accs = [], [], []
for _epoch in range(4):
    batch_losses = [float(train_step(x, y)) for x, y in train_dataset]
    epoch_losses.append(float(np.mean(batch_losses)))
    train_accs.append(float(train_acc_metric.result()))
    train_acc_metric.reset_state()
    for x, y in val_dataset:
        test_step(x, y)
    val_accs.append(float(val_acc_metric.result()))
    val_acc_metric.reset_state()

RESULT = {
    "epoch_loss": epoch_losses,
    "train_accuracy": train_accs,
    "val_accuracy": val_accs,
    "weights": model.get_weights(),
    "iterations": int(optimizer.iterations.numpy()),
}
