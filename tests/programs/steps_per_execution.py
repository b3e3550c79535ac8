"""compile(steps_per_execution=4): batches run in groups of four.

A callback counts the calls it gets. With steps_per_execution=4 Keras calls
the batch hooks once per group, with the index of the group's last batch,
while the training itself still takes one optimizer step per batch.
Keras 3 runs steps_per_execution > 1 on TensorFlow (and JAX) only: on
PyTorch it raises, so this program is TensorFlow's.
"""
# backend: tensorflow
import keras
import numpy as np
from keras import layers


class BatchCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.train_batches = []
        self.test_batches = []
        self.predict_batches = []
        self.epochs = 0

    def on_train_batch_end(self, batch, logs=None):
        self.train_batches.append(batch)

    def on_test_batch_end(self, batch, logs=None):
        self.test_batches.append(batch)

    def on_predict_batch_end(self, batch, logs=None):
        self.predict_batches.append(batch)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


rng = np.random.default_rng(15)
x = rng.normal(size=(320, 5)).astype("float32")
y = (x @ rng.normal(size=(5, 2)) + 0.1).astype("float32")


def build(steps_per_execution):
    model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(8, activation="tanh"),
                              layers.Dense(2)])
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"],
                  steps_per_execution=steps_per_execution)
    return model


initial = [rng.normal(0, 0.3, w.shape).astype("float32") for w in
           keras.Sequential([keras.Input(shape=(5,)), layers.Dense(8), layers.Dense(2)]).get_weights()]

counter = BatchCounter()
model = build(steps_per_execution=4)
history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[counter])
evaluation = model.evaluate(x, y, batch_size=16, verbose=0, callbacks=[counter])
predictions = model.predict(x[:64], batch_size=16, verbose=0, callbacks=[counter])

reference = build(steps_per_execution=1)
reference_history = reference.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)

RESULT = {
    "train_batches": counter.train_batches,
    "test_batches": counter.test_batches,
    "predict_batches": counter.predict_batches,
    "epochs_seen": counter.epochs,
    "iterations": int(model.optimizer.iterations.numpy()),
    "loss": history.history["loss"],
    "evaluate": evaluation,
    "predictions": predictions[:4],
    "same_as_one_step": bool(np.allclose(history.history["loss"],
                                         reference_history.history["loss"], rtol=1e-5)),
}
