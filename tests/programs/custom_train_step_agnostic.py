"""A custom train_step that runs on any backend.

Only the gradient computation depends on the backend; the rest is the
Keras 3 contract: keras.utils.unpack_x_y_sample_weight, self.compute_loss,
self.compute_metrics and the metrics property. The step adds its own L2
penalty on the kernels to the compiled loss, so it differs from the default.
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


class Regressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(16, activation="relu", name="hidden")
        self.head = layers.Dense(2, name="head")

    def call(self, inputs):
        return self.head(self.hidden(inputs))

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        outputs = {}

        def forward_loss():
            outputs["y_pred"] = self(x, training=True)
            penalty = sum(ops.sum(ops.square(layer.kernel)) for layer in (self.hidden, self.head))
            return self.compute_loss(x=x, y=y, y_pred=outputs["y_pred"],
                                     sample_weight=sample_weight) + 1e-2 * penalty

        loss, gradients = loss_and_gradients(forward_loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        # compute_metrics updates the compiled metrics; the loss tracker is ours to feed.
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
        return self.compute_metrics(x, y, outputs["y_pred"], sample_weight=sample_weight)


rng = np.random.default_rng(2)
x = rng.normal(size=(200, 5)).astype("float32")
y = np.stack([x[:, 0] * x[:, 1], np.sin(x[:, 2])], axis=1).astype("float32")

model = Regressor()
model(x[:2])  # a subclassed model creates its weights on its first call
weights = model.get_weights()
assert len(weights) == 4, [w.shape for w in weights]
model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in weights])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.005), loss="mse",
              metrics=["mae", keras.metrics.RootMeanSquaredError(name="rmse")])

history_plain = model.fit(x, y, batch_size=20, epochs=3, shuffle=False, verbose=0)
weights = np.where(x[:, 0] > 0, 1.0, 0.5).astype("float32")
history_weighted = model.fit(x, y, sample_weight=weights, batch_size=20, epochs=2,
                             shuffle=False, verbose=0)
evaluation = model.evaluate(x, y, batch_size=50, return_dict=True, verbose=0)

RESULT = {
    "metric_names": sorted(m.name for m in model.metrics),
    "loss": history_plain.history["loss"] + history_weighted.history["loss"],
    "mae": history_plain.history["mae"] + history_weighted.history["mae"],
    "rmse": history_plain.history["rmse"] + history_weighted.history["rmse"],
    "evaluate": [evaluation["loss"], evaluation["mae"], evaluation["rmse"]],
    "head_kernel": model.head.get_weights()[0],
}
