"""Customising what happens in fit(), the PyTorch way.

A regression model overrides train_step: it zeroes the gradients, calls
backward() on the compiled loss, reads the gradients off the torch tensors
behind the Keras variables and hands them to the Keras optimizer. It also
reports the global gradient norm, which the default step does not.
"""
# backend: torch
import keras
import numpy as np
import torch
from keras import layers


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data

        # Forget the gradients of the previous step.
        self.zero_grad()

        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)

        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]

        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)

        # The metrics include the one that tracks the loss.
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        logs = {m.name: m.result() for m in self.metrics}
        logs["grad_norm"] = torch.sqrt(sum((g ** 2).sum() for g in gradients))
        return logs


rng = np.random.default_rng(0)
x = rng.normal(size=(256, 8)).astype("float32")
true_w = rng.normal(size=(8, 1)).astype("float32")
y = (x @ true_w + 0.1 * rng.normal(size=(256, 1))).astype("float32")

inputs = keras.Input(shape=(8,))
hidden = layers.Dense(16, activation="tanh")(inputs)
outputs = layers.Dense(1)(hidden)
model = CustomModel(inputs, outputs)
model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])

model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
history = model.fit(x, y, batch_size=32, epochs=4, shuffle=False, verbose=0)

probe = rng.normal(size=(5, 8)).astype("float32")
RESULT = {
    "loss": history.history["loss"],
    "mae": history.history["mae"],
    "grad_norm": history.history["grad_norm"],
    "history_keys": sorted(history.history),
    "predictions": model.predict(probe, verbose=0),
    "iterations": int(model.optimizer.iterations.numpy()),
}
