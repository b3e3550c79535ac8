"""A training loop from scratch on the torch backend with a Keras optimizer.

Gradients come from loss.backward() and are read from each variable's torch
tensor (v.value.grad); the Keras optimizer applies them. Keras losses and
metrics work on torch tensors.
"""
# backend: torch
import keras
import numpy as np
import torch
from keras import layers


def get_model():
    inputs = keras.Input(shape=(16,), name="digits")
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(3, name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


rng = np.random.default_rng(5)
x_train = rng.normal(size=(256, 16)).astype("float32")
y_train = (x_train[:, :3].sum(axis=1) > 0).astype("int64") + (x_train[:, 3] > 1).astype("int64")
y_train_onehot = np.eye(3, dtype="float32")[y_train]

model = get_model()
model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])
optimizer = keras.optimizers.Adam(learning_rate=2e-3)
loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
accuracy = keras.metrics.CategoricalAccuracy()

batch_size = 32
losses = []
for _epoch in range(3):
    for start in range(0, len(x_train), batch_size):
        x_batch = torch.from_numpy(x_train[start:start + batch_size])
        y_batch = torch.from_numpy(y_train_onehot[start:start + batch_size])

        logits = model(x_batch, training=True)
        loss = loss_fn(y_batch, logits)

        model.zero_grad()
        loss.backward()
        trainable_weights = [v for v in model.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            optimizer.apply(gradients, trainable_weights)

        accuracy.update_state(y_batch, logits)
        losses.append(float(loss.detach().cpu().numpy()))
    accuracy.reset_state()

RESULT = {
    "step_loss": losses[::4],
    "final_loss": losses[-1],
    "optimizer_iterations": int(optimizer.iterations.numpy()),
    "kernel": model.get_layer("predictions").get_weights()[0],
}
