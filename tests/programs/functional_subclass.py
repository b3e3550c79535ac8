"""A Model subclass built the functional way: CustomModel(inputs, outputs).

The subclass only overrides train_step (which clips the gradients to a
global norm of 0.5 and reports that norm); the graph of layers comes from the
functional API, so it has layers, inputs and outputs like any functional
model, and it saves and reloads as its own class.
"""
import keras
import numpy as np
from keras import layers, ops


def loss_and_gradients(compute_loss, variables):
    """Call compute_loss() and differentiate it on the active backend."""
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = compute_loss()
        return loss, tape.gradient(loss, variables)
    for v in variables:
        v.value.grad = None
    loss = compute_loss()
    loss.backward()
    return loss, [v.value.grad for v in variables]


@keras.saving.register_keras_serializable(package="programs")
class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        out = {}

        def loss_fn():
            out["y_pred"] = self(x, training=True)
            return self.compute_loss(y=y, y_pred=out["y_pred"])

        loss, gradients = loss_and_gradients(loss_fn, self.trainable_variables)
        norm = ops.sqrt(sum(ops.sum(ops.square(g)) for g in gradients))
        scale = ops.minimum(1.0, 0.5 / (norm + 1e-12))
        self.optimizer.apply([g * scale for g in gradients], self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, out["y_pred"])
        logs = {m.name: m.result() for m in self.metrics}
        logs["grad_norm"] = norm
        return logs


rng = np.random.default_rng(12)
x = rng.normal(size=(192, 32)).astype("float32")
y = (x[:, :16].mean(axis=1, keepdims=True) > 0).astype("float32")

inputs = keras.Input(shape=(32,), name="features")
h = layers.Dense(16, activation="relu", name="hidden")(inputs)
h = layers.BatchNormalization(name="norm")(h)
outputs = layers.Dense(1, activation="sigmoid", name="score")(h)
model = CustomModel(inputs, outputs)
model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") if i not in (2, 5) else
                   np.abs(rng.normal(1, 0.1, w.shape)).astype("float32")
                   for i, w in enumerate(model.get_weights())])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)

model.save("custom_model.keras")
reloaded = keras.models.load_model("custom_model.keras")
probe = x[:6]

RESULT = {
    "class_name": type(model).__name__,
    "reloaded_class_name": type(reloaded).__name__,
    "layer_names": [layer.name for layer in model.layers],
    "input_names": [t.name for t in model.inputs],
    "loss": history.history["loss"],
    "accuracy": history.history["accuracy"],
    "grad_norm": history.history["grad_norm"],
    "moving_mean": model.get_layer("norm").get_weights()[2],
    "predictions": model.predict(probe, verbose=0),
    "reloaded_predictions": reloaded.predict(probe, verbose=0),
}
