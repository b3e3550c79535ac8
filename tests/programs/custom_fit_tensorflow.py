"""Customising what happens in fit(), the TensorFlow way, with sample weights.

train_step records the forward pass on a tf.GradientTape, takes the gradient
of the compiled loss with respect to model.trainable_variables and applies it
with optimizer.apply_gradients(zip(...)), after clipping it to a global norm
of 1 (which the default step does not do).
"""
# backend: tensorflow
import keras
import numpy as np
import tensorflow as tf
from keras import layers


class WeightedModel(keras.Model):
    def train_step(self, data):
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            sample_weight = None
            x, y = data

        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)

        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        gradients, global_norm = tf.clip_by_global_norm(gradients, 1.0)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))

        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        logs = {m.name: m.result() for m in self.metrics}
        logs["global_norm"] = global_norm
        return logs


rng = np.random.default_rng(1)
num_classes = 3
x = rng.normal(size=(240, 6)).astype("float32")
y = np.argmax(x[:, :3] + 0.5 * x[:, 3:], axis=1)
sample_weight = np.where(y == 0, 2.0, 1.0).astype("float32")

inputs = keras.Input(shape=(6,))
features = layers.Dense(12, activation="relu")(inputs)
outputs = layers.Dense(num_classes, activation="softmax")(features)
model = WeightedModel(inputs, outputs)
model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])

model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
    loss="sparse_categorical_crossentropy",
    metrics=["sparse_categorical_accuracy"],
)
history = model.fit(x, y, sample_weight=sample_weight, batch_size=24, epochs=5,
                    shuffle=False, verbose=0)

RESULT = {
    "loss": history.history["loss"],
    "accuracy": history.history["sparse_categorical_accuracy"],
    "global_norm": history.history["global_norm"],
    "kernel_0": model.layers[1].get_weights()[0],
    "probabilities": model.predict(x[:6], verbose=0),
}
