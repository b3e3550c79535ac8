"""A subclassed model that keeps its own Mean trackers.

Because the trackers are listed in the metrics property, fit() and evaluate()
reset them at the start of every epoch and every evaluation: the first batch
of an epoch logs that batch's loss alone, and the epoch value is the mean of
that epoch's batches only.
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


class TrackedRegressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense1 = layers.Dense(12, activation="relu")
        self.dense2 = layers.Dense(1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def call(self, inputs):
        return self.dense2(self.dense1(inputs))

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]

    def train_step(self, data):
        x, y = data
        out = {}

        def loss_fn():
            out["y_pred"] = self(x, training=True)
            return ops.mean(keras.losses.mean_squared_error(y, out["y_pred"]))

        loss, grads = loss_and_gradients(loss_fn, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, out["y_pred"])
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(ops.mean(keras.losses.mean_squared_error(y, y_pred)))
        self.mae_metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class BatchLogger(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batch_logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.batch_logs.append([batch, float(logs["loss"]), float(logs["mae"])])


rng = np.random.default_rng(11)
x = rng.normal(size=(160, 4)).astype("float32")
y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] ** 2).astype("float32")

model = TrackedRegressor()
model(x[:1])
model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
logger = BatchLogger()
history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[logger])
first_eval = model.evaluate(x, y, batch_size=40, verbose=0)
second_eval = model.evaluate(x, y, batch_size=40, verbose=0)
model.reset_metrics()

logs = np.array(logger.batch_logs)
RESULT = {
    "loss": history.history["loss"],
    "mae": history.history["mae"],
    "batch_logs": logs,
    # a tracker that was not reset would carry the previous epoch into batch 0
    "epoch_ends_match_history": bool(np.allclose(logs[logs[:, 0] == 9][:, 1],
                                                 history.history["loss"])),
    "evaluate_twice_equal": bool(np.allclose(first_eval, second_eval)),
    "evaluate": first_eval,
    "after_reset": [float(m.result()) for m in model.metrics],
}
